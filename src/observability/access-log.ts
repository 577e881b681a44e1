/**
 * @module observability/access-log
 * One info line per HTTP request, written once the response is over (`server.access_log`, on
 * by default): `{"message":"request","details":{"request_id","method","path","status",
 * "duration_ms","model","provider","key_id","cost_usd","cache","attempts"}}`. It names who asked
 * (the virtual key's id, never its secret) and what it cost, never what was asked: no prompt,
 * no query string, no headers. The path still passes the redactor (a client may put a key in
 * it). Built from a handful of primitives after the response has gone, so it adds no latency
 * to the request; the line goes to the logger's asynchronous destination.
 */

import { jsonString } from '../core/json-string.js';
import type { Logger } from './logger.js';
import type { Redactor } from './redact.js';

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

/**
 * The line's details are written as JSON text directly (`logger.infoJson`): a generic logger
 * call copies and redacts every field and serialises the copy, several times the cost of the
 * line itself on a path that runs for every request. Only the path is free text from the
 * client, so only the path goes through the redactor; every other field is the gateway's own
 * (its request id, status, registry names, key id, cost), escaped as JSON strings.
 */
export function createAccessLog(logger: Logger, redactor: Redactor): AccessLog {
  // The fields after the duration repeat from request to request (one model, one key, a cache
  // miss…): their JSON is kept for the last combination seen and reused while it repeats.
  const last: Outcome = {
    model: undefined,
    provider: undefined,
    keyId: undefined,
    costUsd: undefined,
    cache: undefined,
    attempts: undefined,
    aborted: false,
    json: '}',
  };
  // The method and the redacted path repeat too: their JSON is kept for the last one seen.
  let lastMethod = '';
  let methodJson = '""';
  let lastPath = '';
  let pathJson = '""';
  return (record) => {
    if (!logger.isLevelEnabled('info')) return;
    const path =
      record.path.length > MAX_PATH_CHARS ? `${record.path.slice(0, MAX_PATH_CHARS)}…` : record.path;
    if (!sameOutcome(last, record)) describeOutcome(last, record);
    if (record.method !== lastMethod) {
      lastMethod = record.method;
      methodJson = jsonString(lastMethod);
    }
    // The path is redacted every time: the redactor learns new secrets at runtime (addSecret),
    // so a memo of the path here could hand out a redaction made before the secret was known.
    // The redactor's own memo of its last text is cleared by addSecret; the JSON is kept per
    // redacted path. Together: ~470 → ~250 ns per line.
    const redacted = redactor.text(path);
    if (redacted !== lastPath) {
      lastPath = redacted;
      pathJson = jsonString(redacted);
    }
    logger.infoJson(
      'request',
      `{"request_id":${jsonString(record.requestId)},"method":${methodJson},"path":${pathJson},"status":${finite(record.status)},"duration_ms":${tenths(record.durationMs)}${last.json}`,
    );
  };
}

/** The fields of a record after its duration, and their JSON (closing the details object). */
interface Outcome {
  model: string | undefined;
  provider: string | undefined;
  keyId: string | undefined;
  costUsd: string | undefined;
  cache: string | undefined;
  attempts: number | undefined;
  aborted: boolean;
  json: string;
}

function sameOutcome(outcome: Outcome, record: AccessRecord): boolean {
  return (
    outcome.model === record.model &&
    outcome.provider === record.provider &&
    outcome.keyId === record.keyId &&
    outcome.costUsd === record.costUsd &&
    outcome.cache === record.cache &&
    outcome.attempts === record.attempts &&
    outcome.aborted === (record.aborted === true)
  );
}

function describeOutcome(outcome: Outcome, record: AccessRecord): void {
  let json = '';
  if (record.model !== undefined) json += `,"model":${jsonString(record.model)}`;
  if (record.provider !== undefined) json += `,"provider":${jsonString(record.provider)}`;
  if (record.keyId !== undefined) json += `,"key_id":${jsonString(record.keyId)}`;
  if (record.costUsd !== undefined) json += `,"cost_usd":${jsonString(record.costUsd)}`;
  if (record.cache !== undefined) json += `,"cache":${jsonString(record.cache)}`;
  if (record.attempts !== undefined) json += `,"attempts":${finite(record.attempts)}`;
  if (record.aborted === true) json += ',"aborted":true';
  outcome.model = record.model;
  outcome.provider = record.provider;
  outcome.keyId = record.keyId;
  outcome.costUsd = record.costUsd;
  outcome.cache = record.cache;
  outcome.attempts = record.attempts;
  outcome.aborted = record.aborted === true;
  outcome.json = `${json}}`;
}

/**
 * Milliseconds rounded to a tenth, as JSON: what `String(Math.round(ms * 10) / 10)` gives, from
 * integers (formatting a fraction as text is the slow part of a number's JSON).
 */
function tenths(ms: number): string {
  const scaled = Math.round(ms * 10);
  if (!Number.isSafeInteger(scaled) || scaled < 0) return finite(scaled / 10);
  const digit = scaled % 10;
  const whole = (scaled - digit) / 10;
  return digit === 0 ? String(whole) : `${whole}.${digit}`;
}

/** A number as JSON: `null` for NaN and the infinities, as JSON.stringify would write them. */
function finite(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
