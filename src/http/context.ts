/**
 * @module http/context
 * What a route handler gets: the raw request/response (only http/ ever sees them), the parsed
 * path and query, the caller, and the gateway's services.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientAbort } from '../core/cancellation.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Caller } from '../gateway/request-context.js';

export type Access = 'public' | 'key' | 'admin';

export interface HttpContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  query: URLSearchParams;
  params: Readonly<Record<string, string>>;
  gateway: Gateway;
  caller: Caller;
  /** The id the server gave this request (already in `x-switchyard-request-id`); the request context reuses it. */
  requestId: string;
  /** Aborted when the client disconnects before the response is complete; its signal is made on first use. */
  abort: ClientAbort;
  /** `abort.signal`. */
  readonly signal: AbortSignal;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /**
   * Answers the request with `error` as the server answers a handler that throws or rejects:
   * for a route that handles its own failures and returns nothing to wait on.
   */
  fail(error: unknown): void;
}

export type Handler = (context: HttpContext) => Promise<void> | void;

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'DELETE';
  /** `/v1/models/:id*` matches the rest of the path (model ids may contain `/`). */
  path: string;
  access: Access;
  handler: Handler;
  /** One line for docs and the route-table test. */
  summary: string;
}
