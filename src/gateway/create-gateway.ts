/**
 * @module gateway/create-gateway
 * Builds a gateway from a validated config: secrets into the redactor, logger, in-process
 * simulators for `type: simulator` providers, the registry with its adapters and prices, the
 * ledger and the admission stores (keys, budgets, rate limits) named by `storage.url`, metrics
 * and request statistics, the execution state (breakers, deployment statistics) and the replica
 * bus. What follows the configuration — registry, admission, router, executor — is assembled by
 * one function, at start and again on each config reload, around the parts that outlive it.
 */

import { readFile } from 'node:fs/promises';
import { createPriceCatalogue } from '../accounting/price-catalogue.js';
import { createBudgetBook } from '../admission/budgets.js';
import { createAdmission } from '../admission/create-admission.js';
import { reseedBudgets } from '../admission/reseed-budgets.js';
import { openAdmissionStores } from '../admission/stores.js';
import { openResponseCache } from '../cache/open-response-cache.js';
import { configDigest } from '../config/reload.js';
import type { Config } from '../config/schema.js';
import { attachJobs } from '../jobs/jobs.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { createRedactor } from '../observability/redact.js';
import { createRequestStats } from '../observability/stats.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry } from '../registry/registry.js';
import { loadPriorsFile } from '../routing/priors-file.js';
import { loadCustomRouters } from '../routing/strategies/custom.js';
import type { MessageBus } from '../storage/bus-ports.js';
import { createMemoryBus } from '../storage/memory/memory-bus.js';
import { createMemoryLedger } from '../storage/memory/memory-ledger.js';
import type { Ledger } from '../storage/ports.js';
import { createSqliteLedger } from '../storage/sqlite/sqlite-ledger.js';
import { announceKeyChange, joinCluster } from './cluster.js';
import { type ConfigReloader, createConfigReloader } from './config-reloader.js';
import { createExecutionRuntime } from './execution-runtime.js';
import { assembleGateway, type Gateway } from './gateway.js';
import { createLiveGateway } from './live-gateway.js';
import { createNullLedger } from './null-ledger.js';
import { createSimulatorPool } from './simulators.js';

export interface CreateGatewayOptions {
  /** Extra secrets to keep out of every output (e.g. from the environment). */
  secrets?: string[];
  /** Log destination (defaults to stdout, or `logging.file`). */
  logDestination?: NodeJS.WritableStream;
  logger?: Logger;
  /** Use this ledger instead of the one `storage.url` names. */
  ledger?: Ledger;
  /** The clock of budget windows, reservations and rate limits (tests inject one). */
  now?: () => number;
  /** False: no job queue or worker (one-shot commands); default per `jobs.enabled`. */
  jobs?: boolean;
  /** The file `config` was read from: `POST /admin/config/reload` and SIGHUP read it again. */
  configFile?: string;
  /** The replica bus (tests share an in-process one); default: Redis on `storage.redis_url`, else none. */
  bus?: MessageBus;
}

export function secretsOf(config: Config): string[] {
  const secrets: string[] = [];
  if (config.auth.master_key) secrets.push(config.auth.master_key);
  for (const provider of Object.values(config.providers)) {
    if ('api_key' in provider && provider.api_key) secrets.push(provider.api_key);
  }
  // Database and Redis passwords, from their URLs (a connection error may quote the URL).
  for (const url of [config.storage.url, config.storage.redis_url]) {
    const password = url === undefined ? '' : passwordOf(url);
    if (password !== '') secrets.push(password);
  }
  return secrets;
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

export async function ledgerFromUrl(config: Config, onError: (error: unknown) => void): Promise<Ledger> {
  if (!config.ledger.enabled) return createNullLedger();
  const url = config.storage.url;
  if (url === 'memory://' || url === 'memory') return createMemoryLedger();
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length) || './switchyard.db';
    return createSqliteLedger({
      path,
      batchSize: config.ledger.batch_size,
      flushMs: config.ledger.flush_ms,
      onError,
    });
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // Loaded only when named: node-postgres costs tens of milliseconds at start-up. Batches wait
    // in ./switchyard-spool (fsynced) while the database is unreachable.
    const { createPostgresLedger } = await import('../storage/postgres/postgres-ledger.js');
    return createPostgresLedger({
      url,
      batchSize: config.ledger.batch_size,
      flushMs: config.ledger.flush_ms,
      onError,
    });
  }
  throw new Error(
    `storage.url: unsupported storage "${url.split(':')[0]}"; use sqlite://PATH, postgres://… or memory://`,
  );
}

