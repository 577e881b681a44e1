/**
 * @module execution/upstream-client
 * The only place that sends HTTP to providers: one undici Pool per upstream origin, keep-alive,
 * no fetch/Web-Streams wrappers. Adapters describe requests; this sends them. A Pool never
 * follows redirects, so an upstream cannot send the gateway (and its credentials) elsewhere.
 * A request-chosen upstream (an allow-listed `switchyard.api_base`) comes with the addresses
 * that were checked for it: its pool connects to exactly those (the host name still goes in the
 * Host header and TLS SNI), never asking DNS again, so a rebinding answer cannot redirect it.
 * A non-streamed call (`exchange`) gathers the answer into one buffer through a small dispatch
 * handler: no response stream, async resource or second promise per call, as `request` +
 * `body.text()` would cost; a reader given to it turns the answer into its result as it ends,
 * so decoding takes no promise of its own either.
 */

import type { LookupAddress, LookupOptions } from 'node:dns';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { Pool, util } from 'undici';
import type { Cancellation } from '../core/cancellation.js';
import { GatewayError } from '../core/errors.js';
import type { ConnectionLimit, HttpRequest } from '../providers/spec.js';
import type { ResolvedAddress } from '../security/upstream-guard.js';

export interface SendOptions {
  signal?: AbortSignal;
  /** `exchange` only: watched like `signal`, without an EventTarget (the HTTP client's side). */
  cancel?: Cancellation;
  /** Time allowed until the response headers arrive. */
  headersTimeoutMs: number;
  /** Time allowed between two body chunks. */
  bodyTimeoutMs: number;
  /** `exchange` only: time allowed for the whole exchange, after which it fails with a TimeoutError. */
  timeoutMs?: number;
  /** Connect only to these addresses (checked by the upstream guard) instead of resolving the origin's host. */
  pinnedAddresses?: readonly ResolvedAddress[];
  /** The provider's own cap on connections (`max_connections`); absent, the origin's shared pool. */
  connectionLimit?: ConnectionLimit;
  /** `exchange` only: most bytes of a 2xx answer to hold (default 256 MiB); past it the exchange fails. */
  maxBodyBytes?: number;
}

/** What `exchange` holds of a successful answer at most: far above any real completion or embedding batch. */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;
/** What it keeps of an error answer (3xx and up): enough for any provider's error JSON. */
export const MAX_ERROR_ANSWER_BYTES = 64 * 1024;

/** A whole answer, read to its end. */
export interface BufferedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface UpstreamClient {
  send(request: HttpRequest, options: SendOptions): Promise<Dispatcher.ResponseData>;
  /**
   * Sends the request and hands the answer to `handler` as it arrives, with no response stream
   * in between (streamed answers). `options.signal` is not watched: the handler aborts through
   * its controller.
   */
  dispatch(request: HttpRequest, options: SendOptions, handler: Dispatcher.DispatchHandler): void;
  /** Sends the request and resolves with the whole answer (for non-streamed calls). */
  exchange(request: HttpRequest, options: SendOptions): Promise<BufferedResponse>;
  /** The same, resolving with what `reader` makes of the answer (or rejecting with what it makes of a failure). */
  exchange<T>(request: HttpRequest, options: SendOptions, reader: AnswerReader<T>): Promise<T>;
  close(): Promise<void>;
}

export interface UpstreamClientOptions {
  /** Connections per origin (default 1024: a thousand concurrent streams must not queue here). */
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** Pools to request-chosen upstreams kept at once; past it the oldest is closed (after its requests). */
const MAX_PINNED_POOLS = 64;

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for net/tls.connect that answers with the pinned addresses only. */
export function pinnedLookup(addresses: readonly ResolvedAddress[]) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    process.nextTick(() => {
      const first = usable[0];
      if (first === undefined) {
        const error: NodeJS.ErrnoException = new Error(`no pinned address for ${hostname}`);
        error.code = 'ENOTFOUND';
        callback(error, '');
      } else if (options.all === true) {
        callback(
          null,
          usable.map((a) => ({ address: a.address, family: a.family })),
        );
      } else {
        callback(null, first.address, first.family);
      }
    });
  };
}

