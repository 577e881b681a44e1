/**
 * @module storage/counter-window
 * The arithmetic of the sliding-window rate counter every CounterStore backend shares: two fixed
 * buckets of `windowMs`, the previous one weighted by the share of it still inside the window
 * (the approximation Cloudflare and most gateways use: O(1) state per key, within a few percent
 * of an exact log). Backends only load the two buckets and store the new current one; deciding
 * lives here so that memory, SQLite and a future Lua script all answer alike.
 */

import type { WindowHit } from './admission-ports.js';

/** Start of the fixed bucket that holds `now`. */
export function bucketStart(now: number, windowMs: number): number {
  return now - (now % windowMs);
}

/**
 * Decides a hit of `weight` given the previous and current buckets' counts. The caller adds
 * `weight` to the current bucket when `allowed`; a caller that knows `bucketStart(now, windowMs)`
 * already passes it as `start`.
 */
export function decideHit(
  previous: number,
  current: number,
  now: number,
  windowMs: number,
  limit: number,
  weight: number,
  start = bucketStart(now, windowMs),
): WindowHit {
  const elapsed = now - start;
  const count = (previous * (windowMs - elapsed)) / windowMs + current;
  const allowed = count + weight <= limit;
  const after = allowed ? count + weight : count;
  const currentAfter = allowed ? current + weight : current;
  let resetMs = 0;
  if (currentAfter > 0) resetMs = start + 2 * windowMs - now;
  else if (previous > 0) resetMs = start + windowMs - now;
  let retryAfterMs = 0;
  if (!allowed) {
    if (weight > limit) {
      retryAfterMs = resetMs;
    } else if (current + weight <= limit && previous > 0) {
      // The previous bucket's weight slides out linearly until the end of this bucket.
      const excess = previous - (limit - current - weight);
      retryAfterMs = start + (windowMs * excess) / previous - now;
    } else {
      // Only the next bucket, as this one slides out of it, makes room.
      const excess = Math.max(0, current - (limit - weight));
      retryAfterMs = start + windowMs + (current > 0 ? (windowMs * excess) / current : 0) - now;
    }
    retryAfterMs = Math.max(1, Math.ceil(retryAfterMs));
  }
  return {
    allowed,
    count,
    remaining: Math.max(0, Math.floor(limit - after)),
    resetMs: Math.ceil(resetMs),
    retryAfterMs,
    at: now,
  };
}
