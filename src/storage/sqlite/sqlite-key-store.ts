/**
 * @module storage/sqlite/sqlite-key-store
 * Virtual keys in SQLite: one row per key, the secret's SHA-256 in a unique column and never the
 * secret itself. A lookup by hash is one prepared point query, cheap enough to run on every
 * request, so a revocation (from this process or from `switchyard keys revoke` in another) is
 * seen by the very next request with no cache to invalidate.
 */

import type Database from 'better-sqlite3';
import type { BudgetWindow, KeyPatch, KeyStore, StoredKey, VirtualKey } from '../admission-ports.js';
import { applyPatch } from '../memory/memory-key-store.js';
import { type Migration, runMigrations } from './migrations.js';
import { openAdmissionDatabase } from './sqlite-counter-store.js';

export const KEY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'virtual keys',
    sql: `
      CREATE TABLE virtual_keys (
        id            TEXT PRIMARY KEY,
        key_hash      TEXT NOT NULL UNIQUE,
        key_prefix    TEXT NOT NULL,
        name          TEXT NOT NULL,
        models        TEXT NOT NULL,
        budget_usd    REAL,
        budget_window TEXT,
        rpm           INTEGER,
        tpm           INTEGER,
        priority      INTEGER,
        project       TEXT,
        user_id       TEXT,
        admin         INTEGER NOT NULL,
        expires_at    INTEGER,
        metadata      TEXT,
        created_by    TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        revoked_at    INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX virtual_keys_created ON virtual_keys (created_at, id);
    `,
  },
];

export interface SqliteKeyStoreOptions {
  path?: string;
  /** An open connection to share (e.g. with the counter store); the store then leaves it open. */
  db?: Database.Database;
}

interface KeyRow {
  id: string;
  key_hash: string;
  key_prefix: string;
  name: string;
  models: string;
  budget_usd: number | null;
  budget_window: string | null;
  rpm: number | null;
  tpm: number | null;
  priority: number | null;
  project: string | null;
  user_id: string | null;
  admin: number;
  expires_at: number | null;
  metadata: string | null;
  created_by: string;
  created_at: number;
  revoked_at: number | null;
}

const COLUMNS = Object.keys({
  id: 0,
  key_hash: 0,
  key_prefix: 0,
  name: 0,
  models: 0,
  budget_usd: 0,
  budget_window: 0,
  rpm: 0,
  tpm: 0,
  priority: 0,
  project: 0,
  user_id: 0,
  admin: 0,
  expires_at: 0,
  metadata: 0,
  created_by: 0,
  created_at: 0,
  revoked_at: 0,
} satisfies Record<keyof KeyRow, 0>);

export function createSqliteKeyStore(options: SqliteKeyStoreOptions): KeyStore {
  const owned = options.db === undefined;
  const db = options.db ?? openAdmissionDatabase(options.path ?? ':memory:');
  runMigrations(db, 'keys', KEY_MIGRATIONS);

  const insert = db.prepare<KeyRow>(
    `INSERT INTO virtual_keys (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`,
  );
  const byId = db.prepare<[string], KeyRow>('SELECT * FROM virtual_keys WHERE id = ?');
  const byHash = db.prepare<[string], KeyRow>('SELECT * FROM virtual_keys WHERE key_hash = ?');
  const all = db.prepare<[], KeyRow>('SELECT * FROM virtual_keys ORDER BY created_at, id');
  const setRevoked = db.prepare<[number, string]>(
    'UPDATE virtual_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  );
  const replace = db.prepare<KeyRow>(
    `UPDATE virtual_keys SET ${COLUMNS.filter((c) => c !== 'id')
      .map((c) => `${c} = @${c}`)
      .join(', ')} WHERE id = @id`,
  );

  const revokeTx = db.transaction((id: string, at: number) => {
    setRevoked.run(at, id);
    return byId.get(id);
  });
  const updateTx = db.transaction((id: string, patch: KeyPatch) => {
    const row = byId.get(id);
    if (row === undefined) return undefined;
    const key = fromRow(row);
    applyPatch(key, patch);
    replace.run(toRow(key));
    return key;
  });

  let closed = false;
  function assertOpen(): void {
    if (closed) throw new Error('key store is closed');
  }

  return {
    async create(key) {
      assertOpen();
      insert.run(toRow(key));
    },
    async get(id) {
      assertOpen();
      const row = byId.get(id);
      return row === undefined ? undefined : withoutHash(fromRow(row));
    },
    async getByHash(hash) {
      assertOpen();
      const row = byHash.get(hash);
      return row === undefined ? undefined : fromRow(row);
    },
    async list() {
      assertOpen();
      return all.all().map((row) => withoutHash(fromRow(row)));
    },
    async revoke(id, at) {
      assertOpen();
      const row = revokeTx.immediate(id, at);
      return row === undefined ? undefined : withoutHash(fromRow(row));
    },
    async update(id, patch) {
      assertOpen();
      const key = updateTx.immediate(id, patch);
      return key === undefined ? undefined : withoutHash(key);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) db.close();
    },
  };
}

function withoutHash(key: StoredKey): VirtualKey {
  const { hash: _hash, ...rest } = key;
  return rest;
}

function toRow(key: StoredKey): KeyRow {
  return {
    id: key.id,
    key_hash: key.hash,
    key_prefix: key.prefix,
    name: key.name,
    models: JSON.stringify(key.models),
    budget_usd: key.budgetUsd ?? null,
    budget_window: key.budgetWindow ?? null,
    rpm: key.rpm ?? null,
    tpm: key.tpm ?? null,
    priority: key.priority ?? null,
    project: key.project ?? null,
    user_id: key.user ?? null,
    admin: key.admin ? 1 : 0,
    expires_at: key.expiresAt ?? null,
    metadata: key.metadata === undefined ? null : JSON.stringify(key.metadata),
    created_by: key.createdBy,
    created_at: key.createdAt,
    revoked_at: key.revokedAt ?? null,
  };
}

function fromRow(row: KeyRow): StoredKey {
  const key: StoredKey = {
    id: row.id,
    hash: row.key_hash,
    prefix: row.key_prefix,
    name: row.name,
    models: JSON.parse(row.models) as string[],
    admin: row.admin === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
  if (row.budget_usd !== null) key.budgetUsd = row.budget_usd;
  if (row.budget_window !== null) key.budgetWindow = row.budget_window as BudgetWindow;
  if (row.rpm !== null) key.rpm = row.rpm;
  if (row.tpm !== null) key.tpm = row.tpm;
  if (row.priority !== null) key.priority = row.priority;
  if (row.project !== null) key.project = row.project;
  if (row.user_id !== null) key.user = row.user_id;
  if (row.expires_at !== null) key.expiresAt = row.expires_at;
  if (row.metadata !== null) key.metadata = JSON.parse(row.metadata) as Record<string, unknown>;
  if (row.revoked_at !== null) key.revokedAt = row.revoked_at;
  return key;
}