export function createUpstreamClient(options: UpstreamClientOptions = {}): UpstreamClient {
  const pools = new Map<string, Pool>();
  // Capped pools, by provider, cap and origin: a reload that keeps a provider's cap keeps its pool.
  const cappedPools = new Map<string, Pool>();
  const pinnedPools = new Map<string, Pool>();
  const poolOptions = (addresses?: readonly ResolvedAddress[], limit?: ConnectionLimit): Pool.Options => ({
    connections: limit?.connections ?? options.connections ?? 1024,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    connect: {
      timeout: options.connectTimeoutMs ?? 10_000,
      ...(addresses === undefined ? {} : { lookup: pinnedLookup(addresses) }),
    },
  });
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, poolOptions());
      pools.set(origin, pool);
    }
    return pool;
  };
  // The same pools by the limit object itself, so that a request finds its pool without building
  // the key (the registry makes one limit per provider, shared by every request to it).
  let cappedByLimit = new WeakMap<ConnectionLimit, Map<string, Pool>>();
  const cappedPoolFor = (origin: string, limit: ConnectionLimit): Pool => {
    let byOrigin = cappedByLimit.get(limit);
    if (byOrigin === undefined) {
      byOrigin = new Map();
      cappedByLimit.set(limit, byOrigin);
    }
    let pool = byOrigin.get(origin);
    if (pool === undefined) {
      const key = `${limit.provider}\u0000${limit.connections}\u0000${origin}`;
      pool = cappedPools.get(key);
      if (pool === undefined) {
        pool = new Pool(origin, poolOptions(undefined, limit));
        cappedPools.set(key, pool);
      }
      byOrigin.set(origin, pool);
    }
    return pool;
  };
  /** One pool per origin and address set: a host that now resolves elsewhere gets a new pool. */
  const pinnedPoolFor = (
    origin: string,
    addresses: readonly ResolvedAddress[],
    limit: ConnectionLimit | undefined,
  ): Pool => {
    const capped = limit === undefined ? '' : `${limit.provider}\u0000${limit.connections}\u0000`;
    const key = `${capped}${origin} ${addresses.map((a) => a.address).join(',')}`;
    let pool = pinnedPools.get(key);
    if (!pool) {
      if (pinnedPools.size >= MAX_PINNED_POOLS) {
        const [oldestKey, oldest] = pinnedPools.entries().next().value as [string, Pool];
        pinnedPools.delete(oldestKey);
        oldest.close().catch(() => undefined);
      }
      pool = new Pool(origin, poolOptions(addresses, limit));
      pinnedPools.set(key, pool);
    }
    return pool;
  };
  const poolOf = (request: HttpRequest, sendOptions: SendOptions): Pool => {
    const { pinnedAddresses, connectionLimit } = sendOptions;
    if (pinnedAddresses !== undefined) return pinnedPoolFor(request.origin, pinnedAddresses, connectionLimit);
    return connectionLimit === undefined
      ? poolFor(request.origin)
      : cappedPoolFor(request.origin, connectionLimit);
  };
  return {
    exchange: (<T>(request: HttpRequest, sendOptions: SendOptions, reader?: AnswerReader<T>) =>
      exchange(
        poolOf(request, sendOptions),
        request,
        sendOptions,
        reader ?? (AS_IS as AnswerReader<unknown> as AnswerReader<T>),
      )) as UpstreamClient['exchange'],
    send(request, sendOptions) {
      const pool = poolOf(request, sendOptions);
      return pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal: sendOptions.signal,
        headersTimeout: sendOptions.headersTimeoutMs,
        bodyTimeout: sendOptions.bodyTimeoutMs,
      });
    },
    dispatch(request, sendOptions, handler) {
      poolOf(request, sendOptions).dispatch(dispatchOptions(request, sendOptions), handler);
    },
    async close() {
      await Promise.all(
        [...pools.values(), ...cappedPools.values(), ...pinnedPools.values()].map((pool) => pool.close()),
      );
      pools.clear();
      cappedPools.clear();
      cappedByLimit = new WeakMap();
      pinnedPools.clear();
    },
  };
}

/** What undici's dispatch is given for one request: the streamed and the buffered exchange alike. */
function dispatchOptions(request: HttpRequest, options: SendOptions): Dispatcher.DispatchOptions {
  return {
    method: request.method,
    path: request.path,
    headers: request.headers,
    body: request.body ?? null,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
  };
}

/** What a buffered exchange makes of the answer it gathered, and of a failure before it was whole. */
export interface AnswerReader<T> {
  /**
   * The whole answer: what the exchange resolves with (what this throws, it rejects with), made
   * as the answer ends, with no promise of its own. `rawHeaders` are undici's name/value buffers,
   * for {@link parseRawHeaders} when the reader needs them (a 2xx answer's seldom are).
   */
  answer(statusCode: number, rawHeaders: readonly Buffer[], body: Buffer): T;
  /** What the exchange rejects with when it fails before the answer is whole (transport, abort, time limit). */
  failure(error: unknown): unknown;
}

/** The headers of an answer as an object, as undici would hand them to a handler. */
export function parseRawHeaders(rawHeaders: readonly Buffer[]): IncomingHttpHeaders {
  return util.parseHeaders(rawHeaders as Buffer[]) as IncomingHttpHeaders;
}

/** The answer as it came, and the failure as it came: what `exchange` does without a reader. */
const AS_IS: AnswerReader<BufferedResponse> = {
  answer: (statusCode, rawHeaders, body) => ({ statusCode, headers: parseRawHeaders(rawHeaders), body }),
  failure: (error) => error,
};

