/**
 * @module core/errors
 * The one table of gateway error codes. Every error the gateway raises carries a code from
 * this table; its HTTP status, whether it may be retried on another attempt, and its log level
 * are decided here, once, when the error is built — never re-derived further down the line.
 */

export const ERROR_TABLE = {
  INVALID_REQUEST: { status: 400, retryable: false, type: 'invalid_request_error', level: 'info' },
  UNAUTHORIZED: { status: 401, retryable: false, type: 'authentication_error', level: 'info' },
  FORBIDDEN: { status: 403, retryable: false, type: 'permission_error', level: 'info' },
  NOT_FOUND: { status: 404, retryable: false, type: 'not_found_error', level: 'info' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, type: 'invalid_request_error', level: 'info' },
  RATE_LIMIT_EXCEEDED: { status: 429, retryable: true, type: 'rate_limit_error', level: 'info' },
  BUDGET_EXCEEDED: { status: 402, retryable: false, type: 'budget_error', level: 'info' },
  TOKEN_LIMIT_EXCEEDED: { status: 400, retryable: false, type: 'invalid_request_error', level: 'info' },
  MODEL_UNAVAILABLE: { status: 503, retryable: true, type: 'api_error', level: 'warn' },
  SERVICE_UNAVAILABLE: { status: 503, retryable: true, type: 'api_error', level: 'warn' },
  TIMEOUT: { status: 504, retryable: true, type: 'timeout_error', level: 'warn' },
  MODEL_ERROR: { status: 502, retryable: true, type: 'api_error', level: 'warn' },
  INVALID_RESPONSE: { status: 502, retryable: true, type: 'api_error', level: 'warn' },
  ROUTE_EXHAUSTED: { status: 502, retryable: false, type: 'api_error', level: 'warn' },
  INTERNAL: { status: 500, retryable: false, type: 'api_error', level: 'error' },
} as const satisfies Record<
  string,
  { status: number; retryable: boolean; type: string; level: 'info' | 'warn' | 'error' }
>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

export interface GatewayErrorOptions {
  /** Overrides the table's HTTP status (an upstream 429 stays a 429, a 401 from upstream becomes 502). */
  status?: number;
  /** Overrides the table's retryability (an upstream 400 is a MODEL_ERROR that must not be retried). */
  retryable?: boolean;
  /** Machine-readable details for the client; must never carry secrets. */
  details?: Record<string, unknown>;
  /** Milliseconds the upstream asked us to wait (Retry-After, x-ratelimit-reset). */
  retryAfterMs?: number;
  /** Response headers the client should get with this error (e.g. `x-ratelimit-*` on a 429). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error with a stable code. Everything the gateway throws on purpose is one of these. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly type: string;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterMs: number | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const entry = ERROR_TABLE[code];
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? entry.status;
    this.retryable = options.retryable ?? entry.retryable;
    this.type = entry.type;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    this.headers = options.headers;
  }

  get level(): 'info' | 'warn' | 'error' {
    return ERROR_TABLE[this.code].level;
  }

  /** The wire envelope of DESIGN.md §4: `{error: {code, message, type, details}}`. */
  toJSON(): { error: { code: ErrorCode; message: string; type: string; details?: Record<string, unknown> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        type: this.type,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** Wraps anything thrown into a GatewayError; unknown errors become INTERNAL without leaking their text. */
export function toGatewayError(value: unknown): GatewayError {
  if (value instanceof GatewayError) return value;
  return new GatewayError('INTERNAL', 'internal error', { cause: value });
}

export function invalidRequest(message: string, field?: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', message, field === undefined ? {} : { details: { field } });
}
