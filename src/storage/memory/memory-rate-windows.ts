/**
 * @module storage/memory/memory-rate-windows
 * The sliding rate windows of the memory counter store: one object per counter key and window
 * length, holding its two buckets (the arithmetic is counter-window.ts's). A window remembers
 * where its current bucket ends, so a hit inside it finds its bucket by a comparison instead of
 * a floating-point remainder, which on epoch milliseconds is a call into fmod. Not atomic on its
 * own: the store calls it within its own synchronous step.
 */

import type { WindowHit } from '../admission-ports.js';
import { bucketStart, decideHit } from '../counter-window.js';

/** A rate window as the store keeps it: the same object for as long as the store lives. */
export interface WindowState {
  readonly key: string;
  readonly windowMs: number;
  readonly start: number;
  readonly previous: number;
  readonly current: number;
  /**
   * The journal's mark: set by the journal when it is told of a change and cleared once it wrote
   * the window. While it is set, further changes are not told: the window is pending already.
   */
  journaled: boolean;
}

/** A persisted window, as it is read back at start. */
export interface WindowRow {
  key: string;
  windowMs: number;
  start: number;
  previous: number;
  current: number;
}

export interface RateWindows {
  hit(key: string, windowMs: number, limit: number, weight: number, at: number): WindowHit;
  adjust(key: string, windowMs: number, delta: number, at: number, now: number): void;
  clear(): void;
}

interface Window {
  key: string;
  windowMs: number;
  start: number;
  previous: number;
  current: number;
  journaled: boolean;
  /**
   * `start + windowMs` once `start` is known to be a bucket's start: a time in [start, end) is in
   * that bucket. -Infinity until then (a window read back from a snapshot).
   */
  end: number;
}

/** The end of the bucket that starts at `start`, when that bucket can be recognised by range. */
function endOf(start: number, windowMs: number): number {
  // Past zero and in whole milliseconds, a bucket is exactly [start, start + windowMs).
  return start >= 0 && Number.isSafeInteger(start) && Number.isSafeInteger(windowMs)
    ? start + windowMs
    : Number.NEGATIVE_INFINITY;
}

/** `bucketStart(at, window.windowMs)`, answered from the window itself when `at` is in its bucket. */
function bucketOf(window: Window, at: number): number {
  return at >= window.start && at < window.end ? window.start : bucketStart(at, window.windowMs);
}

/**
 * The windows of one store, seeded from `rows`; `changed` hears of a window that changed, unless
 * it is marked `journaled` (pending with the journal already).
 */
export function createRateWindows(
  rows: readonly WindowRow[],
  changed: ((window: WindowState) => void) | undefined,
): RateWindows {
  // By counter key alone (callers pass the same key string every time, so its hash is cached):
  // the window of the first `windowMs` a key was used with. A key used with another `windowMs`
  // too (no caller does; the port allows it) keeps that window in `otherWindows`.
  const windows = new Map<string, Window>();
  const otherWindows = new Map<string, Window>();
  const windowOf = (key: string, windowMs: number): Window | undefined => {
    const window = windows.get(key);
    return window === undefined || window.windowMs === windowMs
      ? window
      : otherWindows.get(`${windowMs}\u0000${key}`);
  };
  const addWindow = (window: Window): void => {
    const first = windows.get(window.key);
    if (first === undefined) windows.set(window.key, window);
    else if (first.windowMs !== window.windowMs)
      otherWindows.set(`${window.windowMs}\u0000${window.key}`, window);
  };
  for (const { key, windowMs, start, previous, current } of rows) {
    addWindow({ key, windowMs, start, previous, current, journaled: false, end: Number.NEGATIVE_INFINITY });
  }

  return {
    hit(key, windowMs, limit, weight, at) {
      let window = windowOf(key, windowMs);
      let start: number;
      if (window === undefined) {
        start = bucketStart(at, windowMs);
        window = {
          key,
          windowMs,
          start,
          previous: 0,
          current: 0,
          journaled: false,
          end: endOf(start, windowMs),
        };
        addWindow(window);
      } else if (at >= window.start && at < window.end) {
        start = window.start;
      } else {
        start = bucketStart(at, windowMs);
        if (window.start !== start) {
          window.previous = window.start === start - windowMs ? window.current : 0;
          window.current = 0;
          window.start = start;
        }
        window.end = endOf(start, windowMs);
      }
      const decision = decideHit(window.previous, window.current, at, windowMs, limit, weight, start);
      if (decision.allowed && weight !== 0) {
        window.current += weight;
        if (changed !== undefined && !window.journaled) changed(window);
      }
      return decision;
    },

    adjust(key, windowMs, delta, at, now) {
      const window = windowOf(key, windowMs);
      if (window === undefined) return;
      const bucket = bucketOf(window, at);
      const current = bucketOf(window, now);
      if (bucket === window.start && bucket === current) {
        window.current = Math.max(0, window.current + delta);
      } else if (bucket === window.start - windowMs && window.start === current) {
        window.previous = Math.max(0, window.previous + delta);
      } else if (bucket === window.start && bucket === current - windowMs) {
        // The window has not been hit since it rolled over: the hit's bucket is now the previous one.
        window.previous = Math.max(0, window.current + delta);
        window.current = 0;
        window.start = current;
        window.end = endOf(current, windowMs);
      } else {
        return;
      }
      if (changed !== undefined && !window.journaled) changed(window);
    },

    clear() {
      windows.clear();
      otherWindows.clear();
    },
  };
}
