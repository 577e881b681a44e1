/**
 * @module observability/series
 * Pre-aggregated Prometheus series for the request hot path. prom-client's own metrics validate
 * and hash their labels on every `inc`/`observe` (0.3–0.5 µs each, several per request); here a
 * series is a plain cell the caller holds on to, so recording is a few additions, and the work of
 * turning cells into exposition lines happens once per scrape. Tables cap the number of distinct
 * label sets per metric so that no input can grow memory without bound: past the cap, caller-given
 * label values collapse into `other`.
 */

import type { Metric, Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

/** A counter or gauge series. */
export interface ValueCell {
  readonly labels: Labels;
  value: number;
}

/** A histogram series: per-bucket counts (not cumulative; the last slot is +Inf), sum and count. */
export interface HistogramCell {
  readonly labels: Labels;
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

export const OTHER = 'other';

/** Label tuples mapped to cells, at most `maxSeries` distinct ones plus their overflow series. */
export class SeriesTable<C extends { readonly labels: Labels }> {
  private readonly cells = new Map<string, C>();
  private readonly overflow = new Map<string, C>();

  /**
   * @param labelNames label names, in the order values are given to `get`
   * @param closedLabels labels whose values come from a fixed set of the gateway's own
   *   (status, token type): they keep their value in overflow series, the others become `other`
   */
  constructor(
    readonly labelNames: readonly string[],
    private readonly create: (labels: Labels) => C,
    private readonly maxSeries: number,
    private readonly closedLabels: ReadonlySet<string> = new Set(),
  ) {}

  /** The cell for these label values; `undefined` leaves the label out of that series. */
  get(values: readonly (string | undefined)[]): C {
    const key = tupleKey(values);
    const cell = this.cells.get(key);
    if (cell !== undefined) return cell;
    if (this.cells.size < this.maxSeries) {
      const created = this.create(this.labelsOf(values));
      this.cells.set(key, created);
      return created;
    }
    const collapsed = values.map((value, i) =>
      value === undefined || this.closedLabels.has(this.labelNames[i]!) ? value : OTHER,
    );
    const overflowKey = tupleKey(collapsed);
    let overflowCell = this.overflow.get(overflowKey);
    if (overflowCell === undefined) {
      overflowCell = this.create(this.labelsOf(collapsed));
      this.overflow.set(overflowKey, overflowCell);
    }
    return overflowCell;
  }

  *all(): IterableIterator<C> {
    yield* this.cells.values();
    yield* this.overflow.values();
  }

  get size(): number {
    return this.cells.size + this.overflow.size;
  }

  clear(): void {
    this.cells.clear();
    this.overflow.clear();
  }

  private labelsOf(values: readonly (string | undefined)[]): Labels {
    const labels: Record<string, string> = {};
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value !== undefined) labels[this.labelNames[i]!] = value;
    }
    return labels;
  }
}

/** Joins label values with separators that cannot occur in registry names. */
export function tupleKey(values: readonly (string | undefined)[]): string {
  let key = '';
  for (const value of values) key += value === undefined ? '\u0001\u0000' : value + '\u0000';
  return key;
}

export function createValueCell(labels: Labels): ValueCell {
  return { labels, value: 0 };
}

export function histogramCellFactory(bounds: Float64Array): (labels: Labels) => HistogramCell {
  return (labels) => ({ labels, buckets: new Float64Array(bounds.length + 1), sum: 0, count: 0 });
}

/** Counts `value` in the first bucket whose upper bound is ≥ value (Prometheus `le`). */
export function observe(cell: HistogramCell, bounds: Float64Array, value: number): void {
  // One NaN would turn the series' sum into NaN for the life of the process.
  if (Number.isNaN(value)) return;
  let low = 0;
  let high = bounds.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (bounds[mid]! < value) low = mid + 1;
    else high = mid;
  }
  cell.buckets[low]! += 1;
  cell.sum += value;
  cell.count += 1;
}

export interface ExpositionValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

export interface CollectorSpec {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values(): ExpositionValue[];
  reset(): void;
}

/**
 * Registers pre-aggregated series with a prom-client registry, which formats and escapes them
 * with everything else. The registry only needs `name`, `help`, `type`, `aggregator`, `get()`
 * and `reset()`: the same structural contract prom-client's own AggregatorRegistry relies on
 * when it registers aggregated cluster metrics. Its type declarations only name its classes,
 * hence the one cast.
 */
export function registerCollector(registry: Registry, spec: CollectorSpec): void {
  const { name, help, type } = spec;
  const collector = {
    name,
    help,
    type,
    aggregator: type === 'gauge' ? 'max' : 'sum',
    get: async () => ({ name, help, type, aggregator: collector.aggregator, values: spec.values() }),
    reset: () => spec.reset(),
  };
  registry.registerMetric(collector as unknown as Metric);
}

/** Counter or gauge lines; `scale` converts the stored unit (e.g. nano-dollars to dollars). */
export function valueLines(table: SeriesTable<ValueCell>, scale = 1): ExpositionValue[] {
  const lines: ExpositionValue[] = [];
  for (const cell of table.all()) lines.push({ labels: { ...cell.labels }, value: cell.value * scale });
  return lines;
}

/** `_bucket` (cumulative, with `le`), `_sum` and `_count` lines of every histogram series. */
export function histogramLines(
  name: string,
  table: SeriesTable<HistogramCell>,
  bounds: Float64Array,
): ExpositionValue[] {
  const lines: ExpositionValue[] = [];
  const bucketName = `${name}_bucket`;
  for (const cell of table.all()) {
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += cell.buckets[i]!;
      lines.push({ metricName: bucketName, labels: { ...cell.labels, le: bounds[i]! }, value: cumulative });
    }
    lines.push({ metricName: bucketName, labels: { ...cell.labels, le: '+Inf' }, value: cell.count });
    lines.push({ metricName: `${name}_sum`, labels: { ...cell.labels }, value: cell.sum });
    lines.push({ metricName: `${name}_count`, labels: { ...cell.labels }, value: cell.count });
  }
  return lines;
}
