/**
 * @module cache/cache-entry
 * What the cache keeps per answer: the canonical result (so it replays in any wire protocol,
 * streamed or not), the model and deployment that produced it, what it cost then (a hit's
 * saving) and when it was stored — as JSON bytes, versioned. A value that does not decode (an
 * older shape, a foreign writer) is a miss, never an error.
 */

import type { ChatResult } from '../core/chat.js';

export interface CacheEntry {
  /** Registry model name that answered. */
  model: string;
  /** Deployment id that answered. */
  deployment: string;
  /** What the request cost when it was answered, in nano-dollars. */
  costNanos: number;
  storedAt: number;
  result: ChatResult;
}

const ENTRY_VERSION = 1;

export function encodeEntry(entry: CacheEntry): string {
  return JSON.stringify({ v: ENTRY_VERSION, ...entry });
}

function isResult(value: unknown): value is ChatResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Partial<ChatResult>;
  return (
    Array.isArray(result.choices) &&
    typeof result.usage === 'object' &&
    result.usage !== null &&
    typeof result.usage.inputTokens === 'number' &&
    typeof result.usage.outputTokens === 'number'
  );
}

export function decodeEntry(bytes: Buffer): CacheEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Partial<CacheEntry> & { v?: unknown };
  if (
    entry.v !== ENTRY_VERSION ||
    typeof entry.model !== 'string' ||
    typeof entry.deployment !== 'string' ||
    typeof entry.costNanos !== 'number' ||
    typeof entry.storedAt !== 'number' ||
    !isResult(entry.result)
  ) {
    return undefined;
  }
  return {
    model: entry.model,
    deployment: entry.deployment,
    costNanos: entry.costNanos,
    storedAt: entry.storedAt,
    result: entry.result,
  };
}
