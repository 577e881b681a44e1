/**
 * @module storage/postgres/pg-errors
 * What a failed PostgreSQL call means for the ledger, decided in one place. A deadlock or a
 * serialization failure is worth retrying at once; a refused or dropped connection, a server
 * shutting down or out of connections means the database is unavailable and records go to the
 * spool; a value the database refuses for good (a data or constraint error) will never pass and
 * must be set aside on its own rather than block everything behind it. Anything else (a missing
 * table, a permission) is a problem an operator has to fix: the ledger keeps the records and
 * keeps trying, as it does when the database is down, but at start it fails loudly instead.
 */

/** `transient`: retry now; `unavailable`: spool and retry later; `rejected`: set the record aside; `fatal`: misconfigured. */
export type PgFailure = 'transient' | 'unavailable' | 'rejected' | 'fatal';

const TRANSIENT_STATES = new Set(['40001', '40P01', '55P03']);
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53400', '58000', '58030']);
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// node-postgres reports a lost or timed-out connection with a plain Error and no code.
const NETWORK_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Client was closed',
  'Cannot use a pool after calling end',
];

export function classifyPgError(err: unknown): PgFailure {
  if (typeof err !== 'object' || err === null) return 'fatal';
  if (err instanceof AggregateError) {
    // Connecting to `localhost` tries every address; the first error speaks for all of them.
    return err.errors.length > 0 ? classifyPgError(err.errors[0]) : 'unavailable';
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_STATES.has(code)) return 'transient';
    if (UNAVAILABLE_STATES.has(code) || code.startsWith('08') || code.startsWith('53')) return 'unavailable';
    if (NETWORK_ERRNOS.has(code)) return 'unavailable';
    if (code.startsWith('22') || code.startsWith('23')) return 'rejected';
  }
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && NETWORK_MESSAGES.some((m) => message.includes(m))) return 'unavailable';
  return 'fatal';
}

/** Whether the error says the ledger's tables or schema are gone (and migrations should run again). */
export function isMissingRelation(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === '42P01' || code === '3F000';
}
