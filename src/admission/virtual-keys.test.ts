import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { createMemoryKeyStore } from '../storage/memory/memory-key-store.js';
import { createKeyService } from './virtual-keys.js';

describe('key service', () => {
  it('answers 503 SERVICE_UNAVAILABLE, not a 500, while the key store is unreachable', async () => {
    const store = createMemoryKeyStore();
    const keys = createKeyService(store, { cacheMs: 0 });
    const { secret } = await keys.create({ name: 'k' }, { admin: true });
    expect((await keys.authenticate(secret)).name).toBe('k');
    store.getByHash = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    };
    const error = await keys.authenticate(secret).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', headers: { 'retry-after': '1' } });
    expect((error as Error).message).not.toContain('5432');
  });
});

describe('key cache across processes', () => {
  it('keeps trusting a cached key revoked elsewhere until told to forget it', async () => {
    const store = createMemoryKeyStore();
    const revoked: string[] = [];
    const here = createKeyService(store, { cacheMs: 30_000, onRevoked: (id) => revoked.push(id) });
    const elsewhere = createKeyService(store, { cacheMs: 30_000 });
    const first = await here.create({ name: 'a' }, { admin: true });
    const second = await here.create({ name: 'b' }, { admin: true });
    await elsewhere.authenticate(first.secret);
    await elsewhere.authenticate(second.secret);
    await here.revoke(first.key.id);
    await here.revoke(second.key.id);
    expect(revoked).toEqual([first.key.id, second.key.id]);
    // The other service's cached lookups still stand (this is what the replica bus is for).
    expect((await elsewhere.authenticate(first.secret)).id).toBe(first.key.id);
    elsewhere.evict(first.key.id);
    await expect(elsewhere.authenticate(first.secret)).rejects.toThrow(/revoked/);
    expect((await elsewhere.authenticate(second.secret)).id).toBe(second.key.id);
    elsewhere.clearCache();
    await expect(elsewhere.authenticate(second.secret)).rejects.toThrow(/revoked/);
  });

  it('a lookup that was in flight when the key was evicted does not cache the stale record', async () => {
    const store = createMemoryKeyStore();
    const keys = createKeyService(store, { cacheMs: 60_000 });
    const { key, secret } = await keys.create({ name: 'k' }, { admin: true });
    const read = store.getByHash.bind(store);
    let hold: (() => void) | undefined;
    store.getByHash = async (hash) => {
      const record = await read(hash);
      await new Promise<void>((resolve) => {
        hold = resolve;
      });
      return record;
    };
    const pending = keys.authenticate(secret);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Another replica revokes it (the store now says so) and the bus evicts it here.
    await store.revoke(key.id, Date.now());
    keys.evict(key.id);
    hold!();
    await pending;
    store.getByHash = read;
    await expect(keys.authenticate(secret)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('keys known by their secret', () => {
  it('answers a live key whose lookup is cached, and nothing else, without reading the store', async () => {
    let now = 1_000_000;
    const store = createMemoryKeyStore();
    const keys = createKeyService(store, { now: () => now, cacheMs: 1_000 });
    const { key, secret } = await keys.create({ name: 'k', expiresAt: now + 5_000 }, { admin: true });
    // Not looked up yet; then a wrong key of the same shape is looked up and refused.
    expect(keys.known(secret)).toBeUndefined();
    const wrong = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    await expect(keys.authenticate(wrong)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(keys.known(wrong)).toBeUndefined();
    await keys.authenticate(secret);
    let reads = 0;
    const read = store.getByHash.bind(store);
    store.getByHash = async (hash) => {
      reads++;
      return read(hash);
    };
    expect(keys.known(secret)?.id).toBe(key.id);
    expect(keys.known(wrong)).toBeUndefined();
    expect(reads).toBe(0);
    // Past the cache's second it is looked up again before it is known again.
    now += 1_000;
    expect(keys.known(secret)).toBeUndefined();
    await keys.authenticate(secret);
    expect(reads).toBe(1);
    expect(keys.known(secret)?.id).toBe(key.id);
    // Expired: no longer known (and `resolve` says why).
    now += 4_500;
    expect(keys.known(secret)).toBeUndefined();
    await expect(keys.authenticate(secret)).rejects.toThrow(/expired/);
  });

  it('forgets a secret when its key is revoked, evicted or the cache cleared', async () => {
    const keys = createKeyService(createMemoryKeyStore(), { cacheMs: 60_000 });
    const first = await keys.create({ name: 'a' }, { admin: true });
    const second = await keys.create({ name: 'b' }, { admin: true });
    const third = await keys.create({ name: 'c' }, { admin: true });
    for (const { secret } of [first, second, third]) await keys.authenticate(secret);
    await keys.revoke(first.key.id);
    keys.evict(second.key.id);
    expect(keys.known(first.secret)).toBeUndefined();
    expect(keys.known(second.secret)).toBeUndefined();
    expect(keys.known(third.secret)?.id).toBe(third.key.id);
    keys.clearCache();
    expect(keys.known(third.secret)).toBeUndefined();
  });
});

describe('a cold key presented by many requests at once', () => {
  function countingStore() {
    const store = createMemoryKeyStore();
    const read = store.getByHash.bind(store);
    const counted = { reads: 0 };
    let gate: Promise<void> = Promise.resolve();
    let open: () => void = () => undefined;
    store.getByHash = async (hash) => {
      counted.reads++;
      // Read, then held: what a slow query answers is what the store held when it ran.
      const record = await read(hash);
      await gate;
      return record;
    };
    return {
      store,
      counted,
      hold() {
        gate = new Promise<void>((resolve) => {
          open = resolve;
        });
      },
      release: () => open(),
    };
  }

  it('is read from the store once, and every request gets its answer', async () => {
    const s = countingStore();
    const keys = createKeyService(s.store, { cacheMs: 1_000 });
    const { key, secret } = await keys.create({ name: 'k' }, { admin: true });
    s.hold();
    const answers = Array.from({ length: 200 }, () => keys.authenticate(secret));
    await new Promise((resolve) => setTimeout(resolve, 5));
    s.release();
    const found = await Promise.all(answers);
    expect(found.every((k) => k.id === key.id)).toBe(true);
    expect(s.counted.reads).toBe(1);
    // A wrong key shares nothing with it and is refused.
    await expect(keys.authenticate(`${secret.slice(0, -4)}AAAA`)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('a store failure reaches every waiting request as 503, and the next request reads again', async () => {
    const s = countingStore();
    const keys = createKeyService(s.store, { cacheMs: 1_000 });
    const { secret } = await keys.create({ name: 'k' }, { admin: true });
    const read = s.store.getByHash;
    s.store.getByHash = async () => {
      s.counted.reads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('connect ECONNREFUSED');
    };
    const failed = await Promise.all(
      Array.from({ length: 50 }, () => keys.authenticate(secret).catch((e: unknown) => e)),
    );
    expect(failed.every((e) => (e as { code?: string }).code === 'SERVICE_UNAVAILABLE')).toBe(true);
    expect(s.counted.reads).toBe(1);
    s.store.getByHash = read;
    expect((await keys.authenticate(secret)).name).toBe('k');
    expect(s.counted.reads).toBe(2);
  });

  it('a request arriving after an eviction does not join a read that started before it', async () => {
    const s = countingStore();
    const keys = createKeyService(s.store, { cacheMs: 60_000 });
    const { key, secret } = await keys.create({ name: 'k' }, { admin: true });
    s.hold();
    const early = keys.authenticate(secret);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Revoked elsewhere; the bus evicts it here while the early read is held.
    await s.store.revoke(key.id, Date.now());
    keys.evict(key.id);
    const late = keys.authenticate(secret).catch((e: unknown) => e);
    s.release();
    await early;
    expect(await late).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(s.counted.reads).toBe(2);
  });

  it('with cacheMs 0 every request reads the store, as configured', async () => {
    const s = countingStore();
    const keys = createKeyService(s.store, { cacheMs: 0 });
    const { secret } = await keys.create({ name: 'k' }, { admin: true });
    await Promise.all(Array.from({ length: 20 }, () => keys.authenticate(secret)));
    expect(s.counted.reads).toBe(20);
  });
});
