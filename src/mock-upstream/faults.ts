/**
 * @module mock-upstream/faults
 * The failures the mock upstream can produce, how they are written down (`FaultSpec` in options,
 * `KIND` or `KIND:N` in the `x-mock-fault` header and the `[[mock:fault=…]]` directive) and how
 * one is picked for a request. Picking draws from a per-model seeded generator, so "30% of
 * requests fail" is the same 30% on every run. Carrying a fault out is the server's job.
 */

import type { Random } from './random.js';

export const FAULT_KINDS = [
  'http_500',
  'http_502',
  'http_503',
  'http_429',
  'reset_before_headers',
  'reset_after_bytes',
  'hang',
  'malformed_json',
  'non_json',
  'sse_cut',
  'no_finish',
  'inband_error',
  'missing_usage',
  'slow_trickle',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault a model (or one request) exhibits. */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** Share of requests that get it, 0..1; default 1. */
  readonly rate?: number;
  /** Stream faults (`sse_cut`, `reset_after_bytes`, `inband_error`, `malformed_json`): tokens sent first. Default: half the answer. */
  readonly after_tokens?: number;
  /** `reset_after_bytes` on a non-stream response: body bytes sent before the reset. Default: half the body. */
  readonly after_bytes?: number;
  /** HTTP status for the `http_*` kinds (overrides the one in the name) and for `non_json` (default 200). */
  readonly status?: number;
  /** `Retry-After` seconds; `http_429` defaults to 1. */
  readonly retry_after_s?: number;
  /** `slow_trickle`: milliseconds between tokens; default 200. */
  readonly interval_ms?: number;
}

const KINDS = new Set<string>(FAULT_KINDS);

export function isFaultKind(value: string): value is FaultKind {
  return KINDS.has(value);
}

/**
 * Parses the compact form `KIND` or `KIND:N`. N is the kind's main parameter: the status of an
 * `http_*` fault, the interval of `slow_trickle`, bytes for a non-stream `reset_after_bytes`
 * (tokens when streaming), tokens for the other stream faults. Undefined for an unknown kind.
 */
export function parseFault(text: string): FaultSpec | undefined {
  const colon = text.indexOf(':');
  const kind = (colon === -1 ? text : text.slice(0, colon)).trim();
  if (!isFaultKind(kind)) return undefined;
  if (colon === -1) return { kind };
  const value = Number(text.slice(colon + 1));
  if (!Number.isFinite(value) || value < 0) return undefined;
  if (kind.startsWith('http_') || kind === 'non_json') return { kind, status: value };
  if (kind === 'slow_trickle') return { kind, interval_ms: value };
  if (kind === 'reset_after_bytes') return { kind, after_tokens: value, after_bytes: value };
  if (
    kind === 'hang' ||
    kind === 'reset_before_headers' ||
    kind === 'missing_usage' ||
    kind === 'no_finish'
  ) {
    return { kind };
  }
  return { kind, after_tokens: value };
}

/**
 * The fault this request gets, if any: the first configured fault whose dice roll hits, else an
 * HTTP 500 at the profile's `error_rate`. Faults with rate 1 consume no draw, so adding one does
 * not shift the sequence of the others.
 */
export function rollFault(
  faults: readonly FaultSpec[],
  errorRate: number,
  random: Random,
): FaultSpec | undefined {
  for (const fault of faults) {
    const rate = fault.rate ?? 1;
    if (rate >= 1 || (rate > 0 && random.next() < rate)) return fault;
  }
  if (errorRate > 0 && random.next() < errorRate) return ERROR_RATE_FAULT;
  return undefined;
}

const ERROR_RATE_FAULT: FaultSpec = { kind: 'http_500' };

/** The HTTP status an `http_*` fault answers with. */
export function faultStatus(fault: FaultSpec): number {
  if (fault.status !== undefined) return fault.status;
  switch (fault.kind) {
    case 'http_502':
      return 502;
    case 'http_503':
      return 503;
    case 'http_429':
      return 429;
    case 'non_json':
      return 200;
    default:
      return 500;
  }
}

/** Faults answered with an error status before any content. */
export function isHttpFault(kind: FaultKind): boolean {
  return kind === 'http_500' || kind === 'http_502' || kind === 'http_503' || kind === 'http_429';
}

/** Faults that cut a stream after some tokens. */
export function isCutFault(kind: FaultKind): boolean {
  return (
    kind === 'sse_cut' || kind === 'reset_after_bytes' || kind === 'inband_error' || kind === 'malformed_json'
  );
}
