import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { fullRecord } from './ledger.contract.js';
import type { LedgerRecord } from './ports.js';
import {
  type BatchBuilder,
  createBatchWriteBehind,
  createWriteBehind,
  type WriteBehind,
} from './write-behind.js';

/** A batch of request ids (with the cost of each, to tell two records with one id apart). */
type Ids = { id: string; cost: number }[];

const idsBuilder: BatchBuilder<Ids, number> = {
  create: () => [],
  add: (batch, record) => {
    batch.push({ id: record.requestId, cost: record.costNanos });
  },
  find: (batch, requestId) => batch.find((entry) => entry.id === requestId)?.cost,
};

const id = (i: number) => fullRecord(i).requestId;

/** A backend that records every batch it is given, failing while `failing` is set. */
function backend() {
  const state = { failing: false, writes: [] as string[][], errors: [] as unknown[] };
  const write = async (ids: readonly string[]) => {
    state.writes.push([...ids]);
    if (state.failing) throw new Error('disk full');
  };
  return { state, write };
}

const queues: WriteBehind<unknown>[] = [];
afterEach(() => {
  for (const queue of queues.splice(0)) queue.stop();
});

function batchQueue(options: { batchSize: number; flushMs: number }) {
  const { state, write } = backend();
  const queue = createBatchWriteBehind<Ids, number>({
    ...options,
    maxRetryMs: 20,
    builder: idsBuilder,
    write: (batch) => write(batch.map((entry) => entry.id)),
    report: (err) => state.errors.push(err),
  });
  queues.push(queue);
  return { queue, state };
}

describe('createBatchWriteBehind', () => {
  it('writes a full batch on the next turn and the rest on the timer, never on the caller’s stack', async () => {
    const { queue, state } = batchQueue({ batchSize: 3, flushMs: 30 });
    for (let i = 0; i < 4; i++) queue.append(fullRecord(i));
    expect(state.writes).toEqual([]);
    expect(queue.pending).toBe(4);
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.writes).toEqual([[id(0), id(1), id(2)]]);
    await sleep(80);
    expect(state.writes).toEqual([[id(0), id(1), id(2)], [id(3)]]);
    expect(queue.pending).toBe(0);
  });

  it('puts records appended while a batch is written into the next batch', async () => {
    const { queue, state } = batchQueue({ batchSize: 10, flushMs: 60_000 });
    queue.append(fullRecord(0));
    const flushed = queue.flush();
    await new Promise((resolve) => setImmediate(resolve));
    queue.append(fullRecord(1));
    await flushed;
    await queue.flush();
    expect(state.writes).toEqual([[id(0)], [id(1)]]);
  });

  it('keeps a failed batch, rejects the flushes waiting on it, and retries it as it was', async () => {
    const { queue, state } = batchQueue({ batchSize: 2, flushMs: 5 });
    state.failing = true;
    queue.append(fullRecord(0));
    await expect(queue.flush()).rejects.toThrow('disk full');
    queue.append(fullRecord(1));
    queue.append(fullRecord(2));
    expect(queue.pending).toBe(3);
    expect(queue.queued(id(0))).toBe(fullRecord(0).costNanos);
    state.failing = false;
    await queue.flush();
    expect(state.errors.length).toBeGreaterThan(0);
    // Retried alone, as often as it failed; the records appended since come after it.
    const retries = state.writes.filter((ids) => ids[0] === id(0));
    expect(retries.length).toBeGreaterThan(1);
    for (const ids of retries) expect(ids).toEqual([id(0)]);
    expect(state.writes.at(-1)).toEqual([id(1), id(2)]);
    expect(queue.pending).toBe(0);
    expect(queue.queued(id(0))).toBeUndefined();
  });

  it('queues a record whose id is queued already, and finds the first', async () => {
    const { queue, state } = batchQueue({ batchSize: 2, flushMs: 60_000 });
    queue.append(fullRecord(0));
    queue.append(fullRecord(1));
    queue.append(fullRecord(0, { costNanos: 1 }));
    expect(queue.pending).toBe(3);
    expect(queue.queued(id(0))).toBe(fullRecord(0).costNanos);
    await queue.flush();
    expect(state.writes).toEqual([[id(0), id(1)], [id(0)]]);
  });

  it('releases a batch to the builder once written and out of the queue, a failed one only once written', async () => {
    const { state, write } = backend();
    const released: string[][] = [];
    const queue = createBatchWriteBehind<Ids, number>({
      batchSize: 2,
      flushMs: 5,
      maxRetryMs: 20,
      builder: {
        ...idsBuilder,
        release(batch) {
          // Nothing the queue still answers for may be handed back.
          for (const entry of batch) expect(queue.queued(entry.id)).toBeUndefined();
          released.push(batch.map((entry) => entry.id));
        },
      },
      write: (batch) => write(batch.map((entry) => entry.id)),
      report: (err) => state.errors.push(err),
    });
    queues.push(queue);
    state.failing = true;
    queue.append(fullRecord(0));
    await expect(queue.flush()).rejects.toThrow('disk full');
    expect(released).toEqual([]);
    queue.append(fullRecord(1));
    queue.append(fullRecord(2));
    state.failing = false;
    await queue.flush();
    expect(released).toEqual([[id(0)], [id(1), id(2)]]);
  });

  it('leaves no empty batch behind a record the builder refuses', async () => {
    const { state, write } = backend();
    const queue = createBatchWriteBehind<Ids, number>({
      batchSize: 5,
      flushMs: 1,
      maxRetryMs: 20,
      builder: {
        ...idsBuilder,
        add(batch, record) {
          if (record.costNanos < 0) throw new Error('refused');
          idsBuilder.add(batch, record);
        },
      },
      write: (batch) => write(batch.map((entry) => entry.id)),
      report: (err) => state.errors.push(err),
    });
    queues.push(queue);
    expect(() => queue.append(fullRecord(0, { costNanos: -1 }))).toThrow('refused');
    expect(queue.pending).toBe(0);
    await sleep(20);
    expect(state.writes).toEqual([]);
  });

  it('stops retrying once stopped', async () => {
    const { queue, state } = batchQueue({ batchSize: 5, flushMs: 1 });
    state.failing = true;
    queue.append(fullRecord(0));
    while (state.writes.length === 0) await sleep(2);
    queue.stop();
    const writes = state.writes.length;
    await sleep(60);
    expect(state.writes.length).toBe(writes);
    expect(queue.pending).toBe(1);
  });
});

