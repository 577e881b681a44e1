/**
 * @module storage/job-queue.contract
 * The one test suite every JobQueue backend must pass (memory, SQLite, BullMQ). It fixes the
 * semantics the port promises: claims take the highest priority first, then the oldest, and
 * never hand one job to two workers; a lease that runs out lets another worker take the job,
 * after which the first can neither renew, complete nor fail it (so a job completes once); a
 * failed attempt backs off exponentially (or until `retryAt`, whichever is later) while attempts
 * remain and the error is retryable, and is dead otherwise; a lease that runs out on the last
 * attempt is dead too; dead jobs can be retried; counts and lists see every state. It runs on
 * real time with short delays, so that the Redis backend is held to exactly the same tests.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { Job, JobError, JobQueue, JobQueueSettings } from './job-ports.js';

export type OpenJobQueue = (settings: JobQueueSettings) => Promise<JobQueue> | JobQueue;

export interface JobQueueContractOptions {
  /** Skips the suite (e.g. no Redis reachable). */
  skip?: boolean;
  /** Longest a lease takes to be noticed as run out, beyond the lease itself; default 500 ms. */
  leaseSlackMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` yields a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const transient: JobError = { code: 'MODEL_ERROR', message: 'upstream answered 500', status: 502 };

export function describeJobQueueContract(
  name: string,
  open: OpenJobQueue,
  options: JobQueueContractOptions = {},
): void {
  const slack = options.leaseSlackMs ?? 500;

  describe.skipIf(options.skip === true)(`JobQueue contract: ${name}`, () => {
    const opened: JobQueue[] = [];
    async function queue(settings: JobQueueSettings = {}): Promise<JobQueue> {
      const q = await open({ backoffMs: 100, ...settings });
      opened.push(q);
      return q;
    }
    afterEach(async () => {
      for (const q of opened.splice(0)) await q.close();
    });

    it('enqueues a waiting job that round-trips its payload', async () => {
      const q = await queue();
      const payload = {
        request: { model: 'm', messages: [{ role: 'user', content: 'héllo ✓' }] },
        n: [1, 2.5],
      };
      const id = await q.enqueue({ kind: 'chat.completion', payload, priority: 7, maxAttempts: 4 });
      const job = await q.get(id);
      expect(job).toMatchObject({
        id,
        kind: 'chat.completion',
        payload,
        priority: 7,
        state: 'waiting',
        attempts: 0,
        maxAttempts: 4,
      });
      expect(job?.result).toBeUndefined();
      expect(job?.error).toBeUndefined();
      expect(await q.get('no-such-job')).toBeUndefined();
    });

    it('is idempotent on the job id and refuses invalid jobs', async () => {
      const q = await queue();
      expect(await q.enqueue({ id: 'job-a', kind: 'k', payload: { v: 1 } })).toBe('job-a');
      expect(await q.enqueue({ id: 'job-a', kind: 'k', payload: { v: 2 } })).toBe('job-a');
      expect((await q.get('job-a'))?.payload).toEqual({ v: 1 });
      await expect(q.enqueue({ kind: 'k', payload: {}, priority: 5000 })).rejects.toThrow(/priority/);
      await expect(q.enqueue({ kind: 'k', payload: {}, maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
      await expect(q.enqueue({ id: 'a:b', kind: 'k', payload: {} })).rejects.toThrow(/id/);
      expect((await q.counts()).waiting).toBe(1);
    });

    it('claims the highest priority first, then the oldest, each job once', async () => {
      const q = await queue();
      const ids: string[] = [];
      for (const priority of [0, 5, 0, 5, -3])
        ids.push(await q.enqueue({ kind: 'k', payload: { priority }, priority }));
      const order: string[] = [];
      for (let i = 0; i < 5; i++) {
        const job = await q.claim('w1', 30_000);
        expect(job?.state).toBe('active');
        order.push(job!.id);
      }
      expect(order).toEqual([ids[1], ids[3], ids[0], ids[2], ids[4]]);
      expect(await q.claim('w1', 30_000)).toBeUndefined();
      const claimed = await q.get(ids[1]!);
      expect(claimed).toMatchObject({ state: 'active', attempts: 1, workerId: 'w1' });
    });

    it('never gives one job to two concurrent claimers', async () => {
      const q = await queue();
      for (let i = 0; i < 10; i++) await q.enqueue({ kind: 'k', payload: { i } });
      const claims = await Promise.all(Array.from({ length: 25 }, (_, i) => q.claim(`w${i}`, 30_000)));
      const got = claims.filter((job): job is Job => job !== undefined).map((job) => job.id);
      expect(got).toHaveLength(10);
      expect(new Set(got).size).toBe(10);
      expect((await q.counts()).active).toBe(10);
    });

    it('completes once, with the result, only by the worker that holds the job', async () => {
      const q = await queue();
      const id = await q.enqueue({ kind: 'k', payload: {} });
      const job = await q.claim('w1', 30_000);
      expect(job?.id).toBe(id);
      expect(await q.complete(id, 'w2', { wrong: true })).toBe(false);
      expect(await q.complete(id, 'w1', { answer: 42, text: 'ok' })).toBe(true);
      expect(await q.complete(id, 'w1', { answer: 43 })).toBe(false);
      expect(await q.fail(id, 'w1', transient)).toBeUndefined();
      const done = await q.get(id);
      expect(done).toMatchObject({ state: 'completed', result: { answer: 42, text: 'ok' }, attempts: 1 });
      expect(done?.finishedAt).toBeTypeOf('number');
      expect(await q.claim('w1', 30_000)).toBeUndefined();
    });

    it('lets another worker take a job whose lease ran out, and fences the first one out', async () => {
      const q = await queue();
      const id = await q.enqueue({ kind: 'k', payload: {} });
      expect((await q.claim('w1', 200))?.id).toBe(id);
      expect(await q.claim('w2', 200)).toBeUndefined();
      const taken = await eventually(() => q.claim('w2', 30_000), 200 + slack * 4, 'the lease to run out');
      expect(taken).toMatchObject({ id, attempts: 2, workerId: 'w2' });
      expect(await q.renew(id, 'w1', 30_000)).toBe(false);
      expect(await q.complete(id, 'w1', 'late')).toBe(false);
      expect(await q.fail(id, 'w1', transient)).toBeUndefined();
      expect(await q.complete(id, 'w2', 'fresh')).toBe(true);
      expect(await q.get(id)).toMatchObject({ state: 'completed', result: 'fresh', attempts: 2 });
    });

    it('keeps a renewed lease', async () => {
      const q = await queue();
      const id = await q.enqueue({ kind: 'k', payload: {} });
      await q.claim('w1', 300);
      for (let i = 0; i < 8; i++) {
        await sleep(100);
        expect(await q.renew(id, 'w1', 300)).toBe(true);
        expect(await q.claim('w2', 300)).toBeUndefined();
      }
      expect(await q.complete(id, 'w1', 'done')).toBe(true);
    });

    it('backs off exponentially between attempts and is dead after the last one', async () => {
      const q = await queue({ backoffMs: 150 });
      const id = await q.enqueue({ kind: 'k', payload: {}, maxAttempts: 3 });
      const seen: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const job = await eventually(() => q.claim('w1', 30_000), 3_000, `attempt ${attempt}`);
        seen.push(Date.now());
        expect(job).toMatchObject({ id, attempts: attempt });
        const state = await q.fail(id, 'w1', transient);
        expect(state).toBe(attempt < 3 ? 'delayed' : 'dead');
        if (attempt < 3) {
          expect(await q.get(id)).toMatchObject({ state: 'delayed', error: { code: 'MODEL_ERROR' } });
          expect(await q.claim('w1', 30_000)).toBeUndefined();
        }
      }
      // 150 ms after the first failure, 300 ms after the second (a little timer slack allowed).
      expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(140);
      expect(seen[2]! - seen[1]!).toBeGreaterThanOrEqual(290);
      const dead = await q.get(id);
      expect(dead).toMatchObject({
        state: 'dead',
        attempts: 3,
        error: { code: 'MODEL_ERROR', message: 'upstream answered 500' },
      });
      expect(await q.counts()).toMatchObject({ dead: 1, waiting: 0, delayed: 0, active: 0 });
      expect((await q.list({ state: 'dead' })).map((job) => job.id)).toEqual([id]);
    });

    it('sends a non-retryable failure straight to the dead letters', async () => {
      const q = await queue();
      const id = await q.enqueue({ kind: 'k', payload: {}, maxAttempts: 5 });
      await q.claim('w1', 30_000);
      const error: JobError = {
        code: 'INVALID_REQUEST',
        message: 'messages[0].role: bad',
        retryable: false,
        status: 400,
      };
      expect(await q.fail(id, 'w1', error)).toBe('dead');
      expect(await q.get(id)).toMatchObject({
        state: 'dead',
        attempts: 1,
        error: { code: 'INVALID_REQUEST', status: 400 },
      });
    });

    it('waits until retryAt when it is later than the backoff', async () => {
      const q = await queue({ backoffMs: 50 });
      const id = await q.enqueue({ kind: 'k', payload: {} });
      await q.claim('w1', 30_000);
      const failedAt = Date.now();
      expect(await q.fail(id, 'w1', transient, failedAt + 500)).toBe('delayed');
      await sleep(250);
      expect(await q.claim('w1', 30_000)).toBeUndefined();
      await eventually(() => q.claim('w1', 30_000), 3_000, 'the retry');
      expect(Date.now() - failedAt).toBeGreaterThanOrEqual(490);
    });

    it('is dead when the lease runs out on the last attempt', async () => {
      const q = await queue();
      const id = await q.enqueue({ kind: 'k', payload: {}, maxAttempts: 1 });
      await q.claim('w1', 150);
      await eventually(
        async () => {
          await q.claim('w2', 30_000);
          const job = await q.get(id);
          return job?.state === 'dead' ? job : undefined;
        },
        150 + slack * 4,
        'the job to die',
      );
      expect(await q.get(id)).toMatchObject({ state: 'dead', error: { code: 'LEASE_EXPIRED' } });
      expect(await q.complete(id, 'w1', 'late')).toBe(false);
    });

    it('retries a dead job with a fresh set of attempts', async () => {
      const q = await queue();
      const id = await q.enqueue({ kind: 'k', payload: { x: 1 }, maxAttempts: 1 });
      await q.claim('w1', 30_000);
      await q.fail(id, 'w1', transient);
      expect((await q.get(id))?.state).toBe('dead');
      expect(await q.retryDead(id)).toBe(true);
      expect(await q.retryDead(id)).toBe(false);
      expect(await q.retryDead('no-such-job')).toBe(false);
      expect(await q.get(id)).toMatchObject({ state: 'waiting', attempts: 0 });
      const again = await q.claim('w2', 30_000);
      expect(again).toMatchObject({ id, attempts: 1, payload: { x: 1 } });
      expect(await q.complete(id, 'w2', 'second time lucky')).toBe(true);
    });

    it('counts and lists every state', async () => {
      const q = await queue();
      const completed = await q.enqueue({ kind: 'k', payload: {}, priority: 9 });
      await q.claim('w', 30_000);
      await q.complete(completed, 'w', 1);
      const dead = await q.enqueue({ kind: 'k', payload: {}, priority: 8, maxAttempts: 1 });
      await q.claim('w', 30_000);
      await q.fail(dead, 'w', transient);
      const active = await q.enqueue({ kind: 'k', payload: {}, priority: 7 });
      await q.claim('w', 30_000);
      const delayed = await q.enqueue({ kind: 'k', payload: {}, runAt: Date.now() + 60_000 });
      const waiting = await q.enqueue({ kind: 'k', payload: {} });
      expect(await q.counts()).toEqual({ waiting: 1, active: 1, delayed: 1, completed: 1, dead: 1 });
      const states = { completed, dead, active, delayed, waiting } as const;
      for (const [state, id] of Object.entries(states)) {
        const listed = await q.list({ state: state as keyof typeof states });
        expect(listed.map((job) => job.id)).toEqual([id]);
        expect(listed[0]?.state).toBe(state);
      }
      const all = await q.list();
      expect(new Set(all.map((job) => job.id))).toEqual(new Set(Object.values(states)));
      expect(await q.list({ limit: 2 })).toHaveLength(2);
      expect(await q.claim('w', 30_000)).toMatchObject({ id: waiting });
    });
  });
}
