/**
 * @module storage/postgres/postgres-key-store
 * Virtual keys in PostgreSQL, shared by every replica: one row per key, the secret's SHA-256 in a
 * unique column and never the secret itself. There is no cache here, so a key created or revoked
 * through one replica authenticates or is refused by the next request on any other (within the
 * key service's own `auth.key_cache_ms`). The lookup by hash runs on every request: one point
 * query on a unique index, as a prepared statement.
 *
 * Each operation is atomic on its own: `create` is one insert whose unique constraints refuse a
 * second key with the same id or hash; `revoke` is one `UPDATE … WHERE revoked_at IS NULL`, so of
 * two replicas revoking at once the first time wins; `update` reads the row `FOR UPDATE`, applies
 * the patch as the other backends do and writes it back in one transaction. Deadlocks and
 * serialization failures are retried. The table lives beside the ledger's, in the same schema,
 * under the same advisory-locked migrations (component `keys`).
 */

import { escapeIdentifier, type Pool } from 'pg';
import type { KeyPatch, KeyStore, StoredKey, VirtualKey } from '../admission-ports.js';
import {
  applyPatch,
  duplicateKeyError,
  fromKeyColumns,
  KEY_COLUMNS,
  type KeyColumns,
  toKeyColumns,
  withoutHash,
} from '../key-rows.js';
import { classifyPgError, isMissingRelation } from './pg-errors.js';
import { type PgMigration, runPgMigrations } from './pg-migrations.js';
import { openPgPool, type PgPoolOptions, retryTransient } from './pg-pool.js';

export const KEY_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'virtual keys',
    // Ids sort bytewise (COLLATE "C"), as they do in JavaScript and SQLite, so that every backend
    // lists keys created in the same millisecond in the same order.
    sql: `
      CREATE TABLE {schema}.virtual_keys (
        id            TEXT COLLATE "C" NOT NULL,
        key_hash      TEXT NOT NULL,
        key_prefix    TEXT NOT NULL,
        name          TEXT NOT NULL,
        models        TEXT[] NOT NULL,
        budget_usd    DOUBLE PRECISION,
        budget_window TEXT CHECK (budget_window IN ('daily', 'monthly', 'total')),
        rpm           BIGINT,
        tpm           BIGINT,
        priority      INTEGER,
        project       TEXT,
        user_id       TEXT,
        admin         BOOLEAN NOT NULL,
        expires_at    BIGINT,
        metadata      JSONB,
        created_by    TEXT NOT NULL,
        created_at    BIGINT NOT NULL,
        revoked_at    BIGINT,
        CONSTRAINT virtual_keys_id_unique PRIMARY KEY (id),
        CONSTRAINT virtual_keys_hash_unique UNIQUE (key_hash)
      );
      CREATE INDEX virtual_keys_created ON {schema}.virtual_keys (created_at, id);
    `,
  },
];

export interface PostgresKeyStoreOptions extends PgPoolOptions {
  /** Told when the database is unreachable at start (the store opens anyway) or an idle connection breaks. */
  onError?: (err: unknown) => void;
}

const BY_HASH_STATEMENT = 'switchyard_key_by_hash';
const HASH_CONSTRAINT = 'virtual_keys_hash_unique';
const UNIQUE_VIOLATION = '23505';

/**
 * Opens the store and runs its migrations. A database that cannot be reached yet does not stop
 * the start (operations fail, and migrate, once it answers); one that refuses the credentials,
 * the database or the schema does.
 */
