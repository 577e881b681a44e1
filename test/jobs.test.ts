/**
 * The job queue end to end on the embedded SQLite backend, over real HTTP against the mock
 * upstream: a submitted job runs through the gateway and stores an OpenAI chat completion;
 * priorities order the claims; a job that always fails backs off between attempts and lands in
 * the dead letters, from where an admin can retry it; bad submissions are refused naming the
 * field; a key sees only its own jobs. The acceptance test kills a worker process mid-job with
 * SIGKILL, starts another on the same database, and checks the job completes exactly once.
 */

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { CHAT_COMPLETION_KIND, CHAT_JOB_ENDPOINT, createChatJobHandler } from '../src/jobs/chat-job.js';
import { jobsOf } from '../src/jobs/jobs.js';
import { createJobWorker, type JobSettled } from '../src/jobs/worker.js';
import { type MockUpstream, startMockUpstream } from '../src/mock-upstream/server.js';
import { createSqliteJobQueue } from '../src/storage/sqlite/sqlite-job-queue.js';
import { createSqliteLedger } from '../src/storage/sqlite/sqlite-ledger.js';
import { defaultTestConfig, type Harness, startHarness } from './helpers/harness.js';
import { call, chatRequest, jobIn, startWorkerProcess, until } from './helpers/job-processes.js';

const MASTER = 'sk-master-jobs-test-0123456789';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
});

async function harness(extra: Partial<ConfigInput> = {}) {
  const h = await startHarness({
    config: (mockUrl) => ({
      ...defaultTestConfig(mockUrl),
      execution: { max_retries: 0, circuit_breaker: { consecutive_failures: 1000, min_calls: 1000 } },
      jobs: { poll_ms: 20, backoff_ms: 100, visibility_timeout_ms: 5_000 },
      ...extra,
    }),
  });
  harnesses.push(h);
  return h;
}

