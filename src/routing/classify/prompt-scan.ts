/**
 * @module routing/classify/prompt-scan
 * Collects what the classifier weighs from a prompt: the cues found (each once, at the highest
 * weight it was seen with), fenced code, list items, question marks, code punctuation and
 * arithmetic like `2 + 2`. Words inside fenced code are not cues: `return` in a pasted function
 * says nothing about what the caller wants. Instructions sit at the start or the end of the last
 * user message, so that message's first and last 300 characters are read character by
 * character; the middle of a long message (a pasted document) is only counted for structure with
 * `indexOf`, which keeps a 2k-token prompt to a few microseconds. The system prompt and earlier
 * turns contribute their opening words at a third of the weight. The scanner reuses its buffers,
 * so scanning allocates nothing; it is synchronous, so one scanner per process is safe.
 */

import { type CueIndex, FNV_OFFSET, FNV_PRIME, foldChar, hashPair } from './cue-index.js';

const ZONE_CHARS = 300;
export const OUTSIDE_ASK_WEIGHT = 0.35;

export interface ScanTotals {
  chars: number;
  /** Fenced code blocks (```). */
  fences: number;
  fenceLines: number;
  /** Lines starting with `-`, `*`, `•` or `1.` / `1)`. */
  listItems: number;
  questions: number;
  /** `;`, `{`, `}` outside fences: code pasted without a fence. */
  codeSymbols: number;
  /** Arithmetic operators between two numbers (`2+2`, `3 * 4`, `10 - 3`). */
  mathOps: number;
  hitCount: number;
  /** Indices of the cues found; the first `hitCount` entries are valid. */
  readonly hits: Int32Array;
  /** Weight of each found cue, by cue index (valid for found cues only). */
  readonly weight: Float32Array;
}

export interface PromptScanner {
  readonly totals: ScanTotals;
  reset(): void;
  /** Scans one text; `ask` marks the last user message. */
  scan(text: string, ask: boolean): void;
}

function isWordChar(c: number): boolean {
  if (c < 128) {
    return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 39 || c === 45;
  }
  if (c === 0x2019) return true;
  return c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && (c < 0x2000 || c > 0x206f);
}

/** The next ``` that opens a line (after optional indentation) at or after `from`, or -1. */
function findFence(text: string, from: number): number {
  for (let at = text.indexOf('```', from); at !== -1; at = text.indexOf('```', at + 3)) {
    let before = at - 1;
    while (before >= 0 && (text.charCodeAt(before) === 32 || text.charCodeAt(before) === 9)) before--;
    if (before < 0 || text.charCodeAt(before) === 10) return at;
  }
  return -1;
}

/** Index just past the end of the line containing `at`. */
function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl === -1 ? text.length : nl + 1;
}

function occurrences(text: string, char: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf(char, from); at !== -1 && at < to; at = text.indexOf(char, at + 1)) count++;
  return count;
}

