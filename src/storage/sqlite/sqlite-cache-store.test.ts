import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../counter-store.contract.js';
import { createSqliteCacheStore } from './sqlite-cache-store.js';
import { createSqliteCounterStore } from './sqlite-counter-store.js';
import { createSqliteLedger } from './sqlite-ledger.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-sqlite-cache-'));
let files = 0;
const freshPath = () => path.join(dir, `cache-${files++}.db`);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function keys(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { key: string }>('SELECT key FROM cache_entries ORDER BY key')
      .all()
      .map((row) => row.key);
  } finally {
    db.close();
  }
}

const HOUR = 3_600_000;

describe('createSqliteCacheStore — durable, written behind', () => {
  it('never writes on the caller’s stack; one batch within flushMs', async () => {
    const file = freshPath();
    const store = createSqliteCacheStore({ path: file, flushMs: 20 });
    await store.set('a', 'one', HOUR);
    await store.set('b', 'two', HOUR);
    await store.set('gone', 'x', HOUR);
    await store.delete('gone');
    expect(keys(file)).toEqual([]);
    await sleep(150);
    expect(keys(file)).toEqual(['a', 'b']);
    await store.close();
  });

  it('a restart keeps unexpired entries, in the order they were stored, and drops expired ones', async () => {
    const file = freshPath();
    const clock = createTestClock();
    const first = createSqliteCacheStore({ path: file, now: clock.now, maxEntries: 3 });
    await first.set('old', 'o', HOUR);
    clock.advance(1);
    await first.set('short', 's', 1_000);
    clock.advance(1);
    await first.set('mid', 'm', HOUR);
    clock.advance(1);
    await first.set('new', 'n', HOUR);
    // Evicting `old` (least recently used) reached the disk with the close.
    await first.close();
    expect(keys(file)).toEqual(['mid', 'new', 'short']);

    clock.advance(2_000);
    const second = createSqliteCacheStore({ path: file, now: clock.now, maxEntries: 3 });
    expect(await second.get('short')).toBeUndefined();
    expect((await second.get('mid'))?.toString()).toBe('m');
    expect((await second.get('new'))?.toString()).toBe('n');
    await second.close();
    expect(keys(file)).toEqual(['mid', 'new']);
  });

  it('a smaller bound at restart keeps the newest entries and deletes the rest', async () => {
    const file = freshPath();
    const clock = createTestClock();
    const first = createSqliteCacheStore({ path: file, now: clock.now });
    for (let i = 0; i < 5; i++) {
      await first.set(`k${i}`, `v${i}`, HOUR);
      clock.advance(1);
    }
    await first.close();
    const second = createSqliteCacheStore({ path: file, now: clock.now, maxEntries: 2 });
    expect(await second.get('k2')).toBeUndefined();
    expect((await second.get('k4'))?.toString()).toBe('v4');
    await second.close();
    expect(keys(file)).toEqual(['k3', 'k4']);
  });

  it('clear reaches the disk, and a set after it survives', async () => {
    const file = freshPath();
    const store = createSqliteCacheStore({ path: file, flushMs: 10_000 });
    await store.set('p:1', '1', HOUR);
    await store.set('q:1', '1', HOUR);
    await store.close();
    const again = createSqliteCacheStore({ path: file, flushMs: 10_000 });
    expect(await again.clear('p:')).toBe(1);
    await again.set('p:2', '2', HOUR);
    await again.close();
    expect(keys(file)).toEqual(['p:2', 'q:1']);
  });

  it('shares a database file with the ledger and the counters, in its own table', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file });
    const counters = createSqliteCounterStore({ path: file });
    const cache = createSqliteCacheStore({ path: file });
    await cache.set('k', 'v', HOUR);
    expect((await counters.reserve('x', 1, 1, 1_000)).ok).toBe(true);
    expect(await ledger.count()).toBe(0);
    await Promise.all([ledger.close(), counters.close(), cache.close()]);
    expect(keys(file)).toEqual(['k']);
  });
});
