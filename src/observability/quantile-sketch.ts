/**
 * @module observability/quantile-sketch
 * Latency quantiles in bounded memory. Values go into logarithmic buckets (the DDSketch mapping):
 * bucket i holds (γ^(i-1), γ^i] with γ = (1+α)/(1-α), and reports 2γ^i/(γ+1), which is within
 * α = 2% of every value in the bucket. So a quantile read from merged buckets is within 2% of the
 * exact value of the same rank. Values from 1 µs to ~28 hours (in milliseconds) take at most
 * ~630 buckets; a minute of one model's traffic usually spans a few dozen to a hundred, and a
 * sketch only stores the range it has seen.
 */

/** The relative accuracy of every quantile. */
export const RELATIVE_ACCURACY = 0.02;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this (1 µs when values are milliseconds) count as the smallest value seen. */
const MIN_TRACKED = 1e-3;
/** Larger values are counted in the last bucket (1e8 ms is about 28 hours). */
const MAX_TRACKED = 1e8;
const MIN_INDEX = bucketIndex(MIN_TRACKED);
const MAX_INDEX = bucketIndex(MAX_TRACKED);
/** Buckets between the smallest and the largest tracked value. */
export const MAX_BUCKETS = MAX_INDEX - MIN_INDEX + 1;
const GROWTH_SLACK = 4;
const EMPTY = new Uint16Array(0);

function bucketIndex(value: number): number {
  return Math.ceil(Math.log(value) / LOG_GAMMA);
}

function bucketValue(index: number): number {
  return (2 * Math.exp(index * LOG_GAMMA)) / (GAMMA + 1);
}

/** Where a value is counted: 0 for the low slot, else its bucket index relative to MIN_INDEX, plus one. */
function slotOf(value: number): number {
  if (!(value > MIN_TRACKED)) return 0;
  if (value >= MAX_TRACKED) return MAX_BUCKETS;
  return bucketIndex(value) - MIN_INDEX + 1;
}

/** What a slot reports, before clamping to the observed min and max. */
function slotValue(slot: number): number {
  return slot === 0 ? 0 : bucketValue(slot - 1 + MIN_INDEX);
}

/**
 * The 1-based rank of quantile q among n values: ⌈q·n⌉, at least 1. The tolerance keeps float
 * noise (0.95 × 100 = 95.00000000000001) from moving the rank up by one.
 */
export function nearestRank(q: number, n: number): number {
  return Math.max(1, Math.ceil(q * n - 1e-9));
}

interface Extremes {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * A sketch that is written to: one per model per minute. It stores only the range of buckets it
 * has seen, in 16-bit counts that widen to 32 bits the first time one would overflow, because
 * most minutes of one model hold far fewer than 65,536 requests per bucket.
 */
export class QuantileSketch implements Extremes {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** counts[k] is the count of slot `first + k`; slot 0 is everything at or below MIN_TRACKED. */
  private counts: Uint16Array | Uint32Array = EMPTY;
  private first = 0;

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    const slot = slotOf(value);
    let position = slot - this.first;
    if (position < 0 || position >= this.counts.length) position = this.grow(slot);
    const next = this.counts[position]! + 1;
    if (next > 0xffff && this.counts instanceof Uint16Array) this.counts = Uint32Array.from(this.counts);
    this.counts[position] = next;
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Buckets allocated, for memory accounting. */
  get buckets(): number {
    return this.counts.length;
  }

  /** Adds every count into `target`, indexed by slot. */
  addCountsTo(target: Float64Array): void {
    const { counts, first } = this;
    for (let k = 0; k < counts.length; k++) {
      const c = counts[k]!;
      if (c !== 0) target[first + k]! += c;
    }
  }

  /**
   * Widens the stored range to include `slot` and returns its position. A few spare buckets on
   * the side of growth keep a steadily rising (or falling) latency from reallocating each time;
   * values in random order set a new extreme only O(log n) times.
   */
  private grow(slot: number): number {
    const total = MAX_BUCKETS + 1;
    const length = this.counts.length;
    const low = length === 0 ? slot : Math.min(slot, this.first);
    const high = length === 0 ? slot : Math.max(slot, this.first + length - 1);
    const newLength = Math.min(total, high - low + 1 + GROWTH_SLACK);
    const start = length > 0 && slot < this.first ? high - newLength + 1 : low;
    const newFirst = Math.max(0, Math.min(start, total - newLength));
    const counts =
      this.counts instanceof Uint32Array ? new Uint32Array(newLength) : new Uint16Array(newLength);
    if (length > 0) counts.set(this.counts, this.first - newFirst);
    this.counts = counts;
    this.first = newFirst;
    return slot - newFirst;
  }
}

/** Sketches merged for a query: dense over every slot, so merging is a plain addition. */
export class MergedQuantiles implements Extremes {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  private readonly counts = new Float64Array(MAX_BUCKETS + 1);

  merge(sketch: QuantileSketch | MergedQuantiles): void {
    if (sketch.count === 0) return;
    if (sketch instanceof QuantileSketch) sketch.addCountsTo(this.counts);
    else for (let i = 0; i < this.counts.length; i++) this.counts[i]! += sketch.counts[i]!;
    this.count += sketch.count;
    this.sum += sketch.sum;
    if (sketch.min < this.min) this.min = sketch.min;
    if (sketch.max > this.max) this.max = sketch.max;
  }

  /**
   * The values of rank ⌈q·n⌉ (nearest rank, 1-based) for each q of `qs` in increasing order,
   * each within 2% of the exact value of that rank; 0 when there is no value.
   */
  quantiles(qs: readonly number[]): number[] {
    const out = qs.map(() => 0);
    if (this.count === 0) return out;
    let q = 0;
    let cumulative = 0;
    for (let slot = 0; slot < this.counts.length && q < qs.length; slot++) {
      cumulative += this.counts[slot]!;
      while (q < qs.length && cumulative >= nearestRank(qs[q]!, this.count)) {
        const rank = nearestRank(qs[q]!, this.count);
        // The observed extremes are exact: the first and last ranks are them, and every other
        // estimate can only come closer by being clamped to them.
        if (rank === 1) out[q] = this.min;
        else if (rank >= this.count) out[q] = this.max;
        else out[q] = Math.min(this.max, Math.max(this.min, slotValue(slot)));
        q++;
      }
    }
    return out;
  }
}
