/**
 * @module storage/sqlite/migrations
 * Numbered schema migrations for the embedded SQLite database. Several stores may share one
 * database file, so `schema_migrations` records versions per component (`ledger`, and later the
 * counter or key stores); each component's migrations run in order, each in its own transaction,
 * and a version once applied is never run again. Migrations are append-only: change the schema
 * by adding a version, never by editing one that has shipped.
 */

import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const LEDGER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger and attempts',
    sql: `
      CREATE TABLE ledger (
        request_id          TEXT PRIMARY KEY,
        timestamp           INTEGER NOT NULL,
        endpoint            TEXT NOT NULL,
        key_id              TEXT,
        project             TEXT,
        user_id             TEXT,
        tags                TEXT,
        route               TEXT,
        strategy            TEXT NOT NULL,
        model               TEXT,
        provider            TEXT,
        deployment          TEXT,
        status              TEXT NOT NULL,
        error_code          TEXT,
        http_status         INTEGER NOT NULL,
        stream              INTEGER NOT NULL,
        input_tokens        INTEGER NOT NULL,
        output_tokens       INTEGER NOT NULL,
        cached_input_tokens INTEGER NOT NULL,
        cache_write_tokens  INTEGER NOT NULL,
        reasoning_tokens    INTEGER NOT NULL,
        usage_estimated     INTEGER NOT NULL,
        cost_nanos          INTEGER NOT NULL,
        latency_ms          REAL NOT NULL,
        ttft_ms             REAL,
        cache_hit           INTEGER NOT NULL,
        confidence          REAL,
        route_trace         TEXT,
        feedback_rating     REAL,
        feedback_comment    TEXT
      );
      CREATE INDEX ledger_timestamp ON ledger (timestamp);
      CREATE INDEX ledger_model_timestamp ON ledger (model, timestamp);
      CREATE INDEX ledger_key_timestamp ON ledger (key_id, timestamp);
      CREATE INDEX ledger_project_timestamp ON ledger (project, timestamp);

      CREATE TABLE ledger_attempts (
        request_id  TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        model       TEXT NOT NULL,
        provider    TEXT NOT NULL,
        deployment  TEXT NOT NULL,
        status      TEXT NOT NULL,
        error_code  TEXT,
        http_status INTEGER,
        latency_ms  REAL NOT NULL,
        input_tokens  INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_nanos  INTEGER NOT NULL,
        PRIMARY KEY (request_id, attempt)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'covering indexes for usage reports and export',
    // Each index lists its columns in full: a shipped migration must never change with the code.
    // A report reads a time range and sums a dozen columns. With every column it touches in one
    // index, a month is a scan of that index alone, never a lookup per row into the wide table
    // rows (route traces, tags). `ledger_report` leads with (timestamp, request_id): ranges of
    // time, and the oldest-first pages of an export, which makes the timestamp-only index
    // redundant. The per-model, per-key and per-project indexes replace the plain ones of
    // version 1 (same leading columns, so the same lookups) and hand a report grouped by that
    // dimension its rows already grouped, sparing SQLite the sort of a million rows.
    sql: `
      CREATE INDEX ledger_report ON ledger (
        timestamp, request_id, model, key_id, project, user_id, provider, strategy, route,
        status, cache_hit, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
        reasoning_tokens, cost_nanos, latency_ms, confidence, feedback_rating
      );
      CREATE INDEX ledger_model_report ON ledger (
        model, timestamp, key_id, project,
        status, cache_hit, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
        reasoning_tokens, cost_nanos, latency_ms, confidence, feedback_rating
      );
      CREATE INDEX ledger_key_report ON ledger (
        key_id, timestamp, model, project,
        status, cache_hit, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
        reasoning_tokens, cost_nanos, latency_ms, confidence, feedback_rating
      );
      CREATE INDEX ledger_project_report ON ledger (
        project, timestamp, model, key_id,
        status, cache_hit, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
        reasoning_tokens, cost_nanos, latency_ms, confidence, feedback_rating
      );
      DROP INDEX ledger_timestamp;
      DROP INDEX ledger_model_timestamp;
      DROP INDEX ledger_key_timestamp;
      DROP INDEX ledger_project_timestamp;
    `,
  },
];

/** Applies the component's pending migrations; returns the versions it applied. */
export function runMigrations(db: Database, component: string, migrations: readonly Migration[]): number[] {
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      component  TEXT NOT NULL,
      version    INTEGER NOT NULL,
      name       TEXT NOT NULL,
      applied_at INTEGER NOT NULL,
      PRIMARY KEY (component, version)
    )
  `);
  const applied = new Set(
    db
      .prepare<[string], { version: number }>('SELECT version FROM schema_migrations WHERE component = ?')
      .all(component)
      .map((row) => row.version),
  );
  const record = db.prepare<[string, number, string, number]>(
    'INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)',
  );
  const ran: number[] = [];
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (const migration of ordered) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(component, migration.version, migration.name, Date.now());
    })();
    ran.push(migration.version);
  }
  return ran;
}