export function createPromptScanner(index: CueIndex): PromptScanner {
  const size = index.cues.length;
  const stamp = new Uint32Array(size);
  let generation = 1;
  const totals: ScanTotals = {
    chars: 0,
    fences: 0,
    fenceLines: 0,
    listItems: 0,
    questions: 0,
    codeSymbols: 0,
    mathOps: 0,
    hitCount: 0,
    hits: new Int32Array(size),
    weight: new Float32Array(size),
  };

  function hit(cue: number, weight: number): void {
    if (stamp[cue] !== generation) {
      stamp[cue] = generation;
      totals.weight[cue] = weight;
      totals.hits[totals.hitCount++] = cue;
    } else if (weight > totals.weight[cue]!) {
      totals.weight[cue] = weight;
    }
  }

  /** Reads every character of text[from, to): cues, and in the ask also arithmetic and list items. */
  function readChars(text: string, from: number, to: number, weight: number, ask: boolean): void {
    let lineStart = from === 0 || text.charCodeAt(from - 1) === 10;
    // The previous word, for pairs; -1 after a sentence break.
    let prevStart = -1;
    let prevEnd = -1;
    let prevHash = 0;
    // 1: a number just ended; 2: a number and then an operator.
    let operand = 0;
    let i = from;
    while (i < to) {
      let c = text.charCodeAt(i);
      if (isWordChar(c) && c !== 39 && c !== 45 && c !== 0x2019) {
        const start = i;
        let h = FNV_OFFSET;
        let letters = false;
        do {
          const folded = foldChar(c);
          if ((folded >= 97 && folded <= 122) || folded > 127) letters = true;
          h = Math.imul(h ^ folded, FNV_PRIME);
          i++;
          if (i >= to) break;
          c = text.charCodeAt(i);
          // A hyphen after a bare number is a minus or a range, not part of a word.
        } while (isWordChar(c) && (letters || c !== 45));
        if (letters) {
          operand = 0;
          const cue = index.word(h, text, start, i);
          if (cue >= 0) hit(cue, weight);
          if (prevStart >= 0) {
            const pair = index.pair(hashPair(prevHash, h), text, prevStart, prevEnd, start, i);
            if (pair >= 0) hit(pair, weight);
          }
          prevHash = h;
          prevStart = start;
          prevEnd = i;
        } else if (lineStart && (c === 46 || c === 41) && text.charCodeAt(i + 1) === 32) {
          if (ask) totals.listItems++;
          operand = 0;
          i++;
        } else {
          if (operand === 2 && ask) totals.mathOps++;
          operand = 1;
          prevStart = -1;
        }
        lineStart = false;
        continue;
      }
      switch (c) {
        case 10:
          prevStart = -1;
          operand = 0;
          break;
        case 32:
        case 9:
        case 13:
          break;
        case 63:
          if (ask) totals.questions++;
          prevStart = -1;
          operand = 0;
          break;
        case 46:
        case 33:
          prevStart = -1;
          operand = 0;
          break;
        case 59:
          if (ask) totals.codeSymbols++;
          operand = 0;
          break;
        case 123:
        case 125:
          if (ask) totals.codeSymbols++;
          prevStart = -1;
          operand = 0;
          break;
        case 42:
          if (lineStart && text.charCodeAt(i + 1) === 32) {
            if (ask) totals.listItems++;
            operand = 0;
          } else operand = operand === 1 ? 2 : 0;
          break;
        case 43:
        case 61:
        case 94:
        case 0xd7:
        case 0xf7:
          operand = operand === 1 ? 2 : 0;
          break;
        case 45:
        case 47:
          if (c === 45 && lineStart && text.charCodeAt(i + 1) === 32) {
            if (ask) totals.listItems++;
            operand = 0;
          } else {
            // `10 - 3` and `8 / 2` count; `2024-01-05` and `1/2` read as dates and fractions.
            const spaced = text.charCodeAt(i - 1) === 32 && text.charCodeAt(i + 1) === 32;
            operand = operand === 1 && spaced ? 2 : 0;
          }
          break;
        case 0x2022:
          if (lineStart && ask) totals.listItems++;
          operand = 0;
          break;
        case 40:
          break;
        default:
          operand = 0;
      }
      if (c !== 32 && c !== 9 && c !== 13) lineStart = c === 10;
      i++;
    }
  }

  /** Counts structure in text[from, to) without reading every character (the middle of a long ask). */
  function countStructure(text: string, from: number, to: number): void {
    totals.questions += occurrences(text, '?', from, to);
    totals.codeSymbols += occurrences(text, ';', from, to);
    totals.codeSymbols += occurrences(text, '{', from, to);
    totals.codeSymbols += occurrences(text, '}', from, to);
    for (let nl = text.indexOf('\n', from); nl !== -1 && nl < to; nl = text.indexOf('\n', nl + 1)) {
      let at = nl + 1;
      while (text.charCodeAt(at) === 32) at++;
      const c = text.charCodeAt(at);
      const next = text.charCodeAt(at + 1);
      if (((c === 45 || c === 42) && next === 32) || c === 0x2022) totals.listItems++;
      else if (c >= 48 && c <= 57 && (next === 46 || next === 41)) totals.listItems++;
    }
  }

  /** Prose between fences: the head and tail of the ask are read in full, the middle is counted. */
  function readProse(text: string, from: number, to: number, ask: boolean): void {
    const n = text.length;
    if (!ask) {
      // System prompts and earlier turns: their opening words only, at a lower weight.
      if (from < ZONE_CHARS) readChars(text, from, Math.min(to, ZONE_CHARS), OUTSIDE_ASK_WEIGHT, false);
      return;
    }
    if (n <= 2 * ZONE_CHARS) {
      readChars(text, from, to, 1, true);
      return;
    }
    const headEnd = Math.min(to, ZONE_CHARS);
    let tailStart = Math.max(from, n - ZONE_CHARS);
    const space = text.indexOf(' ', tailStart);
    if (space !== -1 && space < to) tailStart = space;
    if (from < headEnd) readChars(text, from, headEnd, 1, true);
    const middleFrom = Math.max(from, headEnd);
    const middleTo = Math.min(to, tailStart);
    if (middleFrom < middleTo) countStructure(text, middleFrom, middleTo);
    if (tailStart < to) readChars(text, Math.max(from, tailStart), to, 1, true);
  }

  function scan(text: string, ask: boolean): void {
    totals.chars += text.length;
    let pos = 0;
    for (;;) {
      const open = findFence(text, pos);
      readProse(text, pos, open === -1 ? text.length : open, ask);
      if (open === -1) return;
      totals.fences++;
      const body = lineEnd(text, open);
      const close = findFence(text, body);
      totals.fenceLines += occurrences(text, '\n', body, close === -1 ? text.length : close);
      if (close === -1) return;
      pos = lineEnd(text, close);
    }
  }

  return {
    totals,
    reset() {
      generation++;
      if (generation === 0xffffffff) {
        stamp.fill(0);
        generation = 1;
      }
      totals.chars = 0;
      totals.fences = 0;
      totals.fenceLines = 0;
      totals.listItems = 0;
      totals.questions = 0;
      totals.codeSymbols = 0;
      totals.mathOps = 0;
      totals.hitCount = 0;
    },
    scan,
  };
}