export async function createGateway(config: Config, options: CreateGatewayOptions = {}): Promise<Gateway> {
  const redactor = createRedactor({ secrets: [...secretsOf(config), ...(options.secrets ?? [])] });
  const logger =
    options.logger ??
    createLogger({
      level: config.logging.level,
      ...(config.logging.file ? { file: config.logging.file } : {}),
      ...(options.logDestination ? { destination: options.logDestination } : {}),
      redactor,
    });
  // The BPE tokenizer loads lazily, on the first request whose provider reports no usage: loading
  // it at start costs ~60 MB of RSS that most deployments never need.
  const simulators = createSimulatorPool('127.0.0.1');
  const catalogue = createPriceCatalogue();
  const ledger =
    options.ledger ??
    (await ledgerFromUrl(config, (error) => logger.error('ledger write failed; will retry', { error })));
  const metrics = createMetrics({ enabled: config.metrics.enabled });
  // The budgets of the running config, for re-seeding counters a restarted Redis lost.
  let budgets = config.budgets;
  const stores = await openAdmissionStores(config.storage, {
    ...(options.now ? { now: options.now } : {}),
    onError: (error) => logger.error('budget counter store failed; will retry', { error }),
    onStateChange: (state, cause) =>
      state === 'redis'
        ? logger.info('budget and rate-limit counters are shared through Redis again')
        : logger.warn('Redis is unreachable: budgets and rate limits follow storage.redis_down', {
            error: cause,
          }),
    onReset: async ({ seed, keys }, { atStart }) => {
      await ledger.flush();
      const now = (options.now ?? Date.now)();
      const book = createBudgetBook(budgets);
      const result = await reseedBudgets({ seed, keys, book, ledger, now });
      logger.info(
        `budget counters re-seeded from the ledger${atStart ? ' at start' : ' after Redis lost them'}`,
        {
          counters: result.counters,
          spent_usd: result.nanos / 1e9,
        },
      );
    },
  });
  if (stores.warning !== undefined) logger.warn(stores.warning);
  const runtime = createExecutionRuntime(config, { metrics, logger });
  const stats = createRequestStats();
  const bus = options.bus ?? (await openReplicaBus(config, logger));
  // Read at start, like the storage it lives in; a reload keeps the running cache.
  const cache = await openResponseCache(config, {
    logger,
    ...(config.metrics.enabled ? { metricsRegistry: metrics.registry } : {}),
    ...(options.now ? { now: options.now } : {}),
  });

  /** What follows the configuration, assembled around what does not: at start, and again on each reload. */
  const build = async (next: Config): Promise<Gateway> => {
    for (const secret of secretsOf(next)) redactor.addSecret(secret);
    const simulatorUrls = await simulators.urlsFor(next);
    const { registry, warnings } = createRegistry(next, {
      adapterFor,
      defaultBaseUrl,
      simulatorUrl: (name) => simulatorUrls.get(name),
      lookupPrices: (model) => catalogue.lookup(model),
    });
    for (const warning of warnings) logger.warn(warning);
    const admission = createAdmission({
      config: next,
      registry,
      counters: stores.counters,
      keys: stores.keys,
      logger,
      metricsRegistry: metrics.registry,
      ...(options.now ? { now: options.now } : {}),
      onKeyRevoked: (id) => announceKeyChange(bus, logger, id, 'revoked'),
    });
    // Custom router modules named in config are imported here (relative paths from the cwd).
    const customRouters = await loadCustomRouters(next);
    // Learned priors are read here; strategies see them in every routing snapshot.
    const priors =
      next.routing.priors_file === undefined ? undefined : await loadPriorsFile(next.routing.priors_file);
    runtime.configure(
      next,
      registry.deployments().map((deployment) => deployment.id),
    );
    const built = assembleGateway({
      config: next,
      registry,
      ledger,
      metrics,
      stats,
      logger,
      redactor,
      admission,
      runtime,
      customRouters,
      ...(priors === undefined ? {} : { priors }),
      ...(cache === undefined ? {} : { cache }),
    });
    // Only a configuration that built: a rejected reload must not change what a re-seed uses.
    budgets = next.budgets;
    return built;
  };

  let reloader: ConfigReloader | undefined;
  let leaveCluster: (() => void) | undefined;
  const live = createLiveGateway(await build(config), {
    onError: (error) => logger.error('closing a replaced configuration failed', { error }),
    beforeClose: async () => {
      leaveCluster?.();
      await reloader?.close();
    },
    afterClose: async () => {
      await bus.close();
      await runtime.close();
      await cache?.close();
      await stores.close();
      await ledger.close();
      await simulators.close();
      await logger.flush();
    },
  });
  reloader = createConfigReloader({
    live,
    build,
    file: options.configFile,
    ...(options.configFile === undefined ? {} : { digest: await digestOf(options.configFile) }),
    bus,
    logger,
    applied: (next) => {
      if (options.logger === undefined) logger.pino.level = next.logging.level;
    },
  });
  leaveCluster = joinCluster({ bus, gateway: live.gateway, runtime, reloader, logger });
  return options.jobs === false ? live.gateway : attachJobs(live.gateway);
}

/** The replica bus `storage.redis_url` names; without Redis, one only this process hears. */
async function openReplicaBus(config: Config, logger: Logger): Promise<MessageBus> {
  const url = config.storage.redis_url;
  if (url === undefined || url === '') return createMemoryBus();
  // Loaded only when named, like the PostgreSQL ledger.
  const { createRedisBus } = await import('../storage/redis/redis-bus.js');
  return createRedisBus({
    url,
    prefix: config.storage.redis_prefix,
    onError: throttled((error) => logger.warn('replica bus (Redis) error', { error })),
  });
}

/** The digest of the file the gateway starts from, for comparing with other replicas' reloads. */
async function digestOf(file: string): Promise<string | undefined> {
  try {
    return configDigest(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A lost Redis reports every reconnection attempt: pass on the first, then one a minute. */
function throttled(report: (error: unknown) => void): (error: unknown) => void {
  let last = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < 60_000) return;
    last = now;
    report(error);
  };
}
