/**
 * @module admission/rate-limits
 * Requests and tokens per minute, per virtual key (its `rpm`, `tpm`) and for the whole gateway
 * (`rate_limit.requests_per_minute`, `tokens_per_minute`), over one-minute sliding windows in the
 * CounterStore. `burst` (or `burst_size`) requests are tolerated on top of a per-minute request
 * rate. Tokens are counted at admission with the request's estimate and corrected at settlement.
 * The headers follow OpenAI's (`x-ratelimit-limit-requests`, `-remaining-`, `-reset-`, and the
 * same for tokens), reporting whichever limit is closest to refusing.
 */

import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { Caller } from '../gateway/request-context.js';
import type { VirtualKey, WindowHit } from '../storage/admission-ports.js';

export const RATE_WINDOW_MS = 60_000;

export interface RateLimit {
  scope: 'key' | 'global';
  kind: 'requests' | 'tokens';
  /** Counter key of the sliding window. */
  counterKey: string;
  /** What the window admits (burst included). */
  limit: number;
  /** What to call it in messages. */
  label: string;
}

export interface RateLimitBook {
  /** The limits a caller's requests count against: the key's first, then the gateway's. */
  forCaller(caller: Caller): readonly RateLimit[];
}

const NONE: readonly RateLimit[] = Object.freeze([]);

export function createRateLimitBook(config: Config['rate_limit']): RateLimitBook {
  if (!config.enabled) return { forCaller: () => NONE };
  const burst = config.burst ?? config.burst_size ?? 0;
  const global: RateLimit[] = [];
  if (config.requests_per_minute !== undefined) {
    global.push({
      scope: 'global',
      kind: 'requests',
      counterKey: 'rate:global:requests',
      limit: config.requests_per_minute + burst,
      label: 'the gateway',
    });
  }
  if (config.tokens_per_minute !== undefined) {
    global.push({
      scope: 'global',
      kind: 'tokens',
      counterKey: 'rate:global:tokens',
      limit: config.tokens_per_minute,
      label: 'the gateway',
    });
  }
  function keyLimits(key: VirtualKey): RateLimit[] {
    const limits: RateLimit[] = [];
    const label = `key "${key.name}"`;
    if (key.rpm !== undefined) {
      const counterKey = `rate:key:${key.id}:requests`;
      limits.push({ scope: 'key', kind: 'requests', counterKey, limit: key.rpm + burst, label });
    }
    if (key.tpm !== undefined) {
      const counterKey = `rate:key:${key.id}:tokens`;
      limits.push({ scope: 'key', kind: 'tokens', counterKey, limit: key.tpm, label });
    }
    return global.length === 0 ? limits : [...limits, ...global];
  }
  // Key records are reused while their lookup is cached: build each one's limits once.
  const byKey = new WeakMap<VirtualKey, RateLimit[]>();

  return {
    forCaller(caller) {
      const key = caller.key;
      if (key === undefined || (key.rpm === undefined && key.tpm === undefined)) return global;
      let limits = byKey.get(key);
      if (limits === undefined) {
        limits = keyLimits(key);
        byKey.set(key, limits);
      }
      return limits;
    },
  };
}

// Requests within the same millisecond, and a request's two kinds of window, share a reset time:
// the last one formatted is kept.
let lastResetMs = Number.NaN;
let lastResetText = '';

/** `17ms`, `1.5s`, `6m0s`: the duration format of OpenAI's `x-ratelimit-reset-*` headers. */
export function formatResetDuration(ms: number): string {
  if (ms === lastResetMs) return lastResetText;
  lastResetText = resetText(ms);
  lastResetMs = ms;
  return lastResetText;
}

function resetText(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.ceil(ms))}ms`;
  if (ms <= MAX_RESET_MS) {
    // Seconds to the tenth, as whole tenths: `1m59.3s` without formatting a fraction (slow).
    const tenths = Math.ceil(ms / 100);
    if (tenths < 600) return `${tenthsText(tenths)}s`;
    const minutes = Math.floor(tenths / 600);
    return `${minutes}m${tenthsText(tenths - minutes * 600)}s`;
  }
  const seconds = Math.ceil(ms / 100) / 10;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Math.round((seconds - minutes * 60) * 10) / 10}s`;
}

/** Longer than any window, and short enough for whole tenths to give the same text. */
const MAX_RESET_MS = 1e12;

/** `String(tenths / 10)` for a whole, non-negative number of tenths. */
function tenthsText(tenths: number): string {
  const whole = Math.floor(tenths / 10);
  const tenth = tenths - whole * 10;
  return tenth === 0 ? String(whole) : `${whole}.${tenth}`;
}

const SMALL_INTEGER_LIMIT = 2 ** 30;

