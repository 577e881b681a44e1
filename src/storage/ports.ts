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
}

export interface LedgerQuery {
  since?: number;
  until?: number;
  model?: string;
  keyId?: string;
  limit?: number;
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
  close(): Promise<void>;
}
