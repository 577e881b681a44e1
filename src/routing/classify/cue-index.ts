/**
 * @module routing/classify/cue-index
 * Finds cues in text without allocating: words are hashed while they are scanned (FNV-1a over
 * lower-cased char codes) and looked up in an open-addressing table of int32 slots; a hit is
 * confirmed against the cue's spelling, so a hash collision never counts. Word pairs hash as a
 * combination of their two word hashes. Classifying a 2k-token prompt is one pass over its
 * characters with a couple of table probes per word.
 */

import type { Cue } from './cues.js';

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/** Hash of a lower-case word as the scanner computes it. */
export function hashWord(word: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
  return h;
}

export function hashPair(first: number, second: number): number {
  return (Math.imul(first ^ 0x5bd1e995, FNV_PRIME) + second) | 0;
}

/** Lower-cases ASCII letters and folds the typographic apostrophe into `'`. */
export function foldChar(code: number): number {
  if (code >= 65 && code <= 90) return code + 32;
  if (code === 0x2019) return 39;
  return code;
}

function slotOf(hash: number, mask: number): number {
  return (hash ^ (hash >>> 15)) & mask;
}

function spelled(word: string, text: string, start: number, end: number): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if (foldChar(text.charCodeAt(start + i)) !== word.charCodeAt(i)) return false;
  }
  return true;
}

export interface CueIndex {
  readonly cues: readonly Cue[];
  /** The cue spelled text[start, end), or -1. */
  word(hash: number, text: string, start: number, end: number): number;
  /** The pair cue spelled by the two words, or -1. */
  pair(hash: number, text: string, firstStart: number, firstEnd: number, start: number, end: number): number;
}

export function createCueIndex(cues: readonly Cue[]): CueIndex {
  let size = 64;
  while (size < cues.length * 4) size *= 2;
  const mask = size - 1;
  const keys = new Int32Array(size);
  // Cue index + 1; 0 marks an empty slot.
  const values = new Int32Array(size);
  cues.forEach((cue, index) => {
    const [first, second] = cue.words;
    const hash =
      second === undefined ? hashWord(first ?? '') : hashPair(hashWord(first ?? ''), hashWord(second));
    let slot = slotOf(hash, mask);
    while (values[slot] !== 0) slot = (slot + 1) & mask;
    keys[slot] = hash;
    values[slot] = index + 1;
  });

  return {
    cues,
    word(hash, text, start, end) {
      let slot = slotOf(hash, mask);
      for (let value = values[slot]!; value !== 0; value = values[slot]!) {
        if (keys[slot] === hash) {
          const cue = cues[value - 1]!;
          if (cue.words.length === 1 && spelled(cue.phrase, text, start, end)) return value - 1;
        }
        slot = (slot + 1) & mask;
      }
      return -1;
    },
    pair(hash, text, firstStart, firstEnd, start, end) {
      let slot = slotOf(hash, mask);
      for (let value = values[slot]!; value !== 0; value = values[slot]!) {
        if (keys[slot] === hash) {
          const cue = cues[value - 1]!;
          if (
            cue.words.length === 2 &&
            spelled(cue.words[0]!, text, firstStart, firstEnd) &&
            spelled(cue.words[1]!, text, start, end)
          ) {
            return value - 1;
          }
        }
        slot = (slot + 1) & mask;
      }
      return -1;
    },
  };
}