describe('jobs over HTTP (SQLite)', () => {
  it('runs a submitted job through the gateway and stores the OpenAI chat completion', async () => {
    const h = await harness();
    const submitted = await call(h.url, 'POST', '/v1/jobs', {
      request: chatRequest('Say hello to the queue'),
    });
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({
      object: 'job',
      kind: CHAT_COMPLETION_KIND,
      attempts: 0,
      max_attempts: 3,
    });
    const id = String(submitted.body.id);

    const done = await jobIn(h.url, id, ['completed']);
    expect(done).toMatchObject({ status: 'completed', attempts: 1 });
    const result = done.result as {
      id: string;
      object: string;
      model: string;
      choices: { message: { role: string; content: string }; finish_reason: string }[];
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    expect(result.object).toBe('chat.completion');
    expect(result.model).toBe('gpt-4o-mini');
    expect(result.choices[0]?.message.role).toBe('assistant');
    expect(result.choices[0]?.message.content.length).toBeGreaterThan(0);
    expect(result.usage.completion_tokens).toBeGreaterThan(0);
    // The mock served exactly this request, once.
    const served = h.mock.requests.filter((r) => r.path.startsWith('/v1/chat/completions'));
    expect(served).toHaveLength(1);
    expect(JSON.stringify(served[0]?.body)).toContain('Say hello to the queue');

    // One ledger record, under the job endpoint, linked to the result by its request id.
    const requestId = result.id.slice('chatcmpl-'.length);
    await h.gateway.ledger.flush();
    const record = await h.gateway.ledger.get(requestId);
    expect(record).toMatchObject({ endpoint: CHAT_JOB_ENDPOINT, status: 'ok', model: 'gpt-4o-mini' });
    expect(record?.costNanos).toBeGreaterThan(0);

    const queue = await call(h.url, 'GET', '/admin/queue');
    expect(queue.status).toBe(200);
    expect(queue.body.jobs).toMatchObject({
      backend: 'sqlite',
      completed: 1,
      waiting: 0,
      active: 0,
      dead: 0,
    });
    expect(queue.body).toHaveProperty('retry_budget');
  });

  it('claims higher priorities first', async () => {
    // No worker in the gateway: jobs wait until the test starts one over the same queue.
    const h = await harness({ jobs: { concurrency: 0, poll_ms: 20 } });
    const ids: Record<string, string> = {};
    for (const [name, priority] of [
      ['low', -5],
      ['normal-1', 0],
      ['urgent', 50],
      ['normal-2', 0],
      ['high', 10],
    ] as const) {
      const reply = await call(h.url, 'POST', '/v1/jobs', { request: chatRequest(`job ${name}`), priority });
      expect(reply.status).toBe(202);
      ids[String(reply.body.id)] = name;
    }
    const jobs = jobsOf(h.gateway)!;
    expect(await jobs.queue.counts()).toMatchObject({ waiting: 5, active: 0 });
    const order: string[] = [];
    const worker = createJobWorker({
      queue: jobs.queue,
      handlers: { [CHAT_COMPLETION_KIND]: createChatJobHandler(h.gateway) },
      concurrency: 1,
      leaseMs: 5_000,
      pollMs: 20,
      onSettled: (event: JobSettled) => order.push(ids[event.job.id] ?? '?'),
    });
    worker.start();
    await until(async () => (order.length === 5 ? true : undefined), 10_000, 'five jobs');
    await worker.stop();
    expect(order).toEqual(['urgent', 'high', 'normal-1', 'normal-2', 'low']);
    // The upstream saw them in the same order.
    const prompts = h.mock.requests.map((r) => JSON.stringify(r.body).match(/job ([a-z0-9-]+)/)?.[1]);
    expect(prompts).toEqual(['urgent', 'high', 'normal-1', 'normal-2', 'low']);
  });

  it('backs off between attempts of a failing job and puts it in the dead letters', async () => {
    const h = await harness({ jobs: { poll_ms: 20, backoff_ms: 150 } });
    const submitted = await call(h.url, 'POST', '/v1/jobs', {
      request: chatRequest('This always fails [[mock:fault=http_500]]'),
      max_attempts: 3,
    });
    expect(submitted.status).toBe(202);
    const id = String(submitted.body.id);

    const dead = await jobIn(h.url, id, ['dead']);
    expect(dead).toMatchObject({
      status: 'dead',
      attempts: 3,
      max_attempts: 3,
      error: { code: 'MODEL_ERROR', status: 502 },
    });
    expect(dead.result).toBeUndefined();
    expect(h.mock.requests).toHaveLength(3);

    // Each attempt is one ledger record; the gaps between them are the backoff: 150 ms, 300 ms.
    await h.gateway.ledger.flush();
    const attempts = (await h.gateway.ledger.query({})).filter((r) => r.endpoint === CHAT_JOB_ENDPOINT);
    expect(attempts).toHaveLength(3);
    expect(attempts.every((r) => r.status === 'error')).toBe(true);
    const times = attempts.map((r) => r.timestamp).sort((a, b) => a - b);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(290);

    const listed = await call(h.url, 'GET', '/v1/jobs?state=dead');
    expect((listed.body.data as { id: string }[]).map((job) => job.id)).toEqual([id]);
    const queue = await call(h.url, 'GET', '/admin/queue');
    expect(queue.body.jobs).toMatchObject({ dead: 1, completed: 0 });

    // An admin retries it: a fresh set of attempts, and (the fault is in the prompt) dead again.
    const retried = await call(h.url, 'POST', `/v1/jobs/${id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.status).not.toBe('dead');
    const again = await jobIn(h.url, id, ['dead']);
    expect(again.attempts).toBe(3);
    expect(h.mock.requests).toHaveLength(6);
    const notDead = await call(h.url, 'POST', '/v1/jobs/no-such-job/retry');
    expect(notDead.status).toBe(404);
  });

  it('sends a job the upstream refuses as a bad request straight to the dead letters', async () => {
    const h = await harness();
    const submitted = await call(h.url, 'POST', '/v1/jobs', {
      request: chatRequest('Refused [[mock:fault=http_400]]'),
      max_attempts: 5,
    });
    const dead = await jobIn(h.url, String(submitted.body.id), ['dead']);
    expect(dead).toMatchObject({ attempts: 1, error: { status: 400 } });
    expect(h.mock.requests).toHaveLength(1);
    const completed = await call(h.url, 'POST', '/v1/jobs', { request: chatRequest('Fine') });
    await jobIn(h.url, String(completed.body.id), ['completed']);
    const late = await call(h.url, 'POST', `/v1/jobs/${completed.body.id}/retry`);
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { status: 'completed' } });
  });

  it('refuses a bad submission naming the field, and unknown jobs', async () => {
    const h = await harness();
    const cases: [unknown, number, string][] = [
      [{ request: { model: 'gpt-4o-mini' } }, 400, 'request.messages'],
      [
        { request: { ...chatRequest('x'), messages: [{ role: 'wizard', content: 'x' }] } },
        400,
        'request.messages[0].role',
      ],
      [{ request: chatRequest('x', 'no-such-model') }, 404, 'request.model'],
      [{ request: { ...chatRequest('x'), stream: true } }, 400, 'request.stream'],
      [{ request: chatRequest('x'), priority: 5000 }, 400, 'priority'],
      [{ request: chatRequest('x'), max_attempts: 0 }, 400, 'max_attempts'],
      [{ request: chatRequest('x'), kind: 'embedding' }, 400, 'kind'],
      [{ request: chatRequest('x'), callback_url: 'http://x' }, 400, 'callback_url'],
      [{ priority: 1 }, 400, 'request'],
      [[1, 2], 400, 'body'],
    ];
    for (const [body, status, field] of cases) {
      const reply = await call(h.url, 'POST', '/v1/jobs', body);
      expect(reply.status, JSON.stringify(reply.body)).toBe(status);
      expect(reply.body.error).toMatchObject({ details: { field } });
    }
    expect(h.mock.requests).toHaveLength(0);
    expect((await jobsOf(h.gateway)!.queue.counts()).waiting).toBe(0);
    expect((await call(h.url, 'GET', '/v1/jobs/no-such-job')).status).toBe(404);
    expect((await call(h.url, 'GET', '/v1/jobs?state=sleeping')).status).toBe(400);
  });

  it('shows a key only its own jobs; retrying is for admins', async () => {
    const h = await harness({ auth: { master_key: MASTER } });
    const mint = async (name: string) => {
      const reply = await call(h.url, 'POST', '/admin/keys', { name }, MASTER);
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
      return reply.body as { id: string; key: string };
    };
    const alice = await mint('alice');
    const bob = await mint('bob');
    expect((await call(h.url, 'POST', '/v1/jobs', { request: chatRequest('x') })).status).toBe(401);
    const submitted = await call(
      h.url,
      'POST',
      '/v1/jobs',
      { request: chatRequest('Alice asks') },
      alice.key,
    );
    expect(submitted.status).toBe(202);
    const id = String(submitted.body.id);
    await jobIn(h.url, id, ['completed'], 10_000, alice.key);
    expect((await call(h.url, 'GET', `/v1/jobs/${id}`, undefined, bob.key)).status).toBe(404);
    expect((await call(h.url, 'GET', `/v1/jobs/${id}`, undefined, MASTER)).status).toBe(200);
    const bobs = await call(h.url, 'GET', '/v1/jobs', undefined, bob.key);
    expect(bobs.body.data).toEqual([]);
    const alices = await call(h.url, 'GET', '/v1/jobs', undefined, alice.key);
    expect((alices.body.data as { id: string }[]).map((job) => job.id)).toEqual([id]);
    expect((await call(h.url, 'POST', `/v1/jobs/${id}/retry`, undefined, alice.key)).status).toBe(403);

    // The job ran as Alice's key: its ledger record carries her key id.
    await h.gateway.ledger.flush();
    const records = (await h.gateway.ledger.query({ keyId: alice.id })).filter(
      (r) => r.endpoint === CHAT_JOB_ENDPOINT,
    );
    expect(records).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// The acceptance test: a worker process killed mid-job, another started on the same database.

describe('a worker killed mid-job (SQLite)', () => {
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('completes the job exactly once on the worker that takes over', async () => {
    const mock: MockUpstream = await startMockUpstream({ models: { 'slow-model': { latency_ms: 1_500 } } });
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-jobs-kill-'));
    cleanups.push(
      () => mock.close(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
    const db = join(dir, 'switchyard.db');
    const args = ['--db', db, '--mock', mock.url, '--lease', '1000'];

    const first = await startWorkerProcess(args);
    children.push(first.child);
    const submitted = await call(first.url, 'POST', '/v1/jobs', {
      request: chatRequest('Summarise the incident report', 'slow'),
    });
    expect(submitted.status).toBe(202);
    const id = String(submitted.body.id);

    // The first worker has the job and is waiting on the slow upstream: kill it there.
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
    const result = done.result as { id: string; object: string; model: string };
    expect(result).toMatchObject({ object: 'chat.completion', model: 'slow' });
    // Two attempts reached the upstream — the killed one and the one that completed.
    expect(mock.requests).toHaveLength(2);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // One completion: the stored job and its result, and one successful ledger record — the
    // final run's, whose request id the result carries. The killed attempt wrote nothing.
    const queue = createSqliteJobQueue({ path: db });
    const stored = await queue.get(id);
    expect(stored).toMatchObject({ state: 'completed', attempts: 2, result: { id: result.id } });
    expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 1, dead: 0 });
    await queue.close();
    const ledger = createSqliteLedger({ path: db, writer: 'inline' });
    const records = (await ledger.query({})).filter((r) => r.endpoint === CHAT_JOB_ENDPOINT);
    await ledger.close();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      requestId: result.id.slice('chatcmpl-'.length),
      status: 'ok',
      model: 'slow',
    });
  });
});
