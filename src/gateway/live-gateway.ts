/**
 * @module gateway/live-gateway
 * The gateway whose configuration can be swapped while it serves. Callers hold one stable
 * object; behind it sits the current assembled gateway (registry, router, executor, admission,
 * all built from one frozen config). A swap replaces that reference in one assignment: a request
 * already inside `chat`/`stream`/`embed` finishes on the gateway it started with — its plan,
 * prices and ticket come from there — and the next request sees the new one. Nothing is parsed
 * or looked up per request. The gateway swapped out is closed in the background (its health
 * checks stop; its pending budget settlements are awaited), and the stable object's `close`
 * waits for all of them before closing what they shared.
 */

import type { Gateway } from './gateway.js';

export interface LiveGateway {
  /** The stable object to hand to the HTTP server, jobs and library users. */
  readonly gateway: Gateway;
  /** The gateway serving new requests now. */
  current(): Gateway;
  /** Makes `next` serve every request from now on; false (and `next` closed) once closing began. */
  swap(next: Gateway): boolean;
}

export interface LiveGatewayOptions {
  /** Runs first on close: stop whatever could start a swap (the replica bus, signals). */
  beforeClose?: () => Promise<void>;
  /** Runs last on close, after every assembled gateway closed: what they shared (storage, pools, logs). */
  afterClose?: () => Promise<void>;
  /** Told when closing a swapped-out gateway fails. */
  onError?: (error: unknown) => void;
}

export function createLiveGateway(initial: Gateway, options: LiveGatewayOptions = {}): LiveGateway {
  let core = initial;
  let closing: Promise<void> | undefined;
  const retired = new Set<Promise<void>>();
  const onError = options.onError ?? (() => {});

  const gateway: Gateway = {
    get config() {
      return core.config;
    },
    get registry() {
      return core.registry;
    },
    get router() {
      return core.router;
    },
    get admission() {
      return core.admission;
    },
    get customRouters() {
      return core.customRouters;
    },
    get priors() {
      return core.priors;
    },
    get cache() {
      return core.cache;
    },
    ledger: initial.ledger,
    metrics: initial.metrics,
    stats: initial.stats,
    logger: initial.logger,
    redactor: initial.redactor,
    // Shared by every assembled gateway (see execution-runtime), so the same across swaps.
    runtime: initial.runtime,
    chat: (request, context) => core.chat(request, context),
    stream: (request, context) => core.stream(request, context),
    embed: (request, context) => core.embed(request, context),
    recordRejected: (context, error, request) => core.recordRejected(context, error, request),
    inFlight: (id) => core.inFlight(id),
    circuits: () => core.circuits(),
    queue: () => core.queue(),
    probes: () => core.probes(),
    deploymentUsage: (id) => core.deploymentUsage(id),
    close() {
      closing ??= (async () => {
        await options.beforeClose?.();
        await core.close();
        await Promise.all(retired);
        await options.afterClose?.();
      })();
      return closing;
    },
  };

  return {
    gateway,
    current: () => core,
    swap(next) {
      if (closing !== undefined) {
        void next.close().catch(onError);
        return false;
      }
      const previous = core;
      core = next;
      const done = previous.close().catch(onError);
      retired.add(done);
      void done.finally(() => retired.delete(done));
      return true;
    },
  };
}
