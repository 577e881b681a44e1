/**
 * @module http/server
 * The HTTP front door on plain node:http (no framework on the hot path): match the route,
 * check the caller's access (asynchronously only for a virtual key), run the handler, and turn
 * anything thrown into the error envelope. A client that disconnects aborts its request's
 * upstream call. CORS is off unless `server.cors_origins` lists origins: only those get
 * `access-control-allow-origin` and a preflight answer, and credentials are never allowed.
 * What it takes from the configuration (the master key, limits, CORS) it takes again after a
 * config reload, at the first request that sees the new configuration.
 * Every response carries `x-switchyard-request-id`, the id the request's context and ledger
 * record use too, and with `server.access_log` every request ends in one
 * access-log line read from the response's final status and `x-switchyard-*` headers.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { managedAdmission } from '../admission/create-admission.js';
import { ClientAbort } from '../core/cancellation.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Gateway } from '../gateway/gateway.js';
import { type Caller, newRequestId } from '../gateway/request-context.js';
import { type AccessLog, createAccessLog } from '../observability/access-log.js';
import { type Authenticator, createAuthenticator } from './auth.js';
import type { HttpContext, RouteDefinition } from './context.js';
import { GatewayResponse } from './gateway-response.js';
import { sendError } from './respond.js';
import { createRouteMatcher } from './router.js';
import { ROUTES } from './routes/table.js';

export interface ServerOptions {
  routes?: readonly RouteDefinition[];
}

export function createRequestHandler(gateway: Gateway, options: ServerOptions = {}) {
  const matcher = createRouteMatcher(options.routes ?? ROUTES);
  const { redactor, logger } = gateway;
  // Derived from the configuration once, and again only when a config reload replaced it.
  let settings = httpSettings(gateway);

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    if (settings.config !== gateway.config) settings = httpSettings(gateway);
    const { authenticator, bodyLimitBytes, requestTimeoutMs, corsOrigins, accessLog } = settings;
    const requestId = newRequestId();
    // The gateway's own server writes the id into the head it sends (see GatewayResponse).
    if (res instanceof GatewayResponse) res.requestId = requestId;
    else res.setHeader('x-switchyard-request-id', requestId);
    let keyId: string | undefined;
    // What the client's going away aborts (its AbortSignal is made only if a route asks for it).
    const clientAbort = new ClientAbort();
    const startedAt = accessLog === undefined ? 0 : performance.now();
    // One listener for both: a response that closes before it finished aborts its request.
    // `on`, not `once`: 'close' comes once, and `once` wraps the listener anew per request.
    res.on('close', () => {
      if (!res.writableFinished) clientAbort.abort();
      if (accessLog !== undefined)
        logAccess(accessLog, req, res, requestId, performance.now() - startedAt, keyId);
    });
    if (corsOrigins.size > 0 && applyCors(corsOrigins, req, res)) return;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const match = matcher.match(method, path);
    if (!match) {
      const allowed = matcher.allowed(path);
      const error =
        allowed.length > 0
          ? new GatewayError(
              'INVALID_REQUEST',
              `${method} is not allowed on ${path}; use ${allowed.join(', ')}`,
              {
                status: 405,
              },
            )
          : new GatewayError('NOT_FOUND', `no route ${method} ${path}`);
      sendError(res, error, redactor, allowed.length > 0 ? { allow: allowed.join(', ') } : undefined);
      req.resume();
      return;
    }
    const refuse = (error: unknown) => {
      sendError(res, toGatewayError(error), redactor);
      req.resume();
    };
    const fail = (error: unknown) => {
      const gatewayError = toGatewayError(error);
      if (gatewayError.code === 'INTERNAL') logger.error('handler failed', { path, error });
      // An oversized body is not read any further: answer, then let Node close the connection.
      const tooLarge = gatewayError.code === 'PAYLOAD_TOO_LARGE';
      sendError(res, gatewayError, redactor, tooLarge ? { connection: 'close' } : undefined);
      if (!tooLarge) req.resume();
    };
    const run = (caller: Caller) => {
      keyId = caller.keyId;
      if (match.route.access === 'admin' && !caller.admin) {
        refuse(new GatewayError('FORBIDDEN', 'this route needs an admin key'));
        return;
      }
      const context = new RouteContext(
        req,
        res,
        path,
        q === -1 ? '' : url.slice(q + 1),
        match.params,
        gateway,
        caller,
        requestId,
        clientAbort,
        bodyLimitBytes,
        requestTimeoutMs,
      );
      try {
        const pending = match.route.handler(context);
        if (pending) pending.catch(fail);
      } catch (error) {
        fail(error);
      }
    };
    let caller: Caller | Promise<Caller>;
    try {
      caller = match.route.access === 'public' ? { admin: false } : authenticator.authenticate(req.headers);
    } catch (error) {
      refuse(error);
      return;
    }
    // Only a virtual key needs a store lookup; the master key and the open gateway stay synchronous.
    if (caller instanceof Promise) void caller.then(run, refuse);
    else run(caller);
  };
}

/**
 * What a route is given (see HttpContext). A class, so that what most requests never read — the
 * query's URLSearchParams, the client's AbortSignal — is made on first use by a prototype getter.
 */
