/**
 * @module gateway/config-reloader
 * Hot reload of the configuration file (`POST /admin/config/reload`, SIGHUP, or another
 * replica's word). The file the gateway started from is read again and validated as at start; a
 * bad file is refused with one line per problem and the running configuration stays. Otherwise
 * a new gateway is assembled from it around the same storage, breakers and statistics, and
 * swapped in at once (see live-gateway). Reloads run one at a time.
 *
 * Replicas share one file (a ConfigMap, a volume), so a reload here is announced on the replica
 * bus and every other replica reloads its own copy — never in answer to its own announcement,
 * and never announcing a reload it made on another's word. A copy can lag behind (a ConfigMap
 * reaches each pod up to a minute apart): the announcement carries the file's digest, and a
 * replica whose copy still differs reads it again every few seconds for a while, then says so.
 */

import { z } from 'zod';
import { ConfigError } from '../config/load.js';
import { type ConfigFile, planReload, readConfigFile } from '../config/reload.js';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { MessageBus } from '../storage/bus-ports.js';
import type { Gateway } from './gateway.js';
import type { LiveGateway } from './live-gateway.js';

/** Who asked for a reload: an operator (HTTP or signal), another replica, or a bus that lost messages. */
export type ReloadOrigin = 'admin' | 'signal' | 'replica' | 'resync';

export interface ReloadOutcome {
  reloaded: true;
  /** The running configuration's generation: 1 at start, one more for each reload that changed something. */
  version: number;
  /** Digest of the file's text (`sha256:…`): the same on every replica that read the same file. */
  digest: string;
  /** Top-level sections that changed live. */
  changed: string[];
  /** Settings the file changes that only take effect after a restart. */
  restartRequired: string[];
  /** Problems that did not stop the reload (a model with no deployments, …). */
  warnings: string[];
}

export interface ConfigReloader {
  /** The file reloads read; undefined when the gateway did not start from one. */
  readonly file: string | undefined;
  version(): number;
  digest(): string | undefined;
  /** Reloads now (after any reload in progress). Throws GatewayError INVALID_REQUEST for a bad file. */
  reload(origin?: ReloadOrigin): Promise<ReloadOutcome>;
  /** Stops listening to other replicas and waits for a reload in progress. */
  close(): Promise<void>;
}

export interface ConfigReloaderOptions {
  live: LiveGateway;
  /** Assembles a gateway from a configuration, sharing storage and execution state with the running one. */
  build(config: Config): Promise<Gateway>;
  file: string | undefined;
  /** Digest of the file as the gateway started from it. */
  digest?: string;
  bus?: MessageBus;
  logger: Logger;
  /** Runs once a new configuration serves (live settings that are not part of an assembled gateway). */
  applied?(config: Config): void;
  env?: Readonly<Record<string, string | undefined>>;
  /** How a replica whose copy of the file differs from an announced one keeps trying; default every 2 s for 2 min. */
  follow?: { intervalMs: number; forMs: number };
}

const announcement = z.object({ digest: z.string().min(1).max(100), version: z.number().int().min(0) });

const reloaders = new WeakMap<Gateway, ConfigReloader>();

/** The reloader of a gateway, when it has one (the admin route finds it here). */
export function reloaderOf(gateway: Gateway): ConfigReloader | undefined {
  return reloaders.get(gateway);
}

