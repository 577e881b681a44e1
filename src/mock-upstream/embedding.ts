/**
 * @module mock-upstream/embedding
 * Deterministic embedding vectors for the mock upstream. A vector is a bag of words, each word a
 * fixed random direction for the model and seed, normalised to unit length: the same text always
 * gives the same vector, and texts that share words are close, which is enough for semantic
 * cache tests to tell similar prompts from different ones.
 */

import { createRandom, hashNumber, hashString } from './random.js';

const MAX_EMBEDDED_WORDS = 512;

/** A unit vector for a text (or a token array); words past the first 512 are ignored. */
export function embed(
  input: string | readonly number[],
  model: string,
  dimensions: number,
  seed: number,
): Float32Array {
  const vector = new Float32Array(dimensions);
  const base = hashString(model, hashNumber(seed));
  let words = 0;
  if (typeof input === 'string') {
    let hash = base;
    let inWord = false;
    for (let i = 0; i <= input.length && words < MAX_EMBEDDED_WORDS; i++) {
      const code = i < input.length ? input.charCodeAt(i) : 32;
      const wordChar =
        (code >= 48 && code <= 57) ||
        (code >= 65 && code <= 90) ||
        (code >= 97 && code <= 122) ||
        code >= 128;
      if (wordChar) {
        // ASCII letters are folded to lower case so "Paris" and "paris" are the same word.
        hash = Math.imul(hash ^ (code >= 65 && code <= 90 ? code | 0x20 : code), 0x01000193) >>> 0;
        inWord = true;
      } else if (inWord) {
        addDirection(vector, hash);
        words++;
        hash = base;
        inWord = false;
      }
    }
  } else {
    for (const token of input) {
      if (words++ >= MAX_EMBEDDED_WORDS) break;
      addDirection(vector, hashNumber(token, base));
    }
  }
  if (words === 0) addDirection(vector, hashString(typeof input === 'string' ? input : '', base));
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dimensions; i++) vector[i]! /= norm;
  return vector;
}

function addDirection(vector: Float32Array, hash: number): void {
  const random = createRandom(hash);
  for (let i = 0; i < vector.length; i++) vector[i]! += random.next() * 2 - 1;
}
