/**
 * @module execution/upstream-client
 * The only place that sends HTTP to providers: one undici Pool per upstream origin, keep-alive,
 * no fetch/Web-Streams wrappers. Adapters describe requests; this sends them. A Pool never
 * follows redirects, so an upstream cannot send the gateway (and its credentials) elsewhere.
 */

import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import type { HttpRequest } from '../providers/spec.js';

export interface SendOptions {
  signal?: AbortSignal;
  /** Time allowed until the response headers arrive. */
  headersTimeoutMs: number;
  /** Time allowed between two body chunks. */
  bodyTimeoutMs: number;
}

export interface UpstreamClient {
  send(request: HttpRequest, options: SendOptions): Promise<Dispatcher.ResponseData>;
  close(): Promise<void>;
}

export interface UpstreamClientOptions {
  /** Connections per origin (default 1024: a thousand concurrent streams must not queue here). */
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function createUpstreamClient(options: UpstreamClientOptions = {}): UpstreamClient {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections ?? 1024,
        pipelining: 1,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
        connect: { timeout: options.connectTimeoutMs ?? 10_000 },
      });
      pools.set(origin, pool);
    }
    return pool;
  };
  return {
    send(request, sendOptions) {
      return poolFor(request.origin).request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal: sendOptions.signal,
        headersTimeout: sendOptions.headersTimeoutMs,
        bodyTimeout: sendOptions.bodyTimeoutMs,
      });
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
    },
  };
}
