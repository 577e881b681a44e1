/**
 * @module storage/cache-store.contract
 * The one test suite every CacheStore backend must pass. It fixes what the port's comments
 * promise: values come back byte for byte (text and binary), a set replaces, delete and clear
 * report what they removed and clear touches only its prefix (glob characters included), entries
 * expire after their ttl, oversized values and non-positive ttls are refused without touching the
 * key, and the entry bound holds with the newest entry kept, under concurrent writes too.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { CacheStore, CacheStoreLimits } from './cache-ports.js';

export interface CacheStoreFixture {
  store: CacheStore;
  /** Lets `ms` pass for the store: advances an injected clock, or waits in real time. */
  elapse(ms: number): Promise<void>;
}

export interface CacheStoreContractOptions {
  skip?: boolean;
  /** Reading an entry protects it from eviction (memory, SQLite); false for FIFO stores (Redis). */
  lru: boolean;
  /** Smallest ttl the backend honours precisely enough to test (real-time stores). */
  ttlMs?: number;
}

export function describeCacheStoreContract(
  name: string,
  create: (limits: CacheStoreLimits) => CacheStoreFixture | Promise<CacheStoreFixture>,
  options: CacheStoreContractOptions,
): void {
  describe.skipIf(options.skip === true)(`CacheStore contract — ${name}`, () => {
    let fixture: CacheStoreFixture | undefined;
    const open = async (limits: Partial<CacheStoreLimits> = {}) => {
      fixture = await create({ maxEntries: 100, maxValueBytes: 64 * 1024, ...limits });
      return fixture;
    };
    afterEach(async () => {
      await fixture?.store.close();
      fixture = undefined;
    });
    const ttl = options.ttlMs ?? 1_000;
    const HOUR = 3_600_000;

    it('returns what was stored, byte for byte; undefined for an unknown key', async () => {
      const { store } = await open();
      expect(await store.get('nothing')).toBeUndefined();
      expect(await store.set('text', 'héllo — wörld ✓', HOUR)).toBe(true);
      expect((await store.get('text'))?.toString('utf8')).toBe('héllo — wörld ✓');
      const binary = new Uint8Array([0, 255, 1, 254, 0xc3, 0x28, 10, 13]);
      expect(await store.set('binary', binary, HOUR)).toBe(true);
      binary[0] = 42; // the store kept its own copy
      expect([...((await store.get('binary')) ?? [])]).toEqual([0, 255, 1, 254, 0xc3, 0x28, 10, 13]);
      expect(await store.set('empty', '', HOUR)).toBe(true);
      expect((await store.get('empty'))?.byteLength).toBe(0);
    });

    it('set replaces the value and its ttl', async () => {
      const { store, elapse } = await open();
      await store.set('k', 'first', ttl);
      await store.set('k', 'second', HOUR);
      await elapse(ttl * 2);
      expect((await store.get('k'))?.toString()).toBe('second');
    });

    it('delete removes once', async () => {
      const { store } = await open();
      await store.set('k', 'v', HOUR);
      expect(await store.delete('k')).toBe(true);
      expect(await store.get('k')).toBeUndefined();
      expect(await store.delete('k')).toBe(false);
      expect(await store.delete('never')).toBe(false);
    });

    it('entries expire after their ttl', async () => {
      const { store, elapse } = await open();
      await store.set('short', 'v', ttl);
      await store.set('long', 'v', HOUR);
      expect((await store.get('short'))?.toString()).toBe('v');
      await elapse(ttl * 2);
      expect(await store.get('short')).toBeUndefined();
      expect((await store.get('long'))?.toString()).toBe('v');
      expect(await store.delete('short')).toBe(false);
    });

    it('clear removes exactly the keys under its prefix, glob characters taken literally', async () => {
      const { store } = await open();
      for (const key of ['a:1', 'a:2', 'ab:1', 'b:1', 'x*:1', 'x?:1', 'x[1]:1', 'x\\:1']) {
        await store.set(key, key, HOUR);
      }
      expect(await store.clear('a:')).toBe(2);
      expect(await store.get('a:1')).toBeUndefined();
      expect((await store.get('ab:1'))?.toString()).toBe('ab:1');
      expect(await store.clear('x*')).toBe(1);
      expect((await store.get('x?:1'))?.toString()).toBe('x?:1');
      expect(await store.clear('x[')).toBe(1);
      expect(await store.clear('x\\')).toBe(1);
      expect((await store.get('x?:1'))?.toString()).toBe('x?:1');
      expect(await store.clear()).toBe(3);
      for (const key of ['ab:1', 'b:1', 'x?:1']) expect(await store.get(key)).toBeUndefined();
      // A cleared store takes new entries.
      await store.set('a:1', 'again', HOUR);
      expect((await store.get('a:1'))?.toString()).toBe('again');
    });

    it('refuses an oversized value or a non-positive ttl, leaving the key as it was', async () => {
      const { store } = await open({ maxValueBytes: 1_000 });
      expect(await store.set('k', 'x'.repeat(1_000), HOUR)).toBe(true);
      expect(await store.set('k', 'y'.repeat(1_001), HOUR)).toBe(false);
      expect((await store.get('k'))?.toString()).toBe('x'.repeat(1_000));
      // Bytes, not characters: 400 three-byte characters are 1,200 bytes.
      expect(await store.set('wide', '€'.repeat(400), HOUR)).toBe(false);
      expect(await store.get('wide')).toBeUndefined();
      expect(await store.set('k', 'z', 0)).toBe(false);
      expect(await store.set('k', 'z', -5)).toBe(false);
      expect((await store.get('k'))?.toString()).toBe('x'.repeat(1_000));
    });

    it('holds at most maxEntries, keeping the newest', async () => {
      const { store } = await open({ maxEntries: 10 });
      for (let i = 0; i < 25; i++) await store.set(`k${i}`, `v${i}`, HOUR + i);
      let present = 0;
      for (let i = 0; i < 25; i++) if ((await store.get(`k${i}`)) !== undefined) present++;
      expect(present).toBe(10);
      expect((await store.get('k24'))?.toString()).toBe('v24');
      expect(await store.get('k0')).toBeUndefined();
    });

    // Only stores that promise LRU order (Redis evicts nearest-expiry first, tested on its own).
    if (options.lru)
      it('evicts the least recently used entry first', async () => {
        const { store } = await open({ maxEntries: 3 });
        await store.set('a', '1', HOUR);
        await store.set('b', '2', HOUR);
        await store.set('c', '3', HOUR);
        await store.get('a');
        await store.set('d', '4', HOUR);
        expect(await store.get('b')).toBeUndefined();
        expect((await store.get('a'))?.toString()).toBe('1');
      });

    it('500 concurrent writes stay within the bound and read back consistently', async () => {
      const { store } = await open({ maxEntries: 50 });
      await Promise.all(Array.from({ length: 500 }, (_, i) => store.set(`c${i % 120}`, `v${i}`, HOUR)));
      const values = await Promise.all(Array.from({ length: 120 }, (_, i) => store.get(`c${i}`)));
      const present = values.filter((value) => value !== undefined);
      expect(present.length).toBeGreaterThan(0);
      expect(present.length).toBeLessThanOrEqual(50);
      values.forEach((value, i) => {
        // Whatever survived is one of the values written under that key.
        if (value !== undefined) expect(Number(value.toString().slice(1)) % 120).toBe(i);
      });
    });

    it('refuses work once closed', async () => {
      const opened = await open();
      await opened.store.close();
      await expect(opened.store.get('k')).rejects.toThrow();
      fixture = undefined;
    });
  });
}