class RouteContext implements HttpContext {
  #query: URLSearchParams | undefined = undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly path: string,
    /** The query string, without `?`. */
    readonly search: string,
    readonly params: Readonly<Record<string, string>>,
    readonly gateway: Gateway,
    readonly caller: Caller,
    readonly requestId: string,
    readonly abort: ClientAbort,
    readonly bodyLimitBytes: number,
    readonly requestTimeoutMs: number,
  ) {}

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.search);
    return this.#query;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }
}

/** What the front door takes from the configuration (and from the admission built with it). */
function httpSettings(gateway: Gateway) {
  const { config } = gateway;
  const authenticator: Authenticator = createAuthenticator(
    config.auth.master_key,
    managedAdmission(gateway.admission)?.keys,
  );
  return {
    config,
    authenticator,
    bodyLimitBytes: Math.floor(config.server.body_limit_mb * 1024 * 1024),
    requestTimeoutMs: config.server.request_timeout_ms,
    corsOrigins: new Set(config.server.cors_origins),
    accessLog: config.server.access_log ? createAccessLog(gateway.logger, gateway.redactor) : undefined,
  };
}

/** The access-log line of a finished (or abandoned) response, from its final status and headers. */
function logAccess(
  log: AccessLog,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  durationMs: number,
  keyId: string | undefined,
): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const sent = res instanceof GatewayResponse ? res : undefined;
  const header = (name: string) => {
    if (sent !== undefined) return sent.sentHeader(name);
    const value = res.getHeader(name);
    return value === undefined ? undefined : String(value);
  };
  const attempts = header('x-switchyard-attempts');
  log({
    requestId,
    method: req.method ?? 'GET',
    path: q === -1 ? url : url.slice(0, q),
    status: res.statusCode,
    durationMs,
    model: header('x-switchyard-model'),
    provider: header('x-switchyard-provider'),
    keyId,
    costUsd: header('x-switchyard-cost-usd'),
    cache: header('x-switchyard-cache'),
    attempts: attempts === undefined ? undefined : Number(attempts),
    aborted: !res.writableFinished,
  });
}

const CORS_METHODS = 'GET, POST, DELETE, OPTIONS';
const CORS_HEADERS = 'authorization, content-type, x-api-key, x-request-id';

/**
 * Marks the response readable by an allowed origin; answers a preflight from one and returns true.
 * An origin not listed gets no CORS header at all, so the browser blocks it.
 */
function applyCors(origins: ReadonlySet<string>, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const any = origins.has('*');
  if (!any && !origins.has(origin)) return false;
  res.setHeader('access-control-allow-origin', any ? '*' : origin);
  if (!any) res.setHeader('vary', 'origin');
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  res.writeHead(204, {
    'access-control-allow-methods': CORS_METHODS,
    // The origin is trusted, so the headers it asks for (x-switchyard-* among them) are allowed.
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? CORS_HEADERS,
    'access-control-max-age': '600',
    'content-length': 0,
  });
  res.end();
  req.resume();
  return true;
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(
  gateway: Gateway,
  listen: { host: string; port: number },
  options: ServerOptions = {},
): Promise<RunningServer> {
  const server = createServer(
    { keepAliveTimeout: 65_000, requestTimeout: 0, ServerResponse: GatewayResponse },
    createRequestHandler(gateway, options),
  );
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: bursts of thousands of connections must wait, not be dropped.
    server.listen({ port: listen.port, host: listen.host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