/**
 * `String(n)` for a count: one past V8's small integers (a tokens-per-minute window counts in the
 * billions) is written in two small halves, which is several times cheaper than formatting a double.
 */
function countText(n: number): string {
  if (n < SMALL_INTEGER_LIMIT || !Number.isSafeInteger(n)) return String(n);
  const high = Math.floor(n / 1e9);
  return String(high) + String(n - high * 1e9).padStart(9, '0');
}

// The tightest limits are the same ones request after request: their text is kept.
let lastRequestsLimit = Number.NaN;
let lastRequestsLimitText = '';
let lastTokensLimit = Number.NaN;
let lastTokensLimitText = '';

function requestsLimitText(limit: number): string {
  if (limit !== lastRequestsLimit) {
    lastRequestsLimitText = countText(limit);
    lastRequestsLimit = limit;
  }
  return lastRequestsLimitText;
}

function tokensLimitText(limit: number): string {
  if (limit !== lastTokensLimit) {
    lastTokensLimitText = countText(limit);
    lastTokensLimit = limit;
  }
  return lastTokensLimitText;
}

export interface CountedHit {
  limit: RateLimit;
  hit: WindowHit;
  weight: number;
}

/** The `x-ratelimit-*` headers for the hits of one request (the tightest limit of each kind). */
export function rateLimitHeaders(hits: readonly CountedHit[]): Record<string, string> {
  let requests: CountedHit | undefined;
  let tokens: CountedHit | undefined;
  for (const counted of hits) {
    if (counted.limit.kind === 'requests') {
      if (requests === undefined || counted.hit.remaining < requests.hit.remaining) requests = counted;
    } else if (tokens === undefined || counted.hit.remaining < tokens.hit.remaining) {
      tokens = counted;
    }
  }
  return tightestHeaders(requests?.limit, requests?.hit, tokens?.limit, tokens?.hit);
}

/**
 * The `x-ratelimit-*` headers given the tightest hit of each kind, when the caller found them
 * itself (admission does, as it counts): no list of hits is needed.
 */
export function tightestHeaders(
  requestsLimit: RateLimit | undefined,
  requests: WindowHit | undefined,
  tokensLimit: RateLimit | undefined,
  tokens: WindowHit | undefined,
): Record<string, string> {
  if (
    requests !== undefined &&
    requestsLimit !== undefined &&
    tokens !== undefined &&
    tokensLimit !== undefined
  ) {
    // The usual case, as one literal.
    return {
      'x-ratelimit-limit-requests': requestsLimitText(requestsLimit.limit),
      'x-ratelimit-remaining-requests': countText(requests.remaining),
      'x-ratelimit-reset-requests': formatResetDuration(requests.resetMs),
      'x-ratelimit-limit-tokens': tokensLimitText(tokensLimit.limit),
      'x-ratelimit-remaining-tokens': countText(tokens.remaining),
      'x-ratelimit-reset-tokens': formatResetDuration(tokens.resetMs),
    };
  }
  const headers: Record<string, string> = {};
  if (requests !== undefined && requestsLimit !== undefined) {
    headers['x-ratelimit-limit-requests'] = requestsLimitText(requestsLimit.limit);
    headers['x-ratelimit-remaining-requests'] = countText(requests.remaining);
    headers['x-ratelimit-reset-requests'] = formatResetDuration(requests.resetMs);
  }
  if (tokens !== undefined && tokensLimit !== undefined) {
    headers['x-ratelimit-limit-tokens'] = tokensLimitText(tokensLimit.limit);
    headers['x-ratelimit-remaining-tokens'] = countText(tokens.remaining);
    headers['x-ratelimit-reset-tokens'] = formatResetDuration(tokens.resetMs);
  }
  return headers;
}

export function rateLimitError(refused: CountedHit, counted: readonly CountedHit[]): GatewayError {
  const { limit, hit, weight } = refused;
  const what =
    limit.kind === 'requests'
      ? `${limit.label} allows ${limit.limit} requests per minute`
      : weight > limit.limit
        ? `the request's estimated ${weight} tokens exceed the ${limit.limit} tokens per minute ${limit.label} allows`
        : `${limit.label} allows ${limit.limit} tokens per minute`;
  const headers = rateLimitHeaders([...counted, refused]);
  headers['retry-after'] = String(Math.max(1, Math.ceil(hit.retryAfterMs / 1000)));
  return new GatewayError('RATE_LIMIT_EXCEEDED', `rate limit exceeded: ${what}`, {
    retryAfterMs: hit.retryAfterMs,
    headers,
    details: {
      scope: limit.scope,
      limit_type: limit.kind,
      limit: limit.limit,
      retry_after_ms: hit.retryAfterMs,
    },
  });
}
