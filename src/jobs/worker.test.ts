import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import type { Job } from '../storage/job-ports.js';
import { createMemoryJobQueue } from '../storage/memory/memory-job-queue.js';
import { isRetryableForJob, toJobError } from './job-error.js';
import { createJobWorker, type JobHandler, type JobSettled } from './worker.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

function settledLog() {
  const events: JobSettled[] = [];
  return { events, onSettled: (event: JobSettled) => events.push(event) };
}

describe('job worker', () => {
  it('runs at most `concurrency` jobs at once and completes them all', async () => {
    const queue = createMemoryJobQueue();
    for (let i = 0; i < 7; i++) await queue.enqueue({ kind: 'work', payload: { i } });
    let running = 0;
    let peak = 0;
    const handler: JobHandler = async (job) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(30);
      running--;
      return { doubled: (job.payload as { i: number }).i * 2 };
    };
    const log = settledLog();
    const worker = createJobWorker({
      queue,
      handlers: { work: handler },
      concurrency: 3,
      leaseMs: 5_000,
      pollMs: 10,
      ...log,
    });
    worker.start();
    await until(() => log.events.length === 7);
    await worker.stop();
    expect(peak).toBe(3);
    expect(log.events.every((e) => e.outcome === 'completed')).toBe(true);
    expect(await queue.counts()).toMatchObject({ completed: 7, waiting: 0, active: 0 });
    const one = (await queue.list({ state: 'completed' })).find(
      (job) => (job.payload as { i: number }).i === 5,
    );
    expect(one?.result).toEqual({ doubled: 10 });
  });

  it('renews the lease of a long job so no other worker takes it', async () => {
    const queue = createMemoryJobQueue();
    const id = await queue.enqueue({ kind: 'slow', payload: {} });
    const log = settledLog();
    const worker = createJobWorker({
      queue,
      handlers: { slow: () => sleep(500).then(() => 'done') },
      concurrency: 1,
      leaseMs: 120,
      pollMs: 10,
      ...log,
    });
    worker.start();
    await until(async () => (await queue.get(id))?.state === 'active');
    // A rival polls all along; the renewed lease never lapses.
    let stolen: Job | undefined;
    while (log.events.length === 0) {
      stolen ??= await queue.claim('rival', 120);
      await sleep(20);
    }
    await worker.stop();
    expect(stolen).toBeUndefined();
    expect(log.events[0]?.outcome).toBe('completed');
    expect(await queue.get(id)).toMatchObject({ state: 'completed', attempts: 1, result: 'done' });
  });

  it('aborts a job whose lease another worker took over, and leaves the completion to that one', async () => {
    let clock = 1_000_000;
    const queue = createMemoryJobQueue({ now: () => clock });
    const id = await queue.enqueue({ kind: 'stuck', payload: {} });
    let aborted: unknown;
    const log = settledLog();
    const worker = createJobWorker({
      queue,
      handlers: {
        stuck: (_job, signal) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              aborted = signal.reason;
              reject(new Error('aborted'));
            });
          }),
      },
      concurrency: 1,
      leaseMs: 90,
      pollMs: 10_000,
      ...log,
    });
    worker.start();
    await until(async () => (await queue.get(id))?.state === 'active');
    // The worker's clock stops while the queue's moves on: as if its process stalled.
    clock += 1_000;
    const rival = await queue.claim('rival', 60_000);
    expect(rival).toMatchObject({ id, attempts: 2 });
    await until(() => log.events.length === 1);
    expect(log.events[0]?.outcome).toBe('lost');
    expect(String(aborted)).toMatch(/taken over/);
    expect(await queue.complete(id, 'rival', 'rival wins')).toBe(true);
    await worker.stop();
    expect(await queue.get(id)).toMatchObject({ state: 'completed', result: 'rival wins' });
  });

  it('retries a retryable failure after its Retry-After and buries an unknown kind at once', async () => {
    const queue = createMemoryJobQueue({ backoffMs: 10 });
    const flaky = await queue.enqueue({ kind: 'flaky', payload: {}, priority: 1 });
    const unknown = await queue.enqueue({ kind: 'mystery', payload: {} });
    let calls = 0;
    const log = settledLog();
    const worker = createJobWorker({
      queue,
      handlers: {
        flaky: async () => {
          calls++;
          if (calls === 1) {
            throw new GatewayError('RATE_LIMIT_EXCEEDED', 'slow down', { retryAfterMs: 300 });
          }
          return 'fine';
        },
      },
      concurrency: 1,
      leaseMs: 5_000,
      pollMs: 10,
      ...log,
    });
    const started = Date.now();
    worker.start();
    await until(() => log.events.length === 3);
    await worker.stop();
    const byId = (jobId: string) => log.events.filter((e) => e.job.id === jobId).map((e) => e.outcome);
    expect(byId(flaky)).toEqual(['delayed', 'completed']);
    expect(byId(unknown)).toEqual(['dead']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await queue.get(unknown)).toMatchObject({
      state: 'dead',
      error: { code: 'INVALID_REQUEST', retryable: false },
    });
  });

  it('claims at once when woken instead of waiting for the next poll', async () => {
    const queue = createMemoryJobQueue();
    const log = settledLog();
    const worker = createJobWorker({
      queue,
      handlers: { quick: async () => 'ok' },
      concurrency: 1,
      leaseMs: 5_000,
      pollMs: 60_000,
      ...log,
    });
    worker.start();
    await sleep(20);
    await queue.enqueue({ kind: 'quick', payload: {} });
    worker.wake();
    await until(() => log.events.length === 1, 1_000);
    await worker.stop();
  });

  it('on stop, waits for running jobs, then abandons them to their leases', async () => {
    const queue = createMemoryJobQueue();
    const finishing = await queue.enqueue({ kind: 'short', payload: {}, priority: 2 });
    const hanging = await queue.enqueue({ kind: 'hang', payload: {}, priority: 1 });
    const log = settledLog();
    const worker = createJobWorker({
      queue,
      handlers: {
        short: () => sleep(100).then(() => 'finished'),
        // Ignores the abort entirely: stop() must not hang on it.
        hang: () => new Promise(() => {}),
      },
      concurrency: 2,
      leaseMs: 200,
      pollMs: 10,
      stopTimeoutMs: 250,
      ...log,
    });
    worker.start();
    await until(() => worker.running() === 2);
    const stopping = Date.now();
    await worker.stop();
    expect(Date.now() - stopping).toBeLessThan(2_000);
    expect(await queue.get(finishing)).toMatchObject({ state: 'completed', result: 'finished' });
    // The abandoned job is still leased; once the lease lapses another worker takes it.
    expect((await queue.get(hanging))?.state).toBe('active');
    await until(async () => (await queue.claim('next', 1_000))?.id === hanging, 2_000);
    // Nothing is claimed after stop.
    await queue.enqueue({ kind: 'short', payload: {} });
    await sleep(50);
    expect((await queue.counts()).waiting).toBe(1);
  });
});

