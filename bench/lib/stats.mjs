/**
 * @module bench/lib/stats
 * The few statistics the benchmark reports: percentiles of one run's samples (nearest rank),
 * and the median across rounds, which is what every headline figure is.
 */

/** Nearest-rank percentile of an ascending-sorted array; undefined when it is empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Median of the defined numbers in `values`; undefined when there are none. */
export function median(values) {
  const defined = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (defined.length === 0) return undefined;
  const mid = defined.length >> 1;
  return defined.length % 2 === 1 ? defined[mid] : (defined[mid - 1] + defined[mid]) / 2;
}

/** Summary of latency samples (any unit): count, mean, p50, p90, p99, max. */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? undefined : sum / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? undefined : sorted[sorted.length - 1],
  };
}

/**
 * For each numeric field of the per-round records, the median across rounds. Fields missing in
 * some rounds take the median of the rounds that have them.
 */
export function medianOfRounds(rounds) {
  const keys = new Set();
  for (const round of rounds) {
    for (const [key, value] of Object.entries(round)) if (typeof value === 'number') keys.add(key);
  }
  const out = {};
  for (const key of keys) out[key] = median(rounds.map((round) => round[key]));
  return out;
}

/** `a / b` when both are usable numbers and b is not 0. */
export function ratio(a, b) {
  if (
    typeof a !== 'number' ||
    typeof b !== 'number' ||
    !Number.isFinite(a) ||
    !Number.isFinite(b) ||
    b === 0
  ) {
    return undefined;
  }
  return a / b;
}
