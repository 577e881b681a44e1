/**
 * @module cli/heap-growth
 * How far a serving gateway lets V8's old generation grow past what survived the last full
 * collection before it collects again. V8 picks that factor between 1.1 and 4 from how fast it
 * collects against how fast the program allocates, and on a machine with a few GB of memory it
 * goes up to 4. A gateway's old generation fills mostly with per-request state promoted while
 * the request runs — a wave of a thousand 3-second streams promotes ~25 MB that is dead seconds
 * later — so at 4 every wave adds its garbage to the heap before any of it is collected, and the
 * RSS climbs from wave to wave (benchmark D: 169 → 208 → 240 MB over three waves). At 1.5 (V8's
 * own factor when it optimises for memory is 1.3) the old generation stays within half of its
 * live size, and costs a few more full collections, each a few tens of milliseconds of mostly
 * concurrent marking (README, Performance). A `--heap-growing-percent` given to node on the
 * command line or in NODE_OPTIONS is left as it is.
 */

import { setFlagsFromString } from 'node:v8';

/** The old generation may grow by this share of what survived the last full collection. */
export const SERVING_HEAP_GROWING_PERCENT = 50;

const EXPLICIT = /^--heap[-_]growing[-_]percent(=|$)/;

/** The V8 flag to set, or undefined when node was given one already. */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string): string | undefined {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => EXPLICIT.test(arg));
  return given ? undefined : `--heap-growing-percent=${SERVING_HEAP_GROWING_PERCENT}`;
}

/** Applies the serving heap growth to this process (V8 reads it at every full collection). */
export function limitHeapGrowth(): void {
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS ?? '');
  if (flag !== undefined) setFlagsFromString(flag);
}
