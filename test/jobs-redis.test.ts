/**
 * The job queue's acceptance on BullMQ (Redis), when REDIS_URL is set: a submitted job runs
 * through the gateway over real HTTP; a job that always fails backs off and lands in the dead
 * letters; a worker process killed mid-job with SIGKILL is replaced by another, and the job
 * completes exactly once. Every test uses its own key prefix and deletes its keys afterwards:
 * the Redis server outlives the test run.
 */

import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../src/config/load.js';
import { createGateway } from '../src/gateway/create-gateway.js';
import { startHttpServer } from '../src/http/server.js';
import { CHAT_JOB_ENDPOINT } from '../src/jobs/chat-job.js';
import { attachJobs } from '../src/jobs/jobs.js';
import { startMockUpstream } from '../src/mock-upstream/server.js';
import { createBullmqJobQueue } from '../src/storage/redis/bullmq-job-queue.js';
import { createSqliteLedger } from '../src/storage/sqlite/sqlite-ledger.js';
import { defaultTestConfig } from './helpers/harness.js';
import { call, chatRequest, jobIn, startWorkerProcess, until } from './helpers/job-processes.js';

const REDIS_URL = process.env.REDIS_URL;
const skip = REDIS_URL === undefined || REDIS_URL === '';

async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
  } finally {
    admin.disconnect();
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A gateway on the mock whose jobs live in BullMQ under a fresh prefix. */
async function rig() {
  const mock = await startMockUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-jobs-redis-'));
  const prefix = `switchyard-test-${randomUUID()}`;
  cleanups.push(
    () => mock.close(),
    () => rmSync(dir, { recursive: true, force: true }),
    () => deleteKeys(prefix),
  );
  const { config } = parseConfigObject({
    ...defaultTestConfig(mock.url),
    storage: { url: `sqlite://${join(dir, 'switchyard.db')}`, redis_url: REDIS_URL },
    execution: { max_retries: 0, circuit_breaker: { consecutive_failures: 1000, min_calls: 1000 } },
    ledger: { flush_ms: 5 },
    jobs: { poll_ms: 20, backoff_ms: 150, visibility_timeout_ms: 5_000 },
  });
  const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const gateway = await createGateway(config, { logDestination: silent, jobs: false });
  const queue = await createBullmqJobQueue({
    url: REDIS_URL!,
    prefix,
    backoffMs: 150,
    stalledIntervalMs: 200,
  });
  await attachJobs(gateway, { queue });
  const server = await startHttpServer(gateway, { host: '127.0.0.1', port: 0 });
  cleanups.push(async () => {
    await server.close();
    await gateway.close();
  });
  return { url: server.url, gateway, mock };
}

describe.skipIf(skip)('jobs over HTTP (BullMQ)', () => {
  it('runs a submitted job and stores the OpenAI chat completion', async () => {
    const { url, gateway, mock } = await rig();
    const submitted = await call(url, 'POST', '/v1/jobs', {
      request: chatRequest('Hello, Redis'),
      priority: 3,
    });
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({ priority: 3, max_attempts: 3 });
    // The worker polls Redis on its own: it may have taken the job before the reply was built.
    expect(['waiting', 'active']).toContain(submitted.body.status);
    const done = await jobIn(url, String(submitted.body.id), ['completed']);
    const result = done.result as { id: string; object: string };
    expect(done).toMatchObject({ attempts: 1 });
    expect(result.object).toBe('chat.completion');
    expect(mock.requests).toHaveLength(1);
    await gateway.ledger.flush();
    expect(await gateway.ledger.get(result.id.slice('chatcmpl-'.length))).toMatchObject({
      endpoint: CHAT_JOB_ENDPOINT,
      status: 'ok',
    });
    const queue = await call(url, 'GET', '/admin/queue');
    expect(queue.body.jobs).toMatchObject({ backend: 'bullmq', completed: 1, dead: 0, waiting: 0 });
  });

  it('backs off a failing job and puts it in the dead letters after its attempts', async () => {
    const { url, gateway, mock } = await rig();
    const submitted = await call(url, 'POST', '/v1/jobs', {
      request: chatRequest('Always failing [[mock:fault=http_500]]'),
      max_attempts: 3,
    });
    const id = String(submitted.body.id);
    const dead = await jobIn(url, id, ['dead']);
    expect(dead).toMatchObject({ attempts: 3, error: { code: 'MODEL_ERROR', status: 502 } });
    expect(mock.requests).toHaveLength(3);
    await gateway.ledger.flush();
    const times = (await gateway.ledger.query({}))
      .filter((r) => r.endpoint === CHAT_JOB_ENDPOINT)
      .map((r) => r.timestamp)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(290);
    const listed = await call(url, 'GET', '/v1/jobs?state=dead');
    expect((listed.body.data as { id: string }[]).map((job) => job.id)).toEqual([id]);
    expect((await call(url, 'POST', `/v1/jobs/${id}/retry`)).status).toBe(200);
    expect((await jobIn(url, id, ['dead'])).attempts).toBe(3);
    expect(mock.requests).toHaveLength(6);
  });
});

describe.skipIf(skip)('a worker killed mid-job (BullMQ)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('completes the job exactly once on the worker that takes over', async () => {
    const mock = await startMockUpstream({ models: { 'slow-model': { latency_ms: 1_500 } } });
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-jobs-redis-kill-'));
    const prefix = `switchyard-test-${randomUUID()}`;
    cleanups.push(
      () => mock.close(),
      () => rmSync(dir, { recursive: true, force: true }),
      () => deleteKeys(prefix),
    );
    const db = join(dir, 'switchyard.db');
    const args = [
      '--db',
      db,
      '--mock',
      mock.url,
      '--lease',
      '1000',
      '--redis',
      REDIS_URL!,
      '--prefix',
      prefix,
    ];

    const first = await startWorkerProcess(args);
    children.push(first.child);
    const submitted = await call(first.url, 'POST', '/v1/jobs', {
      request: chatRequest('Summarise the incident report', 'slow'),
    });
    const id = String(submitted.body.id);
    await until(async () => (mock.requests.length === 1 ? true : undefined), 10_000, 'the first attempt');
    expect((await call(first.url, 'GET', `/v1/jobs/${id}`)).body).toMatchObject({
      status: 'active',
      attempts: 1,
    });
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startWorkerProcess(args);
    children.push(second.child);
    const done = await jobIn(second.url, id, ['completed'], 20_000);
    expect(done).toMatchObject({ status: 'completed', attempts: 2 });
    const result = done.result as { id: string; object: string };
    expect(result.object).toBe('chat.completion');
    expect(mock.requests).toHaveLength(2);
    const counts = (await call(second.url, 'GET', '/admin/queue')).body.jobs;
    expect(counts).toMatchObject({
      backend: 'bullmq',
      completed: 1,
      active: 0,
      waiting: 0,
      delayed: 0,
      dead: 0,
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const ledger = createSqliteLedger({ path: db, writer: 'inline' });
    const records = (await ledger.query({})).filter((r) => r.endpoint === CHAT_JOB_ENDPOINT);
    await ledger.close();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ requestId: result.id.slice('chatcmpl-'.length), status: 'ok' });
  });
});
