/**
 * @module storage/postgres/pg-pool
 * How a PostgreSQL store connects, in one place: the schema comes from the options, else from the
 * URL's `schema` query parameter (taken out of the URL, which node-postgres would not understand),
 * else `public`; BIGINT columns come back as numbers; the server cancels a slow statement and the
 * client gives up a little later on a dead link; an idle connection that breaks is reported
 * instead of crashing the process. Also the one retry of deadlocks and serialization failures.
 */

import { Pool, TypeOverrides } from 'pg';
import { classifyPgError } from './pg-errors.js';

export interface PgPoolOptions {
  /** `postgres://user:password@host:5432/database`; a `schema` query parameter picks the schema. */
  url: string;
  /** Schema holding the tables (created if missing); default the URL's `schema` parameter, else `public`. */
  schema?: string;
  /** Connections in the pool; default 4. */
  poolSize?: number;
  /** How long opening a connection may take before the database counts as unreachable; default 5 s. */
  connectTimeoutMs?: number;
  /** How long one statement may take; default 30 s. */
  queryTimeoutMs?: number;
}

export interface PgPool {
  pool: Pool;
  /** The schema name, unquoted. */
  schema: string;
}

const INT8_OID = 20;

export function openPgPool(options: PgPoolOptions, report: (err: unknown) => void): PgPool {
  const { connectionString, schema: urlSchema } = splitSchema(options.url);
  // BIGINT columns (timestamps, tokens, nano-dollars, counts) as numbers: all stay far below 2^53.
  const types = new TypeOverrides();
  types.setTypeParser(INT8_OID, Number);
  const queryTimeoutMs = options.queryTimeoutMs ?? 30_000;
  const pool = new Pool({
    connectionString,
    max: options.poolSize ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: queryTimeoutMs,
    query_timeout: queryTimeoutMs + 5_000,
    keepAlive: true,
    application_name: 'switchyard',
    types,
  });
  pool.on('error', report);
  return { pool, schema: options.schema ?? urlSchema ?? 'public' };
}

/** Takes a `schema` query parameter out of the URL. */
export function splitSchema(url: string): { connectionString: string; schema: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url, schema: undefined };
  }
  const schema = parsed.searchParams.get('schema');
  if (schema === null) return { connectionString: url, schema: undefined };
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema: schema || undefined };
}

/** Runs `operation` again (up to `attempts` times, with a short jittered backoff) while it fails transiently. */
export async function retryTransient<T>(operation: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      if (classifyPgError(err) !== 'transient' || attempt >= attempts) throw err;
      const ms = 10 * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, ms / 2 + Math.random() * (ms / 2)).unref());
    }
  }
}
