/**
 * @module observability/metrics
 * The gateway's Prometheus metrics, in a private prom-client registry so that tests and several
 * gateways in one process never collide. Names follow the OpenTelemetry GenAI semantic
 * conventions where they exist (`gen_ai.client.operation.duration` → `gen_ai_client_operation_duration_seconds`,
 * attribute `gen_ai.provider.name` → label `gen_ai_provider_name`, with the spec's bucket
 * boundaries extended to minutes), plus Switchyard's own `switchyard_*` counters and gauges.
 *
 * `recordRequest` runs once per request on the hot path. It resolves all of a request's series
 * with one map lookup keyed by the label tuple (none when the tuple is the last request's, as it
 * mostly is) and then only adds numbers (see `series.ts`); the exposition is built when
 * Prometheus scrapes. Every metric holds at most `maxSeriesPerMetric`
 * label sets; beyond that, caller-given label values are reported as `other`.
 */

import { Registry } from 'prom-client';
import type { AttemptOutcome, OutcomeStatus, RequestOutcome } from './request-outcome.js';
import {
  createValueCell,
  type HistogramCell,
  histogramCellFactory,
  histogramLines,
  observe,
  registerCollector,
  SeriesTable,
  type ValueCell,
  valueLines,
} from './series.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface MetricsOptions {
  enabled: boolean;
  /** Prefix of Switchyard's own metric names (default `switchyard_`); `gen_ai_*` names are fixed by the spec. */
  prefix?: string;
  /** Distinct label sets kept per metric before new ones collapse into `other` (default 1,000). */
  maxSeriesPerMetric?: number;
}

export interface Metrics {
  /** The private registry; register extra collectors here, never in prom-client's global one. */
  readonly registry: Registry;
  /** The Content-Type of `text()`. */
  readonly contentType: string;
  recordRequest(outcome: RequestOutcome): void;
  recordAttempt(outcome: AttemptOutcome): void;
  setCircuitState(deployment: string, state: CircuitState): void;
  setQueueDepth(depth: number): void;
  setInFlight(deployment: string, count: number): void;
  /** The Prometheus text exposition of every metric. */
  text(): Promise<string>;
}

/** Seconds. The spec's boundaries (0.01 … 81.92), plus 5 ms for cache hits and up to ~5.5 minutes. */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84,
  327.68,
];
/** Seconds. The spec's boundaries (0.001 … 10), plus 20–80 s for reasoning models that think first. */
export const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];
/** Tokens: the spec's boundaries, powers of 4 from 1 to 4^13. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/** `switchyard_circuit_state` values, ordered by severity so `max by (…)` reads naturally. */
export const CIRCUIT_STATE_VALUES: Readonly<Record<CircuitState, number>> = {
  closed: 0,
  half_open: 1,
  open: 2,
};

const DEFAULT_MAX_SERIES = 1000;
const CLOSED_LABELS = new Set(['status', 'gen_ai_operation_name', 'gen_ai_token_type', 'type', 'result']);
const NANOS_PER_USD = 1e9;

/** The series one request touches, resolved once per distinct label tuple. */
interface RequestSeries {
  readonly operation: string;
  readonly duration: HistogramCell;
  readonly requests: ValueCell;
  readonly inputTokens: ValueCell;
  readonly outputTokens: ValueCell;
  readonly costNanos: ValueCell;
  ttft?: HistogramCell;
  inputUsage?: HistogramCell;
  outputUsage?: HistogramCell;
  cacheHit?: ValueCell;
  cacheMiss?: ValueCell;
}

interface AttemptSeries {
  readonly attempts: ValueCell;
  readonly duration: HistogramCell;
}

/** A label tuple (five values, in the order of its key) and the series it resolved to. */
interface LastSeries<Series> {
  readonly a: string;
  readonly b: string;
  readonly c: string;
  readonly d: string;
  readonly e: string | undefined;
  readonly series: Series;
}

