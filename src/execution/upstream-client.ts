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
 * `body.text()` would cost.
 */

import type { LookupAddress, LookupOptions } from 'node:dns';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import type { Cancellation } from '../core/cancellation.js';
import { GatewayError } from '../core/errors.js';
import type { HttpRequest } from '../providers/spec.js';
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
  const pinnedPools = new Map<string, Pool>();
  const poolOptions = (addresses?: readonly ResolvedAddress[]): Pool.Options => ({
    connections: options.connections ?? 1024,
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
  /** One pool per origin and address set: a host that now resolves elsewhere gets a new pool. */
  const pinnedPoolFor = (origin: string, addresses: readonly ResolvedAddress[]): Pool => {
    const key = `${origin} ${addresses.map((a) => a.address).join(',')}`;
    let pool = pinnedPools.get(key);
    if (!pool) {
      if (pinnedPools.size >= MAX_PINNED_POOLS) {
        const [oldestKey, oldest] = pinnedPools.entries().next().value as [string, Pool];
        pinnedPools.delete(oldestKey);
        oldest.close().catch(() => undefined);
      }
      pool = new Pool(origin, poolOptions(addresses));
      pinnedPools.set(key, pool);
    }
    return pool;
  };
  const poolOf = (request: HttpRequest, sendOptions: SendOptions): Pool => {
    const pinned = sendOptions.pinnedAddresses;
    return pinned === undefined ? poolFor(request.origin) : pinnedPoolFor(request.origin, pinned);
  };
  return {
    exchange(request, sendOptions) {
      return exchange(poolOf(request, sendOptions), request, sendOptions);
    },
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
      await Promise.all([...pools.values(), ...pinnedPools.values()].map((pool) => pool.close()));
      pools.clear();
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

/**
 * One request whose answer is gathered into a buffer. The signal (or `cancel`) aborts it at any
 * point (before it reaches a connection too); `headersTimeoutMs` and `bodyTimeoutMs` bound it as in `send`,
 * and `timeoutMs` the whole of it: one timer, where a controller per call would cost several.
 */
function exchange(pool: Pool, request: HttpRequest, options: SendOptions): Promise<BufferedResponse> {
  return new Promise<BufferedResponse>((resolve, reject) => {
    const { signal, cancel } = options;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    if (cancel?.aborted) {
      reject(cancel.reason);
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let statusCode = 0;
    let headers: IncomingHttpHeaders = {};
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let size = 0;
    const maxBody = options.maxBodyBytes ?? MAX_ANSWER_BYTES;
    /** Why the exchange was ended from this side before it reached a connection, if it was. */
    let ended: unknown;
    const end = (reason: unknown) => {
      ended ??= reason;
      controller?.abort(reason as Error);
    };
    const onAbort = () => end(signal?.aborted ? signal.reason : cancel?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    cancel?.watch(onAbort);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => end(new DOMException('the attempt timed out', 'TimeoutError')), options.timeoutMs);
    const settle = () => {
      signal?.removeEventListener('abort', onAbort);
      cancel?.unwatch(onAbort);
      if (timer !== undefined) clearTimeout(timer);
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (ended !== undefined) started.abort(ended as Error);
      },
      onResponseStart(_controller, status, responseHeaders) {
        // 1xx answers are interim: the final status and headers follow.
        if (status < 200) return;
        statusCode = status;
        headers = responseHeaders;
      },
      onResponseData(_controller, chunk) {
        size += chunk.length;
        if (statusCode >= 300 && size > MAX_ERROR_ANSWER_BYTES) return; // read on, keep the start
        if (size > maxBody) {
          end(
            new GatewayError(
              'INVALID_RESPONSE',
              `the upstream's answer passed ${maxBody} bytes; it was cut off`,
              {
                details: { limit_bytes: maxBody },
              },
            ),
          );
          return;
        }
        if (first === undefined) first = chunk;
        else if (rest === undefined) rest = [first, chunk];
        else rest.push(chunk);
      },
      onResponseEnd() {
        settle();
        const body = rest !== undefined ? Buffer.concat(rest) : (first ?? Buffer.alloc(0));
        resolve({ statusCode, headers, body });
      },
      onResponseError(_controller, error) {
        settle();
        reject(error);
      },
    };
    pool.dispatch(dispatchOptions(request, options), handler);
  });
}
