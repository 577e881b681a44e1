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
import { GatewayResponse, type ResponseExchange } from './gateway-response.js';
import { sendError } from './respond.js';
import { createRouteMatcher } from './router.js';
import { ROUTES } from './routes/table.js';

export interface ServerOptions {
  routes?: readonly RouteDefinition[];
}

export function createRequestHandler(gateway: Gateway, options: ServerOptions = {}) {
  const matcher = createRouteMatcher(options.routes ?? ROUTES);
  // Derived from the configuration once, and again only when a config reload replaced it.
  let settings = httpSettings(gateway);

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    if (settings.config !== gateway.config) settings = httpSettings(gateway);
    const requestId = newRequestId();
    const context = new RouteContext(req, res, gateway, settings, requestId);
    // One listener for both: a response that closes before it finished aborts its request.
    // `on`, not `once`: 'close' comes once, and `once` wraps the listener anew per request.
    if (res instanceof GatewayResponse) {
      // The gateway's own server writes the id into the head it sends (see GatewayResponse),
      // and finds the request's context on the response: one listener for every response.
      res.requestId = requestId;
      res.exchange = context;
      res.on('close', exchangeClosed);
    } else {
      res.setHeader('x-switchyard-request-id', requestId);
      res.on('close', () => context.closed());
    }
    if (settings.corsOrigins.size > 0 && applyCors(settings.corsOrigins, req, res)) return;
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
      sendError(
        res,
        error,
        settings.redactor,
        allowed.length > 0 ? { allow: allowed.join(', ') } : undefined,
      );
      req.resume();
      return;
    }
    context.path = path;
    context.search = q === -1 ? '' : url.slice(q + 1);
    context.params = match.params;
    context.route = match.route;
    let caller: Caller | Promise<Caller>;
    try {
      caller =
        match.route.access === 'public' ? { admin: false } : settings.authenticator.authenticate(req.headers);
    } catch (error) {
      context.refuse(error);
      return;
    }
    // Only a virtual key needs a store lookup; the master key and the open gateway stay synchronous.
    if (caller instanceof Promise) {
      void caller.then(
        (found) => context.run(found),
        (error: unknown) => context.refuse(error),
      );
    } else context.run(caller);
  };
}

/** Before the route runs: a context's caller until authentication named one. */
const NOBODY: Caller = Object.freeze({ admin: false });
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A request at the front door, from its arrival to its response's close, and what its route is
 * given (see HttpContext). One object per request, whose methods the server and the route call,
 * where closures over the request's variables (its close listener, run, refuse, fail) cost four
 * functions per request. What most requests never read — the query's URLSearchParams, the
 * client's AbortSignal — is made on first use by a prototype getter.
 */
class RouteContext implements HttpContext, ResponseExchange {
  #query: URLSearchParams | undefined = undefined;
  path = '';
  /** The query string, without `?`. */
  search = '';
  params: Readonly<Record<string, string>> = NO_PARAMS;
  caller: Caller = NOBODY;
  route: RouteDefinition | undefined = undefined;
  /** The caller's virtual key id, once the caller is known: for the access log. */
  keyId: string | undefined = undefined;
  /** What the client's going away aborts (its AbortSignal is made only if a route asks for it). */
  readonly abort = new ClientAbort();
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  readonly startedAt: number;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly gateway: Gateway,
    readonly settings: HttpSettings,
    readonly requestId: string,
  ) {
    this.bodyLimitBytes = settings.bodyLimitBytes;
    this.requestTimeoutMs = settings.requestTimeoutMs;
    this.startedAt = settings.accessLog === undefined ? 0 : performance.now();
  }

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.search);
    return this.#query;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Runs the matched route for `caller` (an admin route for an admin only). */
  run(caller: Caller): void {
    this.keyId = caller.keyId;
    const route = this.route!;
    if (route.access === 'admin' && !caller.admin) {
      this.refuse(new GatewayError('FORBIDDEN', 'this route needs an admin key'));
      return;
    }
    this.caller = caller;
    try {
      const pending = route.handler(this);
      if (pending) pending.catch((error: unknown) => this.fail(error));
    } catch (error) {
      this.fail(error);
    }
  }

  /** Answers a request refused before its route ran. */
  refuse(error: unknown): void {
    sendError(this.res, toGatewayError(error), this.settings.redactor);
    this.req.resume();
  }

  fail(error: unknown): void {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'INTERNAL') {
      this.settings.logger.error('handler failed', { path: this.path, error });
    }
    // An oversized body is not read any further: answer, then let Node close the connection.
    const tooLarge = gatewayError.code === 'PAYLOAD_TOO_LARGE';
    sendError(this.res, gatewayError, this.settings.redactor, tooLarge ? { connection: 'close' } : undefined);
    if (!tooLarge) this.req.resume();
  }

  /** The response closed, finished or not. */
  closed(): void {
    if (!this.res.writableFinished) this.abort.abort();
    const { accessLog } = this.settings;
    if (accessLog !== undefined) logAccess(accessLog, this, performance.now() - this.startedAt);
  }
}

/** The response's 'close' listener, shared by every request: `this` is the response. */
function exchangeClosed(this: GatewayResponse): void {
  this.exchange?.closed();
}

type HttpSettings = ReturnType<typeof httpSettings>;

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
    redactor: gateway.redactor,
    logger: gateway.logger,
  };
}

/** The access-log line of a finished (or abandoned) response, from its final status and headers. */
function logAccess(log: AccessLog, context: RouteContext, durationMs: number): void {
  const { req, res } = context;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  // Read straight from the head the response was written with (no closure per line).
  const sent = res instanceof GatewayResponse ? res : undefined;
  const attempts = sentHeader(res, sent, 'x-switchyard-attempts');
  log({
    requestId: context.requestId,
    method: req.method ?? 'GET',
    path: q === -1 ? url : url.slice(0, q),
    status: res.statusCode,
    durationMs,
    model: sentHeader(res, sent, 'x-switchyard-model'),
    provider: sentHeader(res, sent, 'x-switchyard-provider'),
    keyId: context.keyId,
    costUsd: sentHeader(res, sent, 'x-switchyard-cost-usd'),
    cache: sentHeader(res, sent, 'x-switchyard-cache'),
    attempts: attempts === undefined ? undefined : Number(attempts),
    aborted: !res.writableFinished,
  });
}

function sentHeader(
  res: ServerResponse,
  sent: GatewayResponse | undefined,
  name: string,
): string | undefined {
  if (sent !== undefined) return sent.sentHeader(name);
  const value = res.getHeader(name);
  return value === undefined ? undefined : String(value);
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
