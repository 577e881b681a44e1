/**
 * @module observability/access-log
 * One info line per HTTP request, written once the response is over (`server.access_log`, on
 * by default): `{"message":"request","details":{"request_id","method","path","status",
 * "duration_ms","model","provider","key_id","cost_usd","cache","attempts"}}`. It names who asked
 * (the virtual key's id, never its secret) and what it cost, never what was asked: no prompt,
 * no query string, no headers. The path still passes the redactor (a client may put a key in
 * it). Built from a handful of primitives after the response has gone, so it adds no latency
 * to the request; pino hands the line to an asynchronous destination.
 */

import type { Logger } from './logger.js';

export interface AccessRecord {
  requestId: string;
  method: string;
  /** Path without the query string. */
  path: string;
  status: number;
  durationMs: number;
  model?: string | undefined;
  provider?: string | undefined;
  /** Virtual key id; absent for the master key and on an open gateway. */
  keyId?: string | undefined;
  /** USD as the `x-switchyard-cost-usd` header gives it (absent on a stream: it goes in a trailer). */
  costUsd?: string | undefined;
  /** `hit` or `miss`, when the route consulted the cache. */
  cache?: string | undefined;
  attempts?: number | undefined;
  /** The client went away before the response was complete. */
  aborted?: boolean;
}

export type AccessLog = (record: AccessRecord) => void;

const MAX_PATH_CHARS = 256;

export function createAccessLog(logger: Logger): AccessLog {
  return (record) => {
    if (!logger.isLevelEnabled('info')) return;
    const details: Record<string, string | number | boolean> = {
      request_id: record.requestId,
      method: record.method,
      path: record.path.length > MAX_PATH_CHARS ? `${record.path.slice(0, MAX_PATH_CHARS)}…` : record.path,
      status: record.status,
      duration_ms: Math.round(record.durationMs * 10) / 10,
    };
    if (record.model !== undefined) details.model = record.model;
    if (record.provider !== undefined) details.provider = record.provider;
    if (record.keyId !== undefined) details.key_id = record.keyId;
    if (record.costUsd !== undefined) details.cost_usd = record.costUsd;
    if (record.cache !== undefined) details.cache = record.cache;
    if (record.attempts !== undefined) details.attempts = record.attempts;
    if (record.aborted === true) details.aborted = true;
    logger.info('request', details);
  };
}
