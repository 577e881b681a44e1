/**
 * @module storage/ports
 * The storage ports. Services talk to storage only through these interfaces; each port has an
 * in-memory implementation and one or more durable ones (SQLite embedded, PostgreSQL / Redis
 * when scaled out), all held to one contract test suite.
 */

/** One attempt of a request (a child record of the ledger entry). */
export interface AttemptRecord {
  /** 1-based position among the request's attempts. */
  attempt: number;
  model: string;
  provider: string;
  deployment: string;
  status: 'ok' | 'error' | 'cancelled';
  errorCode?: string;
  httpStatus?: number;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  /** Cost of this attempt in nano-dollars (1e-9 USD). */
  costNanos: number;
}

/** One request, whatever happened to it. Idempotent on `requestId`. */
export interface LedgerRecord {
  requestId: string;
  /** Epoch milliseconds when the request was admitted. */
  timestamp: number;
  endpoint: string;
  keyId?: string;
  project?: string;
  user?: string;
  tags?: string[];
  route?: string;
  strategy: string;
  /** The logical model that produced the answer (or was last tried). */
  model?: string;
  provider?: string;
  deployment?: string;
  status: 'ok' | 'error' | 'cancelled';
  errorCode?: string;
  httpStatus: number;
  stream: boolean;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** True when token counts were estimated by the gateway's tokenizer. */
  usageEstimated: boolean;
  /** Total cost of every attempt, in nano-dollars (1e-9 USD): integers, so sums never drift. */
  costNanos: number;
  latencyMs: number;
  ttftMs?: number;
  cacheHit: boolean;
  confidence?: number;
  /** The human-readable decision trace of the route. */
  routeTrace?: string;
  attempts: AttemptRecord[];
  /** What the client said about the answer (`POST /v1/feedback`), once it has. */
  feedback?: { rating: number; comment?: string };
}

export interface LedgerQuery {
  since?: number;
  until?: number;
  model?: string;
  keyId?: string;
  project?: string;
  limit?: number;
}

/** Calendar buckets of a usage report, in UTC; weeks start on Monday (ISO 8601). */
export type UsagePeriod = 'day' | 'week' | 'month';

/** What a usage report can group by. `tag` counts a request once under each of its tags. */
export type UsageDimension = 'model' | 'key' | 'project' | 'user' | 'tag' | 'provider' | 'strategy' | 'route';

export interface UsageQuery {
  /** Inclusive, epoch milliseconds. */
  since?: number;
  /** Exclusive, epoch milliseconds. */
  until?: number;
  model?: string;
  keyId?: string;
  project?: string;
  /** Only requests carrying this tag. */
  tag?: string;
  /** One row per period; without it, one period spans the whole range. */
  period?: UsagePeriod;
  /** One row per combination of these dimensions' values (at most one `tag`). */
  by?: readonly UsageDimension[];
  /** Also compute the 95th-percentile latency per row, which costs a second pass over the values. */
  p95?: boolean;
  /** What counts as a good answer in `gradedGood`; default rating ≥ 4, confidence ≥ 0.7. */
  good?: { rating: number; confidence: number };
}

/**
 * One row of a usage report. Every count and sum is additive, so rows can be rolled up;
 * `costNanos` is an exact integer sum.
 */
export interface UsageRow {
  /** Start of the period (epoch ms, UTC midnight); absent without `period`. */
  periodStart?: number;
  /** The row's value of each `by` dimension; null for requests without one. */
  group: Partial<Record<UsageDimension, string | null>>;
  requests: number;
  /** Requests with status `error`. */
  errors: number;
  cancelled: number;
  cacheHits: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costNanos: number;
  latencyMsSum: number;
  /** Nearest-rank 95th percentile of latency; only when the query asked for `p95`. */
  p95LatencyMs?: number;
  /** Requests with feedback, and the sum of their ratings. */
  rated: number;
  ratingSum: number;
  /** Requests judged by their feedback or, lacking it, their confidence; and those judged good. */
  graded: number;
  gradedGood: number;
}

export interface Ledger {
  /** Queues a record; never blocks the caller on I/O. A second record with the same id is ignored. */
  append(record: LedgerRecord): void;
  /** Resolves once every record appended so far is durable. */
  flush(): Promise<void>;
  get(requestId: string): Promise<LedgerRecord | undefined>;
  query(query: LedgerQuery): Promise<LedgerRecord[]>;
  count(): Promise<number>;
  /** Attaches a rating to a recorded request; false if the request is unknown. */
  setFeedback(requestId: string, rating: number, comment?: string): Promise<boolean>;
  /**
   * Usage totals grouped by period and dimensions, computed where the records are (SQL in a
   * database). Rows come ordered by period, then cost descending, then group values.
   */
  aggregate?(query: UsageQuery): Promise<UsageRow[]>;
  /**
   * Every matching record, oldest first (ties by request id), read a page at a time so that
   * exporting a million records never holds them all in memory.
   */
  scan?(query: LedgerQuery): AsyncIterable<LedgerRecord>;
  close(): Promise<void>;
}
