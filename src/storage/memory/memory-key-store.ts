/**
 * @module storage/memory/memory-key-store
 * Virtual keys in process memory (for `memory://` storage and tests): two maps, by id and by
 * hash. Records are copied in and out, so no caller can change a stored key behind the store's back.
 */

import type { KeyStore, StoredKey, VirtualKey } from '../admission-ports.js';
import { applyPatch, duplicateKeyError, withoutHash } from '../key-rows.js';

export function createMemoryKeyStore(): KeyStore {
  const byId = new Map<string, StoredKey>();
  const byHash = new Map<string, StoredKey>();

  return {
    async create(key) {
      if (byId.has(key.id)) throw duplicateKeyError('id', key.id);
      if (byHash.has(key.hash)) throw duplicateKeyError('hash', key.id);
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

// Looked up on every request that carries a key: copy by hand, deep-cloning only the rare metadata.
function copyStored(key: StoredKey): StoredKey {
  const copy = { ...key, models: [...key.models] };
  if (key.metadata !== undefined) copy.metadata = structuredClone(key.metadata);
  return copy;
}

function publicView(stored: StoredKey): VirtualKey {
  return withoutHash(copyStored(stored));
}