export async function createPostgresKeyStore(options: PostgresKeyStoreOptions): Promise<KeyStore> {
  const onError = options.onError ?? warnKeyStoreFailure;
  const report = (err: unknown): void => {
    try {
      onError(err);
    } catch {
      // A throwing error handler must not break the store.
    }
  };
  const { pool, schema } = openPgPool(options, report);
  const table = `${escapeIdentifier(schema)}.virtual_keys`;
  const sql = statements(table);

  let migration: Promise<void> | undefined;
  function migrate(): Promise<void> {
    migration ??= runPgMigrations(pool, schema, 'keys', KEY_MIGRATIONS).then(
      () => undefined,
      (err: unknown) => {
        migration = undefined;
        throw err;
      },
    );
    return migration;
  }
  try {
    await migrate();
  } catch (err) {
    if (classifyPgError(err) !== 'unavailable') {
      await pool.end().catch(() => undefined);
      throw err;
    }
    report(err);
  }

  let closing: Promise<void> | undefined;

  async function run<T>(operation: () => Promise<T>): Promise<T> {
    if (closing !== undefined) throw new Error('key store is closed');
    await migrate();
    try {
      return await retryTransient(operation);
    } catch (err) {
      if (!isMissingRelation(err)) throw err;
      // The schema was dropped under the store: create it again, once.
      migration = undefined;
      await migrate();
      return retryTransient(operation);
    }
  }

  async function selectById(id: string): Promise<StoredKey | undefined> {
    const row = (await pool.query<KeyColumns>(sql.byId, [id])).rows[0];
    return row === undefined ? undefined : fromKeyColumns(row);
  }

  return {
    create: (key) =>
      run(async () => {
        try {
          await pool.query(sql.insert, toParams(toKeyColumns(key)));
        } catch (err) {
          const { code, constraint } = err as { code?: unknown; constraint?: unknown };
          if (code !== UNIQUE_VIOLATION) throw err;
          throw duplicateKeyError(constraint === HASH_CONSTRAINT ? 'hash' : 'id', key.id);
        }
      }),

    get: (id) => run(async () => publicView(await selectById(id))),

    getByHash: (hash) =>
      run(async () => {
        const { rows } = await pool.query<KeyColumns>({
          name: BY_HASH_STATEMENT,
          text: sql.byHash,
          values: [hash],
        });
        return rows[0] === undefined ? undefined : fromKeyColumns(rows[0]);
      }),

    list: () =>
      run(async () =>
        (await pool.query<KeyColumns>(sql.all)).rows.map((row) => withoutHash(fromKeyColumns(row))),
      ),

    revoke: (id, at) =>
      run(async () => {
        await pool.query(sql.revoke, [id, at]);
        return publicView(await selectById(id));
      }),

    update: (id, patch) => run(() => updateKey(pool, sql, id, patch)),

    close() {
      closing ??= pool.end().catch(report);
      return closing;
    },
  };
}

type Statements = ReturnType<typeof statements>;

function statements(table: string) {
  const editable = KEY_COLUMNS.filter((column) => column !== 'id');
  return {
    insert: `INSERT INTO ${table} (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
    byId: `SELECT * FROM ${table} WHERE id = $1`,
    byIdForUpdate: `SELECT * FROM ${table} WHERE id = $1 FOR UPDATE`,
    byHash: `SELECT * FROM ${table} WHERE key_hash = $1`,
    all: `SELECT * FROM ${table} ORDER BY created_at, id`,
    revoke: `UPDATE ${table} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`,
    replace: `UPDATE ${table} SET (${editable.join(', ')}) = (${editable.map((_, i) => `$${i + 2}`).join(', ')}) WHERE id = $1`,
  };
}

/** Read, patch and write back in one transaction; the row lock keeps a concurrent update from being lost. */
async function updateKey(
  pool: Pool,
  sql: Statements,
  id: string,
  patch: KeyPatch,
): Promise<VirtualKey | undefined> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    const row = (await client.query<KeyColumns>(sql.byIdForUpdate, [id])).rows[0];
    let key: StoredKey | undefined;
    if (row !== undefined) {
      key = fromKeyColumns(row);
      applyPatch(key, patch);
      await client.query(sql.replace, toParams(toKeyColumns(key)));
    }
    await client.query('COMMIT');
    return publicView(key);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    // A connection that failed may be broken: the pool then discards it instead of lending it again.
    if (classifyPgError(err) === 'unavailable') failure = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.release(failure);
  }
}

/** Parameters in column order; node-postgres sends a string[] as a TEXT[], the metadata as JSON text. */
function toParams(columns: KeyColumns): unknown[] {
  return KEY_COLUMNS.map((column) =>
    column === 'metadata' && columns.metadata !== null ? JSON.stringify(columns.metadata) : columns[column],
  );
}

function publicView(key: StoredKey | undefined): VirtualKey | undefined {
  return key === undefined ? undefined : withoutHash(key);
}

function warnKeyStoreFailure(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.emitWarning(`PostgreSQL key store: ${message}`, 'SwitchyardKeyStoreWarning');
}