const NO_RAW_HEADERS: readonly Buffer[] = Object.freeze([]);
const EMPTY_BODY = Buffer.alloc(0);

function exchange<T>(
  pool: Pool,
  request: HttpRequest,
  options: SendOptions,
  reader: AnswerReader<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { signal, cancel } = options;
    if (signal?.aborted) {
      reject(reader.failure(signal.reason));
      return;
    }
    if (cancel?.aborted) {
      reject(reader.failure(cancel.reason));
      return;
    }
    pool.dispatch(dispatchOptions(request, options), new BufferedExchange(reader, options, resolve, reject));
  });
}

/**
 * One request whose answer is gathered into a buffer and handed to its reader as it ends. The
 * signal (or `cancel`) aborts it at any point (before it reaches a connection too);
 * `headersTimeoutMs` and `bodyTimeoutMs` bound it as in `send`, and `timeoutMs` the whole of it:
 * one timer, where a controller per call would cost several.
 *
 * It is undici's handler in the form undici's own `request()` uses (`onConnect`, `onHeaders`, …,
 * typed as deprecated): the newer form is wrapped per request in two more objects and has every
 * answer's headers turned into an object, which a 2xx answer read as JSON never looks at.
 */
class BufferedExchange<T> implements Dispatcher.DispatchHandler {
  readonly #reader: AnswerReader<T>;
  readonly #resolve: (value: T) => void;
  readonly #reject: (reason: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #cancel: Cancellation | undefined;
  readonly #maxBody: number;
  readonly #onAbort: (() => void) | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  /** undici's abort for the request, once it reached a connection. */
  #abort: ((reason: Error) => void) | undefined = undefined;
  /** Why the exchange was ended from this side, if it was: the first reason wins. */
  #ended: unknown = undefined;
  #statusCode = 0;
  #rawHeaders: readonly Buffer[] = NO_RAW_HEADERS;
  #first: Buffer | undefined = undefined;
  #rest: Buffer[] | undefined = undefined;
  #size = 0;

  constructor(
    reader: AnswerReader<T>,
    options: SendOptions,
    resolve: (value: T) => void,
    reject: (reason: unknown) => void,
  ) {
    this.#reader = reader;
    this.#resolve = resolve;
    this.#reject = reject;
    const { signal, cancel } = options;
    this.#signal = signal;
    this.#cancel = cancel;
    this.#maxBody = options.maxBodyBytes ?? MAX_ANSWER_BYTES;
    if (signal !== undefined || cancel !== undefined) {
      const onAbort = () => this.#end(signal?.aborted ? signal.reason : cancel?.reason);
      this.#onAbort = onAbort;
      signal?.addEventListener('abort', onAbort, { once: true });
      cancel?.watch(onAbort);
    }
    this.#timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => this.#end(new DOMException('the attempt timed out', 'TimeoutError')),
            options.timeoutMs,
          );
  }

  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort;
    if (this.#ended !== undefined) abort(this.#ended as Error);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx answers are interim: the final status and headers follow.
    if (statusCode >= 200) {
      this.#statusCode = statusCode;
      this.#rawHeaders = rawHeaders;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#size += chunk.length;
    const size = this.#size;
    if (this.#statusCode >= 300 && size > MAX_ERROR_ANSWER_BYTES) return true; // read on, keep the start
    if (size > this.#maxBody) {
      this.#end(
        new GatewayError(
          'INVALID_RESPONSE',
          `the upstream's answer passed ${this.#maxBody} bytes; it was cut off`,
          {
            details: { limit_bytes: this.#maxBody },
          },
        ),
      );
      return true;
    }
    if (this.#first === undefined) this.#first = chunk;
    else if (this.#rest === undefined) this.#rest = [this.#first, chunk];
    else this.#rest.push(chunk);
    return true;
  }

  onComplete(): void {
    this.#settle();
    const body = this.#rest !== undefined ? Buffer.concat(this.#rest) : (this.#first ?? EMPTY_BODY);
    let value: T;
    try {
      value = this.#reader.answer(this.#statusCode, this.#rawHeaders, body);
    } catch (error) {
      this.#reject(error);
      return;
    }
    this.#resolve(value);
  }

  onError(error: Error): void {
    this.#settle();
    this.#reject(this.#reader.failure(error));
  }

  #end(reason: unknown): void {
    if (this.#ended !== undefined) return;
    this.#ended = reason;
    this.#abort?.(reason as Error);
  }

  #settle(): void {
    const onAbort = this.#onAbort;
    if (onAbort !== undefined) {
      this.#signal?.removeEventListener('abort', onAbort);
      this.#cancel?.unwatch(onAbort);
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}
