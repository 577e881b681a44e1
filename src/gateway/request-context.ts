/**
 * @module gateway/request-context
 * Per-request state carried from the HTTP layer through routing and execution to accounting:
 * who asked, what for, when it must be done, and the trace of what happened.
 */

import { type Cancellation, ClientAbort } from '../core/cancellation.js';
import { uuidV7 } from '../core/uuid-v7.js';
import type { ExecutionTrace } from '../execution/executor.js';
import type { UpstreamOverride } from '../security/upstream-guard.js';
import type { VirtualKey } from '../storage/admission-ports.js';

export interface Caller {
  /** Virtual key id, when the request came with one. */
  keyId?: string;
  project?: string;
  user?: string;
  admin: boolean;
  /** The virtual key the request came with: its models, limits and budget (never its secret). */
  key?: VirtualKey;
}

export interface RequestContext {
  requestId: string;
  endpoint: string;
  startedAt: number;
  deadline: number;
  /** Aborted when the caller goes away (or a job is cancelled); may be made on first use. */
  readonly signal: AbortSignal;
  /** The HTTP client's side, when the request came over HTTP: watched without an EventTarget. */
  cancel?: Cancellation;
  caller: Caller;
  trace: ExecutionTrace;
  /** Queue priority, higher first (from the key, a header or the body). */
  priority?: number;
  /** Tokens the request is expected to use, for quota-aware balancing. */
  expectedTokens?: number;
  /** The request's own upstream (`switchyard.api_base`), once the upstream guard allowed it. */
  upstream?: UpstreamOverride;
}

/** Time-ordered (UUID v7): the ledger's primary key then grows at its right edge, at half the cost. */
export function newRequestId(): string {
  return uuidV7();
}

export function createRequestContext(input: {
  endpoint: string;
  timeoutMs: number;
  /** An HTTP client's {@link ClientAbort} (its signal is then made only if asked for), or a signal. */
  signal: AbortSignal | ClientAbort;
  caller?: Caller;
  requestId?: string;
}): RequestContext {
  const startedAt = Date.now();
  const { signal, endpoint } = input;
  const requestId = input.requestId ?? newRequestId();
  const deadline = startedAt + input.timeoutMs;
  const caller = input.caller ?? { admin: false };
  if (signal instanceof ClientAbort) {
    return new ClientRequestContext(requestId, endpoint, startedAt, deadline, signal, caller);
  }
  return { requestId, endpoint, startedAt, deadline, signal, caller, trace: { attempts: [] } };
}

/**
 * The context of a request that came over HTTP: its signal is the client's, made on first use.
 * A class, not a literal with a getter: V8 defines a literal's accessor anew for every object.
 */
class ClientRequestContext implements RequestContext {
  trace: ExecutionTrace = { attempts: [] };
  priority?: number;
  expectedTokens?: number;
  upstream?: UpstreamOverride;

  constructor(
    readonly requestId: string,
    readonly endpoint: string,
    readonly startedAt: number,
    readonly deadline: number,
    readonly cancel: ClientAbort,
    readonly caller: Caller,
  ) {}

  get signal(): AbortSignal {
    return this.cancel.signal;
  }
}