describe('job errors', () => {
  const exhausted = (attempts: { code: string; status: number }[]) =>
    new GatewayError('ROUTE_EXHAUSTED', 'all failed', { details: { attempts, skipped: [] } });

  it.each([
    ['an upstream 5xx', new GatewayError('MODEL_ERROR', 'upstream 500'), true],
    ['a timeout', new GatewayError('TIMEOUT', 'too slow'), true],
    ['a rate limit', new GatewayError('RATE_LIMIT_EXCEEDED', 'slow down'), true],
    ['a bad request', new GatewayError('INVALID_REQUEST', 'bad'), false],
    ['an exhausted budget', new GatewayError('BUDGET_EXCEEDED', 'spent'), false],
    ['an upstream 400', new GatewayError('MODEL_ERROR', 'bad', { status: 400, retryable: false }), false],
    [
      'all attempts transient',
      exhausted([
        { code: 'MODEL_ERROR', status: 502 },
        { code: 'TIMEOUT', status: 504 },
      ]),
      true,
    ],
    [
      'one attempt the request’s fault',
      exhausted([
        { code: 'MODEL_ERROR', status: 502 },
        { code: 'MODEL_ERROR', status: 400 },
      ]),
      false,
    ],
    ['nothing attempted (circuits open)', exhausted([]), true],
    ['a plain Error', new Error('boom'), false],
  ])('%s → retryable %s', (_name, error, retryable) => {
    expect(isRetryableForJob(error)).toBe(retryable);
    expect(toJobError(error).retryable).toBe(retryable);
  });

  it('keeps the code, status and scrubbed details, and hides the text of unexpected errors', () => {
    const error = new GatewayError('MODEL_ERROR', 'upstream said sk-secret', {
      status: 502,
      details: { provider: 'mock', echo: 'sk-secret' },
    });
    const scrub = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('sk-secret', '[REDACTED]'));
    expect(toJobError(error, scrub)).toEqual({
      code: 'MODEL_ERROR',
      message: 'upstream said [REDACTED]',
      retryable: true,
      status: 502,
      details: { provider: 'mock', echo: '[REDACTED]' },
    });
    expect(toJobError(new Error('internal path /etc/x'))).toEqual({
      code: 'INTERNAL',
      message: 'internal error',
      retryable: false,
      status: 500,
    });
  });
});
