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
