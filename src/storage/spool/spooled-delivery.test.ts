import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listSegments, openSpool, type Spool } from './spool.js';
import { createSpooledDelivery, type SpooledDelivery } from './spooled-delivery.js';

/** A destination that can be switched off, and records what it received, in order. */
function destination() {
  const received: number[] = [];
  let up = true;
  return {
    received,
    set up(value: boolean) {
      up = value;
    },
    async deliver(items: readonly number[]) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      received.push(...items);
    },
    async probe() {
      if (!up) throw new Error('still down');
    },
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
};

let dir: string;
let spool: Spool<number>;
let target: ReturnType<typeof destination>;
let delivery: SpooledDelivery<number>;
let errors: unknown[];

function create(): SpooledDelivery<number> {
  return createSpooledDelivery<number>({
    spool,
    deliver: (items) => target.deliver(items),
    probe: () => target.probe(),
    batchSize: 4,
    retryBaseMs: 5,
    retryMaxMs: 20,
    report: (err) => errors.push(err),
  });
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'switchyard-delivery-'));
  spool = await openSpool<number>({ dir });
  target = destination();
  errors = [];
  delivery = create();
});

afterEach(async () => {
  await delivery.stop();
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('spooled delivery', () => {
  it('delivers directly while the destination answers', async () => {
    await delivery.write([1, 2]);
    await delivery.write([3]);
    expect(target.received).toEqual([1, 2, 3]);
    expect(spool.isEmpty()).toBe(true);
    await delivery.drained();
  });

  it('spools from the first failure on, in order, and replays it all once the destination is back', async () => {
    await delivery.write([1, 2]);
    target.up = false;
    await delivery.write([3, 4, 5]);
    expect(spool.isEmpty()).toBe(false);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    await expect(delivery.drained()).rejects.toThrow('still down');
    target.up = true;
    // Later batches queue behind the spooled ones until the spool is empty.
    await delivery.write([6]);
    await delivery.drained();
    expect(target.received).toEqual([1, 2, 3, 4, 5, 6]);
    expect(spool.isEmpty()).toBe(true);
    expect(await listSegments(dir)).toEqual([]);
    await delivery.write([7]);
    expect(target.received.at(-1)).toBe(7);
  });

  it('replays a spool left behind when asked to at start', async () => {
    await spool.append([10, 11, 12, 13, 14, 15]);
    delivery.replay(false);
    await delivery.drained();
    expect(target.received).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it('keeps what is spooled when stopped during an outage', async () => {
    target.up = false;
    await delivery.write([1, 2, 3]);
    await delivery.stop();
    await expect(delivery.drained()).rejects.toThrow(/stopped/);
    expect(target.received).toEqual([]);
    const segment = await spool.oldest();
    expect(segment?.items).toEqual([1, 2, 3]);
  });

  it('keeps retrying with backoff until the destination answers', async () => {
    target.up = false;
    await delivery.write([1]);
    await until(() => errors.length >= 3);
    target.up = true;
    await until(() => target.received.length === 1);
    expect(target.received).toEqual([1]);
  });
});
