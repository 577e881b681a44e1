/**
 * @module cache/lexical-vector
 * A local vectoriser for the semantic cache stage. No embedding model is reachable from here, so
 * this is lexical similarity, honestly named: a prompt becomes a sparse vector of hashed word
 * counts and hashed character trigrams (each half of the weight, term frequency damped by a
 * logarithm), and two prompts are as similar as the cosine of their vectors. It catches changes
 * of case, punctuation, spacing, word order, a typo or an extra word; it does not know that
 * "car" and "automobile" mean the same, and it would happily call "What is 2+2?" and "What is
 * 2+3?" near-identical. Hence the guard: two prompts are only comparable when they contain the
 * same numbers in the same order and the same count of negations — a difference there changes
 * the question while barely moving the cosine.
 */

/** A unit-length sparse vector: feature indices ascending, with their weights. */
export interface LexicalVector {
  readonly indices: Uint32Array;
  readonly weights: Float32Array;
  /** Distinct word features (for the inverted index). */
  readonly words: Uint32Array;
  /** Numbers and negations: prompts with different guards are never similar. */
  readonly guard: string;
}

const WORD = /[\p{L}\p{N}]+/gu;
const DIGIT = /\p{N}/u;
const NEGATIONS: ReadonlySet<string> = new Set([
  'no',
  'not',
  'never',
  'none',
  'nothing',
  'nobody',
  'nor',
  'neither',
  'without',
  'cannot',
  // The tail of a split "n't" (don't → don, t).
  't',
  'nicht',
  'kein',
  'keine',
  'pas',
  'non',
  'nie',
  'nunca',
]);

/** FNV-1a, 32 bits, over UTF-16 code units: cheap and well spread for short strings. */
function fnv1a(text: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const WORD_SEED = 0x9e3779b9;
const TRIGRAM_SEED = 0x85ebca6b;

function count(into: Map<number, number>, feature: number): void {
  into.set(feature, (into.get(feature) ?? 0) + 1);
}

/** Damped term frequencies scaled to length `scale` (0 for an empty group). */
function damped(counts: Map<number, number>, scale: number): Map<number, number> {
  let norm = 0;
  const out = new Map<number, number>();
  for (const [feature, n] of counts) {
    const weight = 1 + Math.log(n);
    out.set(feature, weight);
    norm += weight * weight;
  }
  if (norm === 0) return out;
  const factor = scale / Math.sqrt(norm);
  for (const [feature, weight] of out) out.set(feature, weight * factor);
  return out;
}

export function vectorise(text: string): LexicalVector {
  const tokens = text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
  const words = new Map<number, number>();
  const trigrams = new Map<number, number>();
  const numbers: string[] = [];
  let negations = 0;
  for (const token of tokens) {
    count(words, fnv1a(token, WORD_SEED));
    if (DIGIT.test(token)) numbers.push(token);
    if (NEGATIONS.has(token)) negations++;
    const padded = ` ${token} `;
    for (let i = 0; i + 3 <= padded.length; i++) count(trigrams, fnv1a(padded.slice(i, i + 3), TRIGRAM_SEED));
  }
  const half = Math.SQRT1_2;
  const merged = damped(words, half);
  for (const [feature, weight] of damped(trigrams, half)) {
    merged.set(feature, (merged.get(feature) ?? 0) + weight);
  }
  const indices = Uint32Array.from(merged.keys()).sort();
  const weights = new Float32Array(indices.length);
  let norm = 0;
  for (const weight of merged.values()) norm += weight * weight;
  const factor = norm === 0 ? 0 : 1 / Math.sqrt(norm);
  indices.forEach((feature, i) => {
    weights[i] = (merged.get(feature) ?? 0) * factor;
  });
  return {
    indices,
    weights,
    words: Uint32Array.from(words.keys()),
    guard: `${numbers.join(',')}|${negations}`,
  };
}

/** Cosine similarity of two unit vectors: the dot product, by a merge of their sorted indices. */
export function cosine(a: LexicalVector, b: LexicalVector): number {
  let i = 0;
  let j = 0;
  let dot = 0;
  const ai = a.indices;
  const bi = b.indices;
  while (i < ai.length && j < bi.length) {
    const x = ai[i]!;
    const y = bi[j]!;
    if (x === y) {
      dot += a.weights[i]! * b.weights[j]!;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return dot;
}

/** Similarity that respects the guard: 0 when the prompts differ in numbers or negations. */
export function similarity(a: LexicalVector, b: LexicalVector): number {
  return a.guard === b.guard ? cosine(a, b) : 0;
}
