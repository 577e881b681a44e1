/**
 * @module providers/shared/retry-after
 * How long an upstream asked us to wait: `retry-after-ms`, `retry-after` (seconds or an HTTP
 * date) or OpenAI-style `x-ratelimit-reset-*` durations (`6m0s`, `1.5s`, `20ms`). Every
 * protocol's error classifier reads the wait here.
 */

import type { ErrorResponse } from '../spec.js';
import { headerValue } from './json.js';

type Headers = ErrorResponse['headers'];

const DURATION_UNITS_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000_001,
};

/** Parses a Go duration as OpenAI sends it (`6m0s`, `1.5s`, `20ms`) into whole milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const length = text.length;
  let i = 0;
  let total = 0;
  while (i < length) {
    const numberStart = i;
    while (i < length) {
      const c = text.charCodeAt(i);
      if ((c >= 48 && c <= 57) || c === 46) i++;
      else break;
    }
    if (i === numberStart) return undefined;
    const amount = Number(text.slice(numberStart, i));
    const unitStart = i;
    while (i < length) {
      const c = text.charCodeAt(i);
      if ((c >= 97 && c <= 122) || c === 0xb5) i++;
      else break;
    }
    const unit = DURATION_UNITS_MS[text.slice(unitStart, i)];
    if (unit === undefined || !Number.isFinite(amount)) return undefined;
    total += amount * unit;
  }
  return length === 0 ? undefined : Math.ceil(total);
}

function nonNegativeNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Milliseconds the upstream asked us to wait before trying again, if it said. */
export function parseRetryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = nonNegativeNumber(headerValue(headers['retry-after-ms']));
  if (ms !== undefined) return Math.ceil(ms);

  const retryAfter = headerValue(headers['retry-after']);
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const seconds = nonNegativeNumber(retryAfter);
    if (seconds !== undefined) return Math.ceil(seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }

  const resetRequestsText = headerValue(headers['x-ratelimit-reset-requests']);
  const resetTokensText = headerValue(headers['x-ratelimit-reset-tokens']);
  const resetRequests =
    resetRequestsText === undefined ? undefined : parseDurationMs(resetRequestsText.trim());
  const resetTokens = resetTokensText === undefined ? undefined : parseDurationMs(resetTokensText.trim());
  // Wait for the limit that is exhausted; when the headers do not say which, for the longer one.
  const requestsOut = headerValue(headers['x-ratelimit-remaining-requests'])?.trim() === '0';
  const tokensOut = headerValue(headers['x-ratelimit-remaining-tokens'])?.trim() === '0';
  let wait: number | undefined;
  if (requestsOut || tokensOut) {
    if (requestsOut && resetRequests !== undefined) wait = resetRequests;
    if (tokensOut && resetTokens !== undefined) wait = Math.max(wait ?? 0, resetTokens);
    if (wait !== undefined) return wait;
  }
  if (resetRequests !== undefined || resetTokens !== undefined) {
    return Math.max(resetRequests ?? 0, resetTokens ?? 0);
  }
  return undefined;
}
