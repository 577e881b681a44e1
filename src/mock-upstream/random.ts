/**
 * @module mock-upstream/random
 * Hashing and a seeded pseudo-random generator for the mock upstream. Everything the mock
 * "decides" (answer text, tool arguments, embeddings, which request gets a fault) comes from
 * these, so the same request and seed always give the same result and tests are reproducible.
 * FNV-1a is used because it hashes a string in one pass without allocating; mulberry32 because
 * it is a tiny, fast generator with good enough statistics for test data.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over a string, continuing from `hash` so several parts can be chained without concatenation. */
export function hashString(text: string, hash: number = FNV_OFFSET): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** Mixes a number into a running hash (e.g. a seed or an index). */
export function hashNumber(value: number, hash: number = FNV_OFFSET): number {
  let h = (hash ^ (value | 0)) >>> 0;
  h = Math.imul(h, FNV_PRIME);
  h ^= Math.floor(value / 0x1_0000_0000) | 0;
  return Math.imul(h, FNV_PRIME) >>> 0;
}

/** Spreads the bits of a weak hash (FNV's low bits correlate) before it seeds a generator. */
export function finalizeHash(hash: number): number {
  let h = hash >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic stream of numbers. */
export interface Random {
  /** A number in [0, 1). */
  next(): number;
  /** An integer in [0, bound). */
  int(bound: number): number;
}

/** mulberry32: 32 bits of state, one multiply-xorshift round per draw. */
export function createRandom(seed: number): Random {
  let state = finalizeHash(seed) || 0x9e3779b9;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  return { next, int: (bound) => Math.floor(next() * bound) };
}
