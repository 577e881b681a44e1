/**
 * @module storage/key-store.contract
 * The one test suite every KeyStore backend must pass: keys round-trip field for field; the hash
 * is only ever returned by `getByHash`; ids and hashes are unique; `list` is oldest first and
 * keeps revoked keys; revocation happens once; a patch changes only what it names and `null`
 * clears; what the store returns is a copy the caller cannot use to change the stored key.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { KeyStore, StoredKey } from './admission-ports.js';

const T0 = Date.UTC(2026, 0, 1);

export function storedKey(i: number, overrides: Partial<StoredKey> = {}): StoredKey {
  return {
    id: `key-${String(i).padStart(4, '0')}`,
    hash: i.toString(16).padStart(64, '0'),
    prefix: `sk-sy-ab${i}`,
    name: `key number ${i}`,
    models: ['gpt-4o-mini', 'reliable'],
    budgetUsd: 12.5,
    budgetWindow: 'monthly',
    rpm: 60,
    tpm: 100_000,
    priority: 3,
    project: 'alpha',
    user: 'user-7',
    admin: false,
    expiresAt: T0 + 86_400_000,
    metadata: { team: 'search', nested: { tags: ['a', 'b'] } },
    createdBy: 'master',
    createdAt: T0 + i,
    ...overrides,
  };
}

function minimalKey(i: number): StoredKey {
  return {
    id: `min-${i}`,
    hash: `f${i.toString(16).padStart(63, '0')}`,
    prefix: 'sk-sy-zz',
    name: 'minimal',
    models: [],
    admin: true,
    createdBy: 'open',
    createdAt: T0 + 1_000 + i,
  };
}

export function describeKeyStoreContract(name: string, create: () => KeyStore | Promise<KeyStore>): void {
  describe(`KeyStore contract — ${name}`, () => {
    let store: KeyStore | undefined;
    const open = async () => {
      store = await create();
      return store;
    };
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it('round-trips every field; only getByHash returns the hash', async () => {
      const s = await open();
      const key = storedKey(1);
      await s.create(key);
      expect(await s.getByHash(key.hash)).toEqual(key);
      const { hash: _hash, ...visible } = key;
      const byId = await s.get(key.id);
      expect(byId).toEqual(visible);
      expect(byId).not.toHaveProperty('hash');
      expect(await s.get('nope')).toBeUndefined();
      expect(await s.getByHash('0'.repeat(64))).toBeUndefined();
    });

    it('round-trips a key with only the required fields, without inventing the others', async () => {
      const s = await open();
      const key = minimalKey(1);
      await s.create(key);
      expect(await s.getByHash(key.hash)).toEqual(key);
    });

    it('refuses a second key with the same id or the same hash', async () => {
      const s = await open();
      await s.create(storedKey(1));
      await expect(s.create(storedKey(1, { hash: 'a'.repeat(64) }))).rejects.toThrow();
      await expect(s.create(storedKey(2, { hash: storedKey(1).hash }))).rejects.toThrow();
      expect(await s.list()).toHaveLength(1);
    });

    it('lists every key oldest first, revoked ones included, never with a hash', async () => {
      const s = await open();
      await s.create(storedKey(3));
      await s.create(minimalKey(0));
      await s.create(storedKey(1));
      await s.create(storedKey(2));
      await s.revoke('key-0002', T0 + 5);
      const listed = await s.list();
      expect(listed.map((k) => k.id)).toEqual(['key-0001', 'key-0002', 'key-0003', 'min-0']);
      expect(listed[1]?.revokedAt).toBe(T0 + 5);
      for (const key of listed) expect(key).not.toHaveProperty('hash');
    });

    it('revokes once: a second revocation keeps the first time', async () => {
      const s = await open();
      await s.create(storedKey(1));
      expect((await s.revoke('key-0001', T0 + 10))?.revokedAt).toBe(T0 + 10);
      expect((await s.revoke('key-0001', T0 + 20))?.revokedAt).toBe(T0 + 10);
      expect((await s.getByHash(storedKey(1).hash))?.revokedAt).toBe(T0 + 10);
      expect(await s.revoke('nope', T0)).toBeUndefined();
    });

    it('updates only the named fields; null clears one', async () => {
      const s = await open();
      await s.create(storedKey(1));
      const updated = await s.update('key-0001', {
        name: 'renamed',
        rpm: 120,
        budgetUsd: null,
        budgetWindow: null,
        models: ['gpt-4o'],
        metadata: { team: 'ads' },
      });
      const { hash: _hash, ...visible } = storedKey(1);
      const { budgetUsd: _b, budgetWindow: _w, ...rest } = visible;
      const expected = { ...rest, name: 'renamed', rpm: 120, models: ['gpt-4o'], metadata: { team: 'ads' } };
      expect(updated).toEqual(expected);
      expect(await s.get('key-0001')).toEqual(expected);
      expect(await s.update('nope', { name: 'x' })).toBeUndefined();
    });

    it('returns copies: changing a returned key does not change the stored one', async () => {
      const s = await open();
      const key = storedKey(1);
      await s.create(key);
      key.models.push('mutated-after-create');
      const got = await s.get('key-0001');
      got!.models.push('mutated-after-get');
      (got!.metadata as Record<string, unknown>).team = 'mutated';
      const again = await s.get('key-0001');
      expect(again?.models).toEqual(['gpt-4o-mini', 'reliable']);
      expect(again?.metadata).toEqual({ team: 'search', nested: { tags: ['a', 'b'] } });
    });
  });
}
