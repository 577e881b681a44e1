/**
 * @module gateway/create-gateway
 * Builds a gateway from a validated config: secrets into the redactor, logger, in-process
 * simulators for `type: simulator` providers, the registry with its adapters and prices, the
 * ledger and the admission stores (keys, budgets, rate limits) named by `storage.url`, metrics
 * and request statistics.
 */

import { createPriceCatalogue } from '../accounting/price-catalogue.js';
import { createAdmission } from '../admission/create-admission.js';
import { openAdmissionStores } from '../admission/stores.js';
import type { Config, SimulatorProfile } from '../config/schema.js';
import { attachJobs } from '../jobs/jobs.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/server.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { createRedactor } from '../observability/redact.js';
import { createRequestStats } from '../observability/stats.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry } from '../registry/registry.js';
import { loadCustomRouters } from '../routing/strategies/custom.js';
import { createMemoryLedger } from '../storage/memory/memory-ledger.js';
import type { Ledger } from '../storage/ports.js';
import { createSqliteLedger } from '../storage/sqlite/sqlite-ledger.js';
import { assembleGateway, type Gateway } from './gateway.js';
import { createNullLedger } from './null-ledger.js';

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
}

export function secretsOf(config: Config): string[] {
  const secrets: string[] = [];
  if (config.auth.master_key) secrets.push(config.auth.master_key);
  for (const provider of Object.values(config.providers)) {
    if ('api_key' in provider && provider.api_key) secrets.push(provider.api_key);
  }
  return secrets;
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

async function startSimulators(config: Config, host: string): Promise<Map<string, MockUpstream>> {
  const simulators = new Map<string, MockUpstream>();
  for (const [name, provider] of Object.entries(config.providers)) {
    if (provider.type !== 'simulator') continue;
    const models: Record<string, Partial<SimulatorProfile>> = {};
    for (const [modelName, model] of Object.entries(config.models)) {
      for (const deployment of model.deployments ?? []) {
        if (deployment.provider === name && deployment.simulate) {
          models[deployment.model ?? modelName] = deployment.simulate;
        }
      }
    }
    simulators.set(
      name,
      await startMockUpstream({ host, port: 0, profile: provider.profile, models, record: false }),
    );
  }
  return simulators;
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
  const simulators = await startSimulators(config, '127.0.0.1');
  const catalogue = createPriceCatalogue();
  const { registry, warnings } = createRegistry(config, {
    adapterFor,
    defaultBaseUrl,
    simulatorUrl: (name) => {
      const simulator = simulators.get(name);
      return simulator ? `${simulator.url}/v1` : undefined;
    },
    lookupPrices: (model) => catalogue.lookup(model),
  });
  for (const warning of warnings) logger.warn(warning);
  const ledger =
    options.ledger ??
    (await ledgerFromUrl(config, (error) => logger.error('ledger write failed; will retry', { error })));
  const metrics = createMetrics({ enabled: config.metrics.enabled });
  const stores = openAdmissionStores(config.storage.url, {
    ...(options.now ? { now: options.now } : {}),
    onError: (error) => logger.error('budget counter write failed; will retry', { error }),
  });
  if (stores.warning !== undefined) logger.warn(stores.warning);
  const admission = createAdmission({
    config,
    registry,
    counters: stores.counters,
    keys: stores.keys,
    logger,
    metricsRegistry: metrics.registry,
    ...(options.now ? { now: options.now } : {}),
    onClose: () => stores.close(),
  });
  const gateway = assembleGateway({
    config,
    registry,
    ledger,
    metrics,
    stats: createRequestStats(),
    logger,
    redactor,
    admission,
    // Custom router modules named in config are imported once, here (relative paths from the cwd).
    customRouters: await loadCustomRouters(config),
    closers: [
      async () => {
        await ledger.close();
      },
      async () => {
        await Promise.all([...simulators.values()].map((simulator) => simulator.close()));
      },
      async () => {
        await logger.flush();
      },
    ],
  });
  return options.jobs === false ? gateway : attachJobs(gateway);
}
