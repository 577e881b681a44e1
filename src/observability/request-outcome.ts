/**
 * @module observability/request-outcome
 * What the gateway reports once a request (or one attempt of it) is over. Metrics and the
 * request statistics read the same record, so the executor builds it once per request.
 */

export type OutcomeStatus = 'ok' | 'error' | 'cancelled';

/** One client request, after every attempt, fallback and cache lookup. */
export interface RequestOutcome {
  /** The route that served it, e.g. `/v1/chat/completions`. */
  endpoint: string;
  /** The registry model that answered (or was last tried). */
  model: string;
  /** The configured provider name that answered (or was last tried). */
  provider: string;
  status: OutcomeStatus;
  /** A gateway error code (`TIMEOUT`, `MODEL_ERROR`, …) when status is not `ok`. */
  errorCode?: string;
  durationMs: number;
  /** Time to the first streamed token, for streamed requests. */
  ttftMs?: number;
  inputTokens: number;
  outputTokens: number;
  /** Cost in integer nano-dollars (1e-9 USD), as the accounting computes it. */
  costNanos: number;
  stream: boolean;
  /** Whether the response cache answered; absent when the cache was not consulted. */
  cacheHit?: boolean;
}

/** One upstream call made while serving a request. */
export interface AttemptOutcome {
  model: string;
  provider: string;
  deployment: string;
  status: OutcomeStatus;
  errorCode?: string;
  durationMs: number;
}
