/**
 * @module storage/postgres/pg-migrations
 * Numbered schema migrations for PostgreSQL, with the same bookkeeping as the SQLite ones: a
 * `schema_migrations` table holds the versions applied per component, each migration runs in
 * its own transaction, and a version once applied never runs again. Several replicas start at
 * once, so all of this happens under a transaction-scoped advisory lock keyed by the schema: the
 * first replica migrates, the others wait and then find nothing left to do. Migrations are
 * append-only; DDL is written against a `{schema}` placeholder so that tests can use a fresh
 * schema each.
 */

import type { Pool, PoolClient } from 'pg';
import { escapeIdentifier } from 'pg';

export interface PgMigration {
  version: number;
  name: string;
  /** DDL; `{schema}` stands for the quoted schema name. */
  sql: string;
}

export const LEDGER_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'ledger and attempts',
    // Request ids sort bytewise (COLLATE "C"), as they do in JavaScript and SQLite, so that
    // every backend breaks timestamp ties the same way.
    sql: `
      CREATE TABLE {schema}.ledger (
        request_id          TEXT COLLATE "C" PRIMARY KEY,
        timestamp           BIGINT NOT NULL,
        endpoint            TEXT NOT NULL,
        key_id              TEXT,
        project             TEXT,
        user_id             TEXT,
        tags                JSONB,
        route               TEXT,
        strategy            TEXT NOT NULL,
        model               TEXT,
        provider            TEXT,
        deployment          TEXT,
        status              TEXT NOT NULL,
        error_code          TEXT,
        http_status         INTEGER NOT NULL,
        stream              BOOLEAN NOT NULL,
        input_tokens        BIGINT NOT NULL,
        output_tokens       BIGINT NOT NULL,
        cached_input_tokens BIGINT NOT NULL,
        cache_write_tokens  BIGINT NOT NULL,
        reasoning_tokens    BIGINT NOT NULL,
        usage_estimated     BOOLEAN NOT NULL,
        cost_nanos          BIGINT NOT NULL,
        latency_ms          DOUBLE PRECISION NOT NULL,
        ttft_ms             DOUBLE PRECISION,
        cache_hit           BOOLEAN NOT NULL,
        confidence          DOUBLE PRECISION,
        route_trace         TEXT,
        feedback_rating     DOUBLE PRECISION,
        feedback_comment    TEXT
      );
      CREATE INDEX ledger_timestamp ON {schema}.ledger (timestamp);
      CREATE INDEX ledger_model_timestamp ON {schema}.ledger (model, timestamp);
      CREATE INDEX ledger_key_timestamp ON {schema}.ledger (key_id, timestamp);
      CREATE INDEX ledger_project_timestamp ON {schema}.ledger (project, timestamp);

      CREATE TABLE {schema}.ledger_attempts (
        request_id    TEXT COLLATE "C" NOT NULL,
        attempt       INTEGER NOT NULL,
        model         TEXT NOT NULL,
        provider      TEXT NOT NULL,
        deployment    TEXT NOT NULL,
        status        TEXT NOT NULL,
        error_code    TEXT,
        http_status   INTEGER,
        latency_ms    DOUBLE PRECISION NOT NULL,
        input_tokens  BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cost_nanos    BIGINT NOT NULL,
        PRIMARY KEY (request_id, attempt)
      );
    `,
  },
];

/** Applies the component's pending migrations in `schema` (created if missing); returns the versions applied. */
export async function runPgMigrations(
  pool: Pool,
  schema: string,
  component: string,
  migrations: readonly PgMigration[],
): Promise<number[]> {
  const quoted = escapeIdentifier(schema);
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    // Two replicas starting together would both try to create the tables: one waits here.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`switchyard:migrations:${schema}`]);
    // Looked up first: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoted}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
        component  TEXT NOT NULL,
        version    INTEGER NOT NULL,
        name       TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version)
      )
    `);
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${quoted}.schema_migrations WHERE component = $1`,
      [component],
    );
    await client.query('COMMIT');
    const applied = new Set(rows.map((row) => row.version));
    const ran: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      if (await applyOne(client, quoted, schema, component, migration)) ran.push(migration.version);
    }
    return ran;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    failure = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // A connection that failed may be broken: the pool discards it instead of lending it again.
    client.release(failure);
  }
}

/** Runs one migration under the lock; false if another replica applied it meanwhile. */
async function applyOne(
  client: PoolClient,
  quoted: string,
  schema: string,
  component: string,
  migration: PgMigration,
): Promise<boolean> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`switchyard:migrations:${schema}`]);
    const done = await client.query(
      `SELECT 1 FROM ${quoted}.schema_migrations WHERE component = $1 AND version = $2`,
      [component, migration.version],
    );
    if (done.rowCount !== null && done.rowCount > 0) {
      await client.query('COMMIT');
      return false;
    }
    await client.query(migration.sql.replaceAll('{schema}', quoted));
    await client.query(
      `INSERT INTO ${quoted}.schema_migrations (component, version, name) VALUES ($1, $2, $3)`,
      [component, migration.version, migration.name],
    );
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
