import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../counter-store.contract.js';
import { createSqliteCounterStore } from './sqlite-counter-store.js';
import { createSqliteKeyStore } from './sqlite-key-store.js';
import { createSqliteLedger } from './sqlite-ledger.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-sqlite-counters-'));
let files = 0;
const freshPath = () => path.join(dir, `counters-${files++}.db`);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function rows(file: string, table: string): Record<string, unknown>[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe('createSqliteCounterStore — durable, written behind', () => {
  it('never writes on the caller’s stack; one batch within flushMs', async () => {
    const file = freshPath();
    const store = createSqliteCounterStore({ path: file, flushMs: 20 });
    const held = await store.reserve('b', 5, 100, 60_000);
    const short = await store.reserve('b', 5, 100, 60_000);
    await store.settle(short.reservationId!, 3);
    await store.hit('r', 60_000, 10, 1);
    expect(rows(file, 'counter_values')).toEqual([]);
    expect(rows(file, 'counter_reservations')).toEqual([]);
    await sleep(150);
    expect(rows(file, 'counter_values')).toEqual([{ key: 'b', used: 3 }]);
    // Made and settled between two writes, the short reservation never reached the disk.
    expect(rows(file, 'counter_reservations').map((r) => r.id)).toEqual([held.reservationId]);
    expect(rows(file, 'counter_windows')).toHaveLength(1);
    await store.close();
  });

  it('a restart keeps spend, in-flight reservations and rate windows', async () => {
    const file = freshPath();
    const clock = createTestClock();
    const first = createSqliteCounterStore({ path: file, now: clock.now });
    const held = await first.reserve('b', 40, 100, 60_000);
    const done = await first.reserve('b', 10, 100, 60_000);
    await first.settle(done.reservationId!, 25);
    for (let i = 0; i < 3; i++) await first.hit('r', 60_000, 3, 1);
    await first.close();

    const second = createSqliteCounterStore({ path: file, now: clock.now });
    expect(await second.get('b')).toEqual({ used: 25, reserved: 40, reservations: 1 });
    expect((await second.hit('r', 60_000, 3, 1)).allowed).toBe(false);
    expect((await second.reserve('b', 36, 100, 60_000)).ok).toBe(false);
    // The reservation made before the restart is settled after it.
    expect(await second.settle(held.reservationId!, 30)).toEqual({ used: 55, reserved: 0, reservations: 0 });
    // It still lapses on time.
    const stale = await second.reserve('b', 40, 100, 1_000);
    await second.close();
    clock.advance(1_000);
    const third = createSqliteCounterStore({ path: file, now: clock.now });
    expect(await third.get('b')).toEqual({ used: 55, reserved: 0, reservations: 0 });
    expect(await third.settle(stale.reservationId!, 1)).toEqual({ used: 56, reserved: 0, reservations: 0 });
    await third.close();
  });

  it('writes a held reservation only while it is live at a flush, and deletes it once it ends', async () => {
    const file = freshPath();
    const store = createSqliteCounterStore({ path: file, flushMs: 20 });
    const local = store.local!;
    const brief = local.hold('b', 5, 1_000, 60_000).hold!;
    local.settleHold(brief, 2);
    // More than one statement's worth, so that the rows go in full statements and single ones.
    const long = Array.from({ length: 70 }, () => local.hold('b', 1, 1_000, 60_000).hold!);
    await sleep(150);
    const written = rows(file, 'counter_reservations');
    expect(written).toHaveLength(70);
    expect(new Set(written.map((row) => row.amount))).toEqual(new Set([1]));
    expect(rows(file, 'counter_values')).toEqual([{ key: 'b', used: 2 }]);
    for (const [i, hold] of long.entries()) {
      if (i % 2 === 0) local.settleHold(hold, 1);
      else local.releaseHold(hold);
    }
    await sleep(150);
    expect(rows(file, 'counter_reservations')).toEqual([]);
    expect(rows(file, 'counter_values')).toEqual([{ key: 'b', used: 37 }]);
    await store.close();
  });

  it('puts held reservations of a failed write back, and writes or forgets them by what they are then', async () => {
    const file = freshPath();
    const errors: unknown[] = [];
    const db = new Database(file, { timeout: 0 });
    const store = createSqliteCounterStore({ db, flushMs: 20, onError: (error) => errors.push(error) });
    const local = store.local!;
    const lock = new Database(file, { timeout: 0 });
    lock.exec('BEGIN IMMEDIATE');
    const kept = local.hold('b', 1, 100, 60_000).hold!;
    const ended = local.hold('b', 2, 100, 60_000).hold!;
    await sleep(80);
    expect(errors.length).toBeGreaterThan(0);
    local.releaseHold(ended);
    const later = local.hold('b', 3, 100, 60_000).hold!;
    lock.exec('COMMIT');
    lock.close();
    await sleep(80);
    expect(
      rows(file, 'counter_reservations')
        .map((row) => row.amount)
        .sort(),
    ).toEqual([1, 3]);
    local.settleHold(kept, 1);
    local.releaseHold(later);
    await sleep(80);
    expect(rows(file, 'counter_reservations')).toEqual([]);
    await store.close();
    db.close();
  });

  it('a restart keeps what held reservations hold, until they lapse', async () => {
    const file = freshPath();
    const clock = createTestClock();
    const first = createSqliteCounterStore({ path: file, now: clock.now });
    first.local!.hold('b', 40, 100, 60_000);
    first.local!.settleHold(first.local!.hold('b', 10, 100, 60_000).hold!, 25);
    await first.close();
    const second = createSqliteCounterStore({ path: file, now: clock.now });
    expect(await second.get('b')).toEqual({ used: 25, reserved: 40, reservations: 1 });
    expect((await second.reserve('b', 36, 100, 60_000)).ok).toBe(false);
    clock.advance(60_000);
    expect(await second.get('b')).toEqual({ used: 25, reserved: 0, reservations: 0 });
    await second.close();
  });

  it('shares a database file with the ledger and the key store, each with its own tables', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file });
    const counters = createSqliteCounterStore({ path: file });
    const keys = createSqliteKeyStore({ path: file });
    expect((await counters.reserve('x', 1, 1, 1_000)).ok).toBe(true);
    expect(await keys.list()).toEqual([]);
    expect(await ledger.count()).toBe(0);
    await Promise.all([ledger.close(), counters.close(), keys.close()]);
    expect(rows(file, 'counter_reservations')).toHaveLength(1);
  });
});
