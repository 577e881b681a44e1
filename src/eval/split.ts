/**
 * @module eval/split
 * Seeded train/test splits and k folds, so every reported number is out-of-sample. A row's side is
 * decided by a hash of its id and the seed — not by its position — so a split does not change
 * when the file is reordered or rows are added, and each task is split in the same proportion.
 */

import { finalizeHash, hashNumber, hashString } from '../mock-upstream/random.js';
import type { EvalRow } from './datasets.js';
import { getOrInsert } from './memo.js';

function unitHash(id: string, seed: number): number {
  return finalizeHash(hashNumber(seed, hashString(id))) / 0x1_0000_0000;
}

/** Rows in a seeded pseudo-random order, stratified by task (the tasks interleave evenly). */
function shuffledByTask(rows: readonly EvalRow[], seed: number): EvalRow[][] {
  const byTask = new Map<string, { row: EvalRow; key: number }[]>();
  for (const row of rows) {
    getOrInsert(byTask, row.task, () => []).push({ row, key: unitHash(row.id, seed) });
  }
  return [...byTask.values()].map((list) => list.sort((a, b) => a.key - b.key).map((e) => e.row));
}

/** Splits each task's rows `trainFraction` : rest, in a seeded order. */
export function splitRows(
  rows: readonly EvalRow[],
  options: { seed?: number; trainFraction?: number } = {},
): { train: EvalRow[]; test: EvalRow[] } {
  const fraction = options.trainFraction ?? 0.5;
  const train: EvalRow[] = [];
  const test: EvalRow[] = [];
  for (const list of shuffledByTask(rows, options.seed ?? 1)) {
    const cut = Math.round(list.length * fraction);
    train.push(...list.slice(0, cut));
    test.push(...list.slice(cut));
  }
  return { train, test };
}

/** k folds of the rows, each task spread evenly over the folds. Fold i is `folds[i]`. */
export function kFolds(rows: readonly EvalRow[], k: number, seed = 1): EvalRow[][] {
  const folds: EvalRow[][] = Array.from({ length: k }, () => []);
  for (const list of shuffledByTask(rows, seed)) {
    list.forEach((row, i) => {
      folds[i % k]!.push(row);
    });
  }
  return folds;
}