export function createConfigReloader(options: ConfigReloaderOptions): ConfigReloader {
  const { live, logger, bus, file } = options;
  const follow = options.follow ?? { intervalMs: 2_000, forMs: 120_000 };
  let version = 1;
  let digest = options.digest;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  let following: NodeJS.Timeout | undefined;

  function refuse(problems: string[], headline: string): GatewayError {
    return new GatewayError(
      'INVALID_REQUEST',
      `${headline}; the running configuration stays:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      { details: { file, problems } },
    );
  }

  async function run(origin: ReloadOrigin): Promise<ReloadOutcome> {
    if (file === undefined) {
      throw new GatewayError(
        'INVALID_REQUEST',
        'this gateway did not start from a config file (-c FILE or SWITCHYARD_CONFIG): there is nothing to reload',
      );
    }
    let loaded: ConfigFile;
    try {
      loaded = await readConfigFile(file, options.env);
    } catch (error) {
      if (error instanceof ConfigError) throw refuse(error.problems, `invalid configuration in ${file}`);
      throw error;
    }
    const plan = planReload(live.current().config, loaded.config);
    if (plan.changed.length > 0) {
      let next: Gateway;
      try {
        next = await options.build(plan.effective);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw refuse(message.split('\n'), `the configuration in ${file} could not be applied`);
      }
      if (!live.swap(next)) throw new GatewayError('SERVICE_UNAVAILABLE', 'the gateway is shutting down');
      version++;
      options.applied?.(plan.effective);
    }
    digest = loaded.digest;
    for (const warning of loaded.warnings) logger.warn(warning);
    const outcome: ReloadOutcome = {
      reloaded: true,
      version,
      digest: loaded.digest,
      changed: plan.changed,
      restartRequired: plan.restartRequired,
      warnings: loaded.warnings,
    };
    logger.info(plan.changed.length > 0 ? 'configuration reloaded' : 'configuration reloaded: no change', {
      origin,
      version,
      digest: loaded.digest,
      changed: plan.changed,
      restart_required: plan.restartRequired,
    });
    if (plan.restartRequired.length > 0) {
      logger.warn('configuration changes that need a restart', { restart_required: plan.restartRequired });
    }
    // Operators' reloads are announced; one made on another replica's word is not passed on.
    if (bus !== undefined && (origin === 'admin' || origin === 'signal')) {
      bus.publish('config', { digest: loaded.digest, version }).catch((error: unknown) => {
        logger.warn('could not announce the reload to the other replicas', { error });
      });
    }
    return outcome;
  }

  function reload(origin: ReloadOrigin = 'admin'): Promise<ReloadOutcome> {
    if (closed)
      return Promise.reject(new GatewayError('SERVICE_UNAVAILABLE', 'the gateway is shutting down'));
    const result = queue.then(() => run(origin));
    queue = result.catch(() => {});
    return result;
  }

  /** Reloads on another replica's word until this copy of the file is the one it announced. */
  function followAnnouncement(replica: string, announced: string): void {
    clearTimeout(following);
    const giveUpAt = Date.now() + follow.forMs;
    const attempt = async () => {
      following = undefined;
      if (closed || digest === announced) return;
      let problem: unknown;
      try {
        await reload('replica');
      } catch (error) {
        problem = error;
      }
      if (closed || digest === announced) return;
      if (Date.now() + follow.intervalMs <= giveUpAt) {
        following = setTimeout(() => void attempt(), follow.intervalMs);
        following.unref();
        return;
      }
      logger.warn('this replica\u2019s config file still differs from the one another replica reloaded', {
        replica,
        announced_digest: announced,
        digest,
        ...(problem === undefined ? {} : { error: problem }),
      });
    };
    void attempt();
  }

  const stopListening = bus?.subscribe('config', (message) => {
    const parsed = announcement.safeParse(message.payload);
    if (!parsed.success) {
      logger.warn('ignored a malformed config announcement', { replica: message.replica });
      return;
    }
    logger.info('another replica reloaded the configuration', {
      replica: message.replica,
      digest: parsed.data.digest,
      version: parsed.data.version,
    });
    followAnnouncement(message.replica, parsed.data.digest);
  });

  const reloader: ConfigReloader = {
    file,
    version: () => version,
    digest: () => digest,
    reload,
    async close() {
      closed = true;
      clearTimeout(following);
      stopListening?.();
      await queue;
    },
  };
  reloaders.set(live.gateway, reloader);
  return reloader;
}
