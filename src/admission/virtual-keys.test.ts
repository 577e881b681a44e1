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