describe('createWriteBehind', () => {
  function keptQueue(options: { batchSize: number; flushMs: number }) {
    const { state, write } = backend();
    const queue = createWriteBehind({
      ...options,
      maxRetryMs: 20,
      write: (records: readonly LedgerRecord[]) => write(records.map((r) => r.requestId)),
      report: (err) => state.errors.push(err),
    });
    queues.push(queue);
    return { queue, state };
  }

  it('ignores a record whose id is queued, in the same batch or a later one, until it is written', async () => {
    const { queue, state } = keptQueue({ batchSize: 2, flushMs: 60_000 });
    queue.append(fullRecord(0));
    queue.append(fullRecord(0, { costNanos: 1 }));
    queue.append(fullRecord(1));
    queue.append(fullRecord(0, { costNanos: 2 }));
    expect(queue.pending).toBe(2);
    expect(queue.queued(id(0))).toStrictEqual(fullRecord(0));
    await queue.flush();
    expect(state.writes).toEqual([[id(0), id(1)]]);
    expect(queue.queued(id(0))).toBeUndefined();
    // Written, the id is the backend's to ignore.
    queue.append(fullRecord(0, { costNanos: 3 }));
    expect(queue.queued(id(0))?.costNanos).toBe(3);
  });

  it('keeps a copy the caller can no longer change', () => {
    const { queue } = keptQueue({ batchSize: 10, flushMs: 60_000 });
    const record = fullRecord(0);
    queue.append(record);
    record.costNanos = 1;
    record.tags?.push('later');
    expect(queue.queued(id(0))).toStrictEqual(fullRecord(0));
  });

  it('keeps the ids of a failed batch queued until it is written', async () => {
    const { queue, state } = keptQueue({ batchSize: 10, flushMs: 5 });
    state.failing = true;
    queue.append(fullRecord(0));
    await expect(queue.flush()).rejects.toThrow('disk full');
    queue.append(fullRecord(0, { costNanos: 1 }));
    expect(queue.pending).toBe(1);
    state.failing = false;
    await queue.flush();
    expect(state.writes.every((ids) => ids.length === 1 && ids[0] === id(0))).toBe(true);
  });
});
