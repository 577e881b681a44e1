/**
 * @module observability/stats
 * The numbers behind `GET /v1/metrics?time_range=1h&model=…`: totals, latency and time-to-first-
 * token quantiles, and a per-model breakdown over a recent window. Requests are counted in
 * per-minute slots of a ring buffer that covers the retention (24 hours by default), each holding
 * per-model counters and latency sketches (2% relative accuracy, see `quantile-sketch.ts`), and
 * again in per-hour slots so long ranges stay cheap to query. So `record` is O(1), memory is
 * bounded by retention × models × sketch size whatever the traffic, and a query merges at most
 * one slot per whole hour of its range plus the minutes at its two edges.
 */

import { invalidRequest } from '../core/errors.js';
import { MergedQuantiles, QuantileSketch } from './quantile-sketch.js';
import type { RequestOutcome } from './request-outcome.js';
import { OTHER } from './series.js';

export interface RequestStatsOptions {
  /** How far back queries can reach (default 24 hours); longer ranges are clamped to it. */
  retentionMs?: number;
  /** Clock in epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** Distinct models counted per minute before further ones are counted as `other` (default 500). */
  maxModelsPerMinute?: number;
}

export interface StatsQuery {
  timeRangeMs: number;
  model?: string;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface ModelStats {
  requests: number;
  failed: number;
  cost_usd: number;
  latency_ms: Percentiles;
}

/** The JSON of `GET /v1/metrics`. Quantiles are 0 when the window holds no value. */
export interface StatsSnapshot {
  /** The effective range, e.g. `1h` (after clamping to the retention). */
  time_range: string;
  /** Start of the first minute included (ISO 8601): data is kept per whole minute. */
  since: string;
  until: string;
  totals: {
    requests: number;
    success: number;
    /** Requests that ended in an error; client cancellations are counted apart. */
    failed: number;
    cancelled: number;
    input_tokens: number;
    output_tokens: number;
    cost_usd: number;
  };
  latency_ms: Percentiles & { avg: number };
  ttft_ms: Percentiles;
  models: Record<string, ModelStats>;
  /** Requests that did not succeed, by error code (`CANCELLED` for cancellations without one). */
  errors: Record<string, number>;
}

export interface RequestStats {
  record(outcome: RequestOutcome): void;
  query(query: StatsQuery): StatsSnapshot;
  /** What is held in memory: minute and hour slots in use, model series in them, sketch buckets. */
  footprint(): { minutes: number; hours: number; series: number; buckets: number };
}

export const DEFAULT_RETENTION_MS = 24 * 60 * 60_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const MINUTES_PER_HOUR = 60;
const DEFAULT_MAX_MODELS = 500;
const NANOS_PER_USD = 1e9;
const QUANTILES = [0.5, 0.95, 0.99] as const;

interface Counters {
  requests: number;
  success: number;
  failed: number;
  cancelled: number;
  inputTokens: number;
  outputTokens: number;
  costNanos: number;
}

/** One model's traffic in one slot (a minute or an hour). */
interface SlotEntry extends Counters {
  readonly latency: QuantileSketch;
  ttft: QuantileSketch | undefined;
  errors: Map<string, number> | undefined;
}

interface ModelTotals extends Counters {
  readonly latency: MergedQuantiles;
}

function zeroCounters(): Counters {
  return { requests: 0, success: 0, failed: 0, cancelled: 0, inputTokens: 0, outputTokens: 0, costNanos: 0 };
}

function addCounters(target: Counters, source: Counters): void {
  target.requests += source.requests;
  target.success += source.success;
  target.failed += source.failed;
  target.cancelled += source.cancelled;
  target.inputTokens += source.inputTokens;
  target.outputTokens += source.outputTokens;
  target.costNanos += source.costNanos;
}

/**
 * Fixed-size ring of time slots, each a map of model → entry. Slot `i` covers
 * [i·slotMs, (i+1)·slotMs); its storage is reused, cleared, when the ring comes round.
 */
class SlotRing {
  private readonly slots: ({ index: number; readonly models: Map<string, SlotEntry> } | undefined)[];

  constructor(
    size: number,
    private readonly maxModels: number,
  ) {
    this.slots = new Array(size);
  }

  get size(): number {
    return this.slots.length;
  }

