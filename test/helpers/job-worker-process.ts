/**
 * A gateway with a job worker, as a process of its own, for the tests that kill a worker in the
 * middle of a job. Run with `node --import tsx test/helpers/job-worker-process.ts` and:
 *   --db PATH        the SQLite file of the ledger and (without --redis) the job queue
 *   --mock URL       the mock upstream (model `slow` is its `slow-model`, `fast` its `gpt-4o-mini`)
 *   --lease MS       jobs.visibility_timeout_ms (default 1000)
 *   --redis URL      put the jobs on BullMQ at this Redis…
 *   --prefix P       …under this key prefix
 * Prints one JSON line `{"url", "pid"}` once it serves, logs (warn and up) to stderr, and on
 * SIGTERM shuts down cleanly (running jobs finish, the ledger is flushed) and exits 0.
 */

import { parseConfigObject } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway/create-gateway.js';
import { startHttpServer } from '../../src/http/server.js';
import { attachJobs } from '../../src/jobs/jobs.js';
import { createBullmqJobQueue } from '../../src/storage/redis/bullmq-job-queue.js';

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

const db = flag('db');
const mock = flag('mock');
if (db === undefined || mock === undefined) {
  process.stderr.write(
    'usage: job-worker-process --db PATH --mock URL [--lease MS] [--redis URL --prefix P]\n',
  );
  process.exit(2);
}
const lease = Number(flag('lease') ?? 1000);
const redis = flag('redis');

const { config } = parseConfigObject({
  storage: { url: `sqlite://${db}` },
  providers: { mock: { type: 'openai', base_url: `${mock}/v1`, api_key: 'sk-test-provider-key-0123456789' } },
  models: {
    slow: {
      pricing: { input_per_mtok: 1, output_per_mtok: 2 },
      deployments: [{ provider: 'mock', model: 'slow-model' }],
    },
    fast: {
      pricing: { input_per_mtok: 1, output_per_mtok: 2 },
      deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }],
    },
  },
  execution: { max_retries: 0 },
  logging: { level: 'warn' },
  ledger: { flush_ms: 5 },
  jobs: { concurrency: 2, visibility_timeout_ms: lease, poll_ms: 50, backoff_ms: 100 },
});

const gateway = await createGateway(config, { logDestination: process.stderr, jobs: redis === undefined });
if (redis !== undefined) {
  const queue = await createBullmqJobQueue({
    url: redis,
    prefix: flag('prefix') ?? 'switchyard-test',
    backoffMs: config.jobs.backoff_ms,
    maxAttempts: config.jobs.max_attempts,
    stalledIntervalMs: Math.max(100, Math.floor(lease / 4)),
  });
  await attachJobs(gateway, { queue });
}
const server = await startHttpServer(gateway, { host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);

let stopping = false;
process.once('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await server.close();
    await gateway.close();
    process.exit(0);
  })();
});
