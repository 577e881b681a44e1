/**
 * @module storage/sqlite/sqlite-key-store
 * Virtual keys in SQLite: one row per key, the secret's SHA-256 in a unique column and never the
 * secret itself. A lookup by hash is one prepared point query, cheap enough to run on every
 * request, so a revocation (from this process or from `switchyard keys revoke` in another) is
 * seen by the very next request with no cache to invalidate.
 */

import type Database from 'better-sqlite3';
import type { KeyPatch, KeyStore, StoredKey } from '../admission-ports.js';
import {
  applyPatch,
  fromKeyColumns,
  KEY_COLUMNS,
  type KeyColumns,
  toKeyColumns,
  withoutHash,
} from '../key-rows.js';
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

/** SQLite has no arrays, booleans or JSON: those three columns are stored as text and 0/1. */
type KeyRow = Omit<KeyColumns, 'models' | 'admin' | 'metadata'> & {
  models: string;
  admin: number;
  metadata: string | null;
};

export function createSqliteKeyStore(options: SqliteKeyStoreOptions): KeyStore {
  const owned = options.db === undefined;
  const db = options.db ?? openAdmissionDatabase(options.path ?? ':memory:');
  runMigrations(db, 'keys', KEY_MIGRATIONS);

  const insert = db.prepare<KeyRow>(
    `INSERT INTO virtual_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map((c) => `@${c}`).join(', ')})`,
  );
  const byId = db.prepare<[string], KeyRow>('SELECT * FROM virtual_keys WHERE id = ?');
  const byHash = db.prepare<[string], KeyRow>('SELECT * FROM virtual_keys WHERE key_hash = ?');
  const all = db.prepare<[], KeyRow>('SELECT * FROM virtual_keys ORDER BY created_at, id');
  const setRevoked = db.prepare<[number, string]>(
    'UPDATE virtual_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  );
  const replace = db.prepare<KeyRow>(
    `UPDATE virtual_keys SET ${KEY_COLUMNS.filter((c) => c !== 'id')
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

function toRow(key: StoredKey): KeyRow {
  const columns = toKeyColumns(key);
  return {
    ...columns,
    models: JSON.stringify(columns.models),
    admin: columns.admin ? 1 : 0,
    metadata: columns.metadata === null ? null : JSON.stringify(columns.metadata),
  };
}

function fromRow(row: KeyRow): StoredKey {
  return fromKeyColumns({
    ...row,
    models: JSON.parse(row.models) as string[],
    admin: row.admin === 1,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
  });
}