/** The last tuple's series when these five labels are the same, by reference; else undefined. */
function seriesIfSame<Series>(
  last: LastSeries<Series> | undefined,
  a: string,
  b: string,
  c: string,
  d: string,
  e: string | undefined,
): Series | undefined {
  return last !== undefined && last.a === a && last.b === b && last.c === c && last.d === d && last.e === e
    ? last.series
    : undefined;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  if (!options.enabled) {
    return {
      registry,
      contentType: registry.contentType,
      recordRequest: () => {},
      recordAttempt: () => {},
      setCircuitState: () => {},
      setQueueDepth: () => {},
      setInFlight: () => {},
      text: async () => '',
    };
  }
  const prefix = options.prefix ?? 'switchyard_';
  const maxSeries = options.maxSeriesPerMetric ?? DEFAULT_MAX_SERIES;
  const durationBounds = Float64Array.from(DURATION_BUCKETS);
  const ttftBounds = Float64Array.from(TTFT_BUCKETS);
  const tokenBounds = Float64Array.from(TOKEN_BUCKETS);

  const valueTable = (labelNames: string[]) =>
    new SeriesTable<ValueCell>(labelNames, createValueCell, maxSeries, CLOSED_LABELS);
  const histogramTable = (labelNames: string[], bounds: Float64Array) =>
    new SeriesTable<HistogramCell>(labelNames, histogramCellFactory(bounds), maxSeries, CLOSED_LABELS);

  const genAiLabels = ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_provider_name'];
  const operationDuration = histogramTable([...genAiLabels, 'error_type'], durationBounds);
  const tokenUsage = histogramTable([...genAiLabels, 'gen_ai_token_type'], tokenBounds);
  const timeToFirstToken = histogramTable(genAiLabels, ttftBounds);
  const requestsTotal = valueTable(['endpoint', 'model', 'provider', 'status', 'code']);
  const tokensTotal = valueTable(['model', 'provider', 'type']);
  const costTotal = valueTable(['model', 'provider']);
  const cacheLookups = valueTable(['model', 'result']);
  const attemptsTotal = valueTable(['model', 'provider', 'deployment', 'status', 'code']);
  const attemptDuration = histogramTable(['model', 'provider', 'deployment', 'status'], durationBounds);
  const circuitState = valueTable(['deployment']);
  const queueDepth = valueTable([]);
  const inFlight = valueTable(['deployment']);

  // Everything that holds cells: a reset must drop the caches too, or they would keep feeding
  // cells that are no longer exposed.
  const resettable: Array<{ clear(): void }> = [];
  const reset = () => {
    for (const item of resettable) item.clear();
  };
  const histogram = (name: string, help: string, table: SeriesTable<HistogramCell>, bounds: Float64Array) => {
    resettable.push(table);
    registerCollector(registry, {
      name,
      help,
      type: 'histogram',
      values: () => histogramLines(name, table, bounds),
      reset,
    });
  };
  const values = (
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    table: SeriesTable<ValueCell>,
    scale = 1,
  ) => {
    resettable.push(table);
    registerCollector(registry, { name, help, type, values: () => valueLines(table, scale), reset });
  };

  histogram(
    'gen_ai_client_operation_duration_seconds',
    'GenAI operation duration: a client request to the gateway, from arrival to the last byte.',
    operationDuration,
    durationBounds,
  );
  histogram(
    'gen_ai_client_token_usage',
    'Number of input and output tokens used per request.',
    tokenUsage,
    tokenBounds,
  );
  histogram(
    'gen_ai_server_time_to_first_token_seconds',
    'Time to the first token of successful streamed responses.',
    timeToFirstToken,
    ttftBounds,
  );
  values(`${prefix}requests_total`, 'Requests served, by outcome and error code.', 'counter', requestsTotal);
  values(`${prefix}tokens_total`, 'Tokens consumed, by type (input or output).', 'counter', tokensTotal);
  values(`${prefix}cost_usd_total`, 'Cost in US dollars.', 'counter', costTotal, 1 / NANOS_PER_USD);
  values(
    `${prefix}cache_lookups_total`,
    'Response cache lookups, by result (hit or miss).',
    'counter',
    cacheLookups,
  );
  values(
    `${prefix}attempts_total`,
    'Upstream attempts, by outcome and error code.',
    'counter',
    attemptsTotal,
  );
  histogram(
    `${prefix}attempt_duration_seconds`,
    'Duration of one upstream attempt.',
    attemptDuration,
    durationBounds,
  );
  values(
    `${prefix}circuit_state`,
    'Circuit breaker state: 0 closed, 1 half open, 2 open.',
    'gauge',
    circuitState,
  );
  values(`${prefix}queue_depth`, 'Requests waiting in the admission queue.', 'gauge', queueDepth);
  values(`${prefix}inflight_requests`, 'Requests in flight, by deployment.', 'gauge', inFlight);

  // Composite caches: one lookup per request instead of one per metric. They hold pointers into
  // the tables above, so they need no more bound than the tables' own (checked on insertion).
  const requestSeries = new Map<string, RequestSeries>();
  const attemptSeries = new Map<string, AttemptSeries>();
  const maxComposite = maxSeries * 4;
  const circuitCells = new Map<string, ValueCell>();
  const inFlightCells = new Map<string, ValueCell>();
  // The last label tuple of each kind and its series: traffic repeats the same tuple, and
  // comparing five strings (the same objects, request after request) costs less than joining
  // them into a key and hashing it.
  let lastRequest: LastSeries<RequestSeries> | undefined;
  let lastAttempt: LastSeries<AttemptSeries> | undefined;
  resettable.push(requestSeries, attemptSeries, circuitCells, inFlightCells, {
    clear() {
      lastRequest = undefined;
      lastAttempt = undefined;
    },
  });

  function resolveRequest(o: RequestOutcome): RequestSeries {
    const errorCode = o.status === 'ok' ? undefined : (o.errorCode ?? defaultErrorType(o.status));
    const same = seriesIfSame(lastRequest, o.endpoint, o.model, o.provider, o.status, errorCode);
    if (same !== undefined) return same;
    const series = resolveRequestByKey(o, errorCode);
    lastRequest = { a: o.endpoint, b: o.model, c: o.provider, d: o.status, e: errorCode, series };
    return series;
  }

  function resolveRequestByKey(o: RequestOutcome, errorCode: string | undefined): RequestSeries {
    const key =
      o.endpoint + '\u0000' + o.model + '\u0000' + o.provider + '\u0000' + o.status + '\u0000' + errorCode;
    let series = requestSeries.get(key);
    if (series !== undefined) return series;
    const operation = operationName(o.endpoint);
    series = {
      operation,
      duration: operationDuration.get([operation, o.model, o.provider, errorCode]),
      requests: requestsTotal.get([o.endpoint, o.model, o.provider, o.status, errorCode]),
      inputTokens: tokensTotal.get([o.model, o.provider, 'input']),
      outputTokens: tokensTotal.get([o.model, o.provider, 'output']),
      costNanos: costTotal.get([o.model, o.provider]),
    };
    if (requestSeries.size < maxComposite) requestSeries.set(key, series);
    return series;
  }

  return {
    registry,
    contentType: registry.contentType,

    recordRequest(o) {
      const series = resolveRequest(o);
      observe(series.duration, durationBounds, o.durationMs / 1000);
      series.requests.value += 1;
      series.inputTokens.value += o.inputTokens;
      series.outputTokens.value += o.outputTokens;
      series.costNanos.value += o.costNanos;
      // The spec asks for usage only when it is known: a failed request with no usage reports none.
      if (o.status === 'ok' || o.inputTokens > 0 || o.outputTokens > 0) {
        series.inputUsage ??= tokenUsage.get([series.operation, o.model, o.provider, 'input']);
        series.outputUsage ??= tokenUsage.get([series.operation, o.model, o.provider, 'output']);
        observe(series.inputUsage, tokenBounds, o.inputTokens);
        observe(series.outputUsage, tokenBounds, o.outputTokens);
      }
      if (o.stream && o.status === 'ok' && o.ttftMs !== undefined) {
        series.ttft ??= timeToFirstToken.get([series.operation, o.model, o.provider]);
        observe(series.ttft, ttftBounds, o.ttftMs / 1000);
      }
      if (o.cacheHit === true) {
        series.cacheHit ??= cacheLookups.get([o.model, 'hit']);
        series.cacheHit.value += 1;
      } else if (o.cacheHit === false) {
        series.cacheMiss ??= cacheLookups.get([o.model, 'miss']);
        series.cacheMiss.value += 1;
      }
    },

    recordAttempt(o) {
      const errorCode = o.status === 'ok' ? undefined : (o.errorCode ?? defaultErrorType(o.status));
      const same = seriesIfSame(lastAttempt, o.model, o.provider, o.deployment, o.status, errorCode);
      if (same !== undefined) {
        same.attempts.value += 1;
        observe(same.duration, durationBounds, o.durationMs / 1000);
        return;
      }
      const key =
        o.model +
        '\u0000' +
        o.provider +
        '\u0000' +
        o.deployment +
        '\u0000' +
        o.status +
        '\u0000' +
        errorCode;
      let series = attemptSeries.get(key);
      if (series === undefined) {
        series = {
          attempts: attemptsTotal.get([o.model, o.provider, o.deployment, o.status, errorCode]),
          duration: attemptDuration.get([o.model, o.provider, o.deployment, o.status]),
        };
        if (attemptSeries.size < maxComposite) attemptSeries.set(key, series);
      }
      lastAttempt = { a: o.model, b: o.provider, c: o.deployment, d: o.status, e: errorCode, series };
      series.attempts.value += 1;
      observe(series.duration, durationBounds, o.durationMs / 1000);
    },

    setCircuitState(deployment, state) {
      cached(circuitCells, circuitState, deployment, maxComposite).value = CIRCUIT_STATE_VALUES[state];
    },

    setQueueDepth(depth) {
      queueDepth.get([]).value = depth;
    },

    setInFlight(deployment, count) {
      cached(inFlightCells, inFlight, deployment, maxComposite).value = count;
    },

    text: () => registry.metrics(),
  };
}

/** The cell of a one-label table, cached by that label so per-request gauge updates do not allocate. */
function cached(
  cells: Map<string, ValueCell>,
  table: SeriesTable<ValueCell>,
  label: string,
  maxCached: number,
): ValueCell {
  let cell = cells.get(label);
  if (cell === undefined) {
    cell = table.get([label]);
    if (cells.size < maxCached) cells.set(label, cell);
  }
  return cell;
}

/**
 * `gen_ai.operation.name` of an endpoint: the spec's well-known values. Anthropic's
 * `/v1/messages` is a chat operation; the legacy `/v1/completions` is `text_completion`.
 */
export function operationName(endpoint: string): string {
  if (endpoint.includes('embeddings')) return 'embeddings';
  if (endpoint.endsWith('/completions') && !endpoint.endsWith('/chat/completions')) return 'text_completion';
  return 'chat';
}

/** `error.type` when the caller gave no code: the spec's fallback for errors, or `cancelled`. */
function defaultErrorType(status: Exclude<OutcomeStatus, 'ok'>): string {
  return status === 'cancelled' ? 'cancelled' : '_OTHER';
}
