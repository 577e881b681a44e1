import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { describeMessageBusContract, eventually } from '../message-bus.contract.js';
import { busChannel, createRedisBus } from './redis-bus.js';

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(!REDIS_URL)('redis bus', () => {
  describeMessageBusContract('redis', () => {
    // A prefix per test: runs and other suites on the same Redis never hear each other.
    const prefix = `switchyard-test:${randomBytes(6).toString('hex')}:`;
    return { open: (options) => createRedisBus({ url: REDIS_URL, prefix, ...options }) };
  });

  const admin = new Redis(REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  afterAll(() => admin.quit());

  it('publishes on <prefix><topic> and drops what is not an envelope, with a report', async () => {
    const prefix = `switchyard-test:${randomBytes(6).toString('hex')}:`;
    const errors: unknown[] = [];
    const bus = await createRedisBus({ url: REDIS_URL, prefix, onError: (error) => errors.push(error) });
    const got: unknown[] = [];
    bus.subscribe('keys', (m) => got.push(m.payload));
    try {
      await admin.publish(busChannel(prefix, 'keys'), 'not json');
      await admin.publish(busChannel(prefix, 'keys'), JSON.stringify({ v: 99, replica: 'x', topic: 'keys' }));
      const valid = { v: 1, replica: 'other', topic: 'keys', at: Date.now(), payload: { id: 'k' } };
      await admin.publish(`${prefix}keys`, JSON.stringify(valid));
      await eventually(() => got.length === 1);
      expect(got).toEqual([{ id: 'k' }]);
      expect(errors).toHaveLength(2);
    } finally {
      await bus.close();
    }
  });

  it('reports a gap when its subscription was cut, and hears messages again after it', async () => {
    const prefix = `switchyard-test:${randomBytes(6).toString('hex')}:`;
    const a = await createRedisBus({ url: REDIS_URL, prefix });
    const b = await createRedisBus({ url: REDIS_URL, prefix, onError: () => {} });
    let gaps = 0;
    const got: unknown[] = [];
    b.onGap(() => gaps++);
    b.subscribe('config', (m) => got.push(m.payload));
    try {
      // Kill only b's subscriber connection, found by its name.
      const clients = String(await admin.client('LIST'));
      const line = clients.split('\n').find((entry) => entry.includes(`name=switchyard-bus:${b.replicaId}`));
      const id = /\bid=(\d+)/.exec(line ?? '')?.[1];
      expect(id).toBeDefined();
      await admin.client('KILL', 'ID', id!);
      await eventually(() => gaps === 1, 5_000);
      // Re-subscribed: publish until one arrives (the SUBSCRIBE may still be on its way).
      await eventually(() => {
        if (got.length === 0) void a.publish('config', { digest: 'after', version: 1 });
        return got.length > 0;
      }, 5_000);
      expect(got[0]).toEqual({ digest: 'after', version: 1 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('starts without Redis: creation returns after its timeout and publishing fails', async () => {
    const errors: unknown[] = [];
    const started = Date.now();
    const bus = await createRedisBus({
      url: 'redis://127.0.0.1:1',
      connectTimeoutMs: 200,
      onError: (error) => errors.push(error),
    });
    try {
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(errors.some((e) => /did not answer within 200 ms/.test(String(e)))).toBe(true);
      await expect(bus.publish('config', { digest: 'x', version: 1 })).rejects.toThrow();
    } finally {
      await bus.close();
    }
  });
});