  entry(index: number, model: string): SlotEntry {
    const position = index % this.slots.length;
    let slot = this.slots[position];
    if (slot === undefined) {
      slot = { index, models: new Map() };
      this.slots[position] = slot;
    } else if (slot.index !== index) {
      slot.index = index;
      slot.models.clear();
    }
    let entry = slot.models.get(model);
    if (entry !== undefined) return entry;
    const name = slot.models.size < this.maxModels ? model : OTHER;
    entry = slot.models.get(name);
    if (entry === undefined) {
      entry = {
        requests: 0,
        success: 0,
        failed: 0,
        cancelled: 0,
        inputTokens: 0,
        outputTokens: 0,
        costNanos: 0,
        latency: new QuantileSketch(),
        ttft: undefined,
        errors: undefined,
      };
      slot.models.set(name, entry);
    }
    return entry;
  }

  /** The entries of slot `index`, if the ring still holds that slot. */
  models(index: number): Map<string, SlotEntry> | undefined {
    const slot = this.slots[index % this.slots.length];
    return slot !== undefined && slot.index === index ? slot.models : undefined;
  }

  footprint(): { slots: number; series: number; buckets: number } {
    let slots = 0;
    let series = 0;
    let buckets = 0;
    for (const slot of this.slots) {
      if (slot === undefined || slot.models.size === 0) continue;
      slots += 1;
      series += slot.models.size;
      for (const entry of slot.models.values()) buckets += entry.latency.buckets + (entry.ttft?.buckets ?? 0);
    }
    return { slots, series, buckets };
  }
}

function recordInto(entry: SlotEntry, o: RequestOutcome): void {
  entry.requests += 1;
  if (o.status === 'ok') entry.success += 1;
  else {
    if (o.status === 'error') entry.failed += 1;
    else entry.cancelled += 1;
    const code = o.errorCode ?? (o.status === 'cancelled' ? 'CANCELLED' : 'UNKNOWN');
    entry.errors ??= new Map();
    entry.errors.set(code, (entry.errors.get(code) ?? 0) + 1);
  }
  entry.inputTokens += o.inputTokens;
  entry.outputTokens += o.outputTokens;
  entry.costNanos += o.costNanos;
  entry.latency.add(o.durationMs);
  if (o.ttftMs !== undefined) {
    entry.ttft ??= new QuantileSketch();
    entry.ttft.add(o.ttftMs);
  }
}

/**
 * Requests are counted twice: in a minute ring that covers the retention, which gives queries
 * their minute resolution, and in an hour ring, so that a long range merges its whole hours
 * (24 for a day) rather than every minute (1,440). An hour is read from the hour ring only when
 * the range covers all of it; the minutes at either edge come from the minute ring.
 */
export function createRequestStats(options: RequestStatsOptions = {}): RequestStats {
  const retentionMs = Math.max(MINUTE_MS, options.retentionMs ?? DEFAULT_RETENTION_MS);
  const now = options.now ?? Date.now;
  const maxModels = options.maxModelsPerMinute ?? DEFAULT_MAX_MODELS;
  // One slot per minute (hour) of retention, plus the one in progress.
  const minutes = new SlotRing(Math.ceil(retentionMs / MINUTE_MS) + 1, maxModels);
  const hours = new SlotRing(Math.ceil(retentionMs / HOUR_MS) + 1, maxModels);

  return {
    record(o) {
      const time = now();
      recordInto(minutes.entry(Math.floor(time / MINUTE_MS), o.model), o);
      recordInto(hours.entry(Math.floor(time / HOUR_MS), o.model), o);
    },

    query({ timeRangeMs, model }) {
      const until = now();
      const rangeMs = Math.min(retentionMs, Math.max(1, timeRangeMs));
      const lastMinute = Math.floor(until / MINUTE_MS);
      const firstMinute = Math.max(Math.floor((until - rangeMs) / MINUTE_MS), lastMinute - minutes.size + 1);
      const perModel = new Map<string, ModelTotals>();
      const errors = new Map<string, number>();
      const ttft = new MergedQuantiles();

      const take = (entries: Map<string, SlotEntry> | undefined) => {
        if (entries === undefined) return;
        for (const [name, entry] of entries) {
          if (model !== undefined && name !== model) continue;
          let totals = perModel.get(name);
          if (totals === undefined) {
            totals = { ...zeroCounters(), latency: new MergedQuantiles() };
            perModel.set(name, totals);
          }
          addCounters(totals, entry);
          totals.latency.merge(entry.latency);
          if (entry.ttft !== undefined) ttft.merge(entry.ttft);
          if (entry.errors !== undefined) {
            for (const [code, count] of entry.errors) errors.set(code, (errors.get(code) ?? 0) + count);
          }
        }
      };
      const firstWholeHour = Math.ceil(firstMinute / MINUTES_PER_HOUR);
      const endWholeHours = Math.floor((lastMinute + 1) / MINUTES_PER_HOUR); // exclusive
      if (firstWholeHour < endWholeHours) {
        for (let minute = firstMinute; minute < firstWholeHour * MINUTES_PER_HOUR; minute++)
          take(minutes.models(minute));
        for (let hour = firstWholeHour; hour < endWholeHours; hour++) take(hours.models(hour));
        for (let minute = endWholeHours * MINUTES_PER_HOUR; minute <= lastMinute; minute++)
          take(minutes.models(minute));
      } else {
        for (let minute = firstMinute; minute <= lastMinute; minute++) take(minutes.models(minute));
      }

      const latency = new MergedQuantiles();
      const sums = zeroCounters();
      const models: Array<[string, ModelStats]> = [];
      for (const [name, totals] of perModel) {
        latency.merge(totals.latency);
        addCounters(sums, totals);
        models.push([
          name,
          {
            requests: totals.requests,
            failed: totals.failed,
            cost_usd: totals.costNanos / NANOS_PER_USD,
            latency_ms: percentiles(totals.latency),
          },
        ]);
      }

      return {
        time_range: formatTimeRange(rangeMs),
        since: new Date(firstMinute * MINUTE_MS).toISOString(),
        until: new Date(until).toISOString(),
        totals: {
          requests: sums.requests,
          success: sums.success,
          failed: sums.failed,
          cancelled: sums.cancelled,
          input_tokens: sums.inputTokens,
          output_tokens: sums.outputTokens,
          cost_usd: sums.costNanos / NANOS_PER_USD,
        },
        latency_ms: {
          avg: latency.count === 0 ? 0 : round(latency.sum / latency.count),
          ...percentiles(latency),
        },
        ttft_ms: percentiles(ttft),
        // fromEntries defines own properties, so no model name can reach a prototype.
        models: Object.fromEntries(models),
        errors: Object.fromEntries(errors),
      };
    },

    footprint() {
      const byMinute = minutes.footprint();
      const byHour = hours.footprint();
      return {
        minutes: byMinute.slots,
        hours: byHour.slots,
        series: byMinute.series + byHour.series,
        buckets: byMinute.buckets + byHour.buckets,
      };
    },
  };
}

function percentiles(sketch: MergedQuantiles): Percentiles {
  const [p50, p95, p99] = sketch.quantiles(QUANTILES);
  return { p50: round(p50!), p95: round(p95!), p99: round(p99!) };
}

/** Milliseconds to two decimals: finer digits are below the sketch's accuracy anyway. */
function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Units of `time_range`, largest first; weeks are read but never written (`7d` stays `7d`). */
const UNITS: ReadonlyArray<readonly [suffix: string, ms: number]> = [
  ['d', 24 * 60 * 60_000],
  ['h', 60 * 60_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const WEEK: readonly [string, number] = ['w', 7 * 24 * 60 * 60_000];
const TIME_RANGE = /^(\d{1,9})(ms|s|m|h|d|w)$/;

/**
 * Parses a `time_range` such as `30s`, `15m`, `1h`, `7d` or `2w` into milliseconds.
 * @throws GatewayError INVALID_REQUEST naming `time_range` for anything else, zero included.
 */
export function parseTimeRange(input: string): number {
  const match = TIME_RANGE.exec(input.trim());
  const amount = match ? Number(match[1]) : 0;
  const unit = match ? [WEEK, ...UNITS].find(([suffix]) => suffix === match[2]) : undefined;
  if (unit === undefined || amount <= 0) {
    throw invalidRequest(
      `time_range must be a positive duration such as 30s, 15m, 1h or 7d; got ${JSON.stringify(input.slice(0, 32))}`,
      'time_range',
    );
  }
  return amount * unit[1];
}

/** The shortest `time_range` spelling of a duration: 3600000 → `1h`, 90000 → `90s`. */
export function formatTimeRange(ms: number): string {
  for (const [suffix, unitMs] of UNITS) {
    if (ms >= unitMs && ms % unitMs === 0) return `${ms / unitMs}${suffix}`;
  }
  return `${Math.round(ms)}ms`;
}
