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
});
