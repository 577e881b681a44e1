import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { describeJobQueueContract } from './job-queue.contract.js';
import { createMemoryJobQueue } from './memory/memory-job-queue.js';
import { createSqliteJobQueue } from './sqlite/sqlite-job-queue.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-jobs-'));
let files = 0;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeJobQueueContract('memory', (settings) => createMemoryJobQueue(settings));

describeJobQueueContract('sqlite', (settings) =>
  createSqliteJobQueue({ path: path.join(dir, `jobs-${files++}.db`), ...settings }),
);

describeJobQueueContract('sqlite (:memory:)', (settings) =>
  createSqliteJobQueue({ path: ':memory:', ...settings }),
);

describe('sqlite job queue', () => {
  it('survives a reopen: a job left active is taken back once its lease runs out', async () => {
    const file = path.join(dir, `jobs-${files++}.db`);
    let clock = 1_000_000;
    const first = createSqliteJobQueue({ path: file, now: () => clock });
    const id = await first.enqueue({ kind: 'k', payload: { big: 'x'.repeat(10_000) } });
    expect((await first.claim('dead-worker', 5_000))?.id).toBe(id);
    await first.close();

    const second = createSqliteJobQueue({ path: file, now: () => clock });
    expect(await second.claim('w2', 5_000)).toBeUndefined();
    clock += 5_000;
    const job = await second.claim('w2', 5_000);
    expect(job).toMatchObject({ id, attempts: 2, workerId: 'w2' });
    expect(await second.complete(id, 'w2', { ok: true })).toBe(true);
    await second.close();
  });

  it('shares a database file with other components and two processes never both claim', async () => {
    const file = path.join(dir, `jobs-${files++}.db`);
    const a = createSqliteJobQueue({ path: file });
    const b = createSqliteJobQueue({ path: file });
    for (let i = 0; i < 50; i++) await a.enqueue({ kind: 'k', payload: { i } });
    const claimed = await Promise.all(
      Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? a : b).claim(`w${i}`, 60_000)),
    );
    const ids = claimed.filter((job) => job !== undefined).map((job) => job.id);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
    await a.close();
    await b.close();
    const db = new Database(file, { readonly: true });
    const components = db
      .prepare<[], { component: string; version: number }>('SELECT component, version FROM schema_migrations')
      .all();
    db.close();
    expect(components).toContainEqual({ component: 'jobs', version: 1 });
  });

  it('keeps its trigger-maintained counts equal to a recount of the table', async () => {
    const file = path.join(dir, `jobs-${files++}.db`);
    let clock = 1_000_000;
    const q = createSqliteJobQueue({ path: file, now: () => clock, backoffMs: 10 });
    const transient = { code: 'MODEL_ERROR', message: 'x' };
    for (let i = 0; i < 40; i++) await q.enqueue({ kind: 'k', payload: { i }, maxAttempts: 1 + (i % 3) });
    await q.enqueue({ id: 'dup', kind: 'k', payload: {} });
    await q.enqueue({ id: 'dup', kind: 'k', payload: {} });
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 12; i++) {
        const job = await q.claim(`w${i}`, 1_000);
        if (job === undefined) break;
        if (i % 3 === 0) await q.complete(job.id, `w${i}`, i);
        else if (i % 3 === 1) await q.fail(job.id, `w${i}`, transient);
        // else: abandoned, its lease lapses
      }
      for (const job of await q.list({ state: 'dead', limit: 3 })) await q.retryDead(job.id);
      clock += 2_000;
    }
    const db = new Database(file, { readonly: true });
    const recount = Object.fromEntries(
      db
        .prepare<[], { state: string; n: number }>('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state')
        .all()
        .map((row) => [row.state, row.n]),
    );
    db.close();
    const counts = await q.counts();
    expect(counts.waiting + counts.delayed).toBe(recount.queued ?? 0);
    expect(counts.active).toBe(recount.active ?? 0);
    expect(counts.completed).toBe(recount.completed ?? 0);
    expect(counts.dead).toBe(recount.dead ?? 0);
    expect(counts.waiting + counts.delayed + counts.active + counts.completed + counts.dead).toBe(41);
    expect(counts.completed).toBeGreaterThan(0);
    await q.close();
  });

  it('answers an idle poll without taking the write lock', async () => {
    const file = path.join(dir, `jobs-${files++}.db`);
    const q = createSqliteJobQueue({ path: file, busyTimeoutMs: 10 });
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    try {
      // Another connection holds the write lock: an empty poll still answers at once.
      expect(await q.claim('w', 1_000)).toBeUndefined();
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    await q.close();
  });
});
