/**
 * @module storage/memory/memory-key-store
 * Virtual keys in process memory (for `memory://` storage and tests): two maps, by id and by
 * hash. Records are copied in and out, so no caller can change a stored key behind the store's back.
 */

import type { KeyPatch, KeyStore, StoredKey, VirtualKey } from '../admission-ports.js';

export function createMemoryKeyStore(): KeyStore {
  const byId = new Map<string, StoredKey>();
  const byHash = new Map<string, StoredKey>();

  return {
    async create(key) {
      if (byId.has(key.id)) throw new Error(`a key with id ${key.id} already exists`);
      if (byHash.has(key.hash)) throw new Error('a key with this secret already exists');
      const stored = copyStored(key);
      byId.set(key.id, stored);
      byHash.set(key.hash, stored);
    },
    async get(id) {
      const stored = byId.get(id);
      return stored === undefined ? undefined : publicView(stored);
    },
    async getByHash(hash) {
      const stored = byHash.get(hash);
      return stored === undefined ? undefined : copyStored(stored);
    },
    async list() {
      return [...byId.values()]
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map(publicView);
    },
    async revoke(id, at) {
      const stored = byId.get(id);
      if (stored === undefined) return undefined;
      if (stored.revokedAt === undefined) stored.revokedAt = at;
      return publicView(stored);
    },
    async update(id, patch) {
      const stored = byId.get(id);
      if (stored === undefined) return undefined;
      applyPatch(stored, patch);
      return publicView(stored);
    },
    async close() {
      byId.clear();
      byHash.clear();
    },
  };
}

/** Applies a patch in place: `null` deletes an optional field, `undefined` leaves it alone. */
export function applyPatch(key: VirtualKey, patch: KeyPatch): void {
  const target = key as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      if (field === 'models') key.models = [];
      else if (field === 'admin') key.admin = false;
      else if (field !== 'name') delete target[field];
      continue;
    }
    target[field] = Array.isArray(value) ? [...value] : isRecord(value) ? structuredClone(value) : value;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Looked up on every request that carries a key: copy by hand, deep-cloning only the rare metadata.
function copyStored(key: StoredKey): StoredKey {
  const copy = { ...key, models: [...key.models] };
  if (key.metadata !== undefined) copy.metadata = structuredClone(key.metadata);
  return copy;
}

function publicView(stored: StoredKey): VirtualKey {
  const { hash: _hash, ...key } = copyStored(stored);
  return key;
}
