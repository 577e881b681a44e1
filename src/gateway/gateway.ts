/**
 * @module gateway/gateway
 * The gateway as a library: built from a validated config, it owns the registry, router,
 * executor, ledger, metrics and logs, and serves canonical requests. The HTTP layer, the CLI
 * (`switchyard ask`) and library users (`createGateway`) all go through these methods, so every
 * path gets the same routing, accounting and exactly-one ledger record.
 */

import { countTextTokens } from '../accounting/tokenizer.js';
import { type Admission, type AdmissionTicket, createOpenAdmission } from '../admission/admission.js';
import type { CacheResult } from '../cache/cache-metrics.js';
import { CACHE_SKIPPED, type ResponseCache } from '../cache/response-cache.js';
import type { Config } from '../config/schema.js';
import type { ChatRequest, ChatResult, EmbeddingRequest, EmbeddingResult, StreamPart } from '../core/chat.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Usage } from '../core/usage.js';
import type { CircuitSnapshot } from '../execution/circuit-breaker.js';
import { createExecutor, type Executor, type StreamSummary } from '../execution/executor.js';
import { type HealthChecker, type ProbeResult, startHealthChecker } from '../execution/health-checker.js';
import { createLoadBalancer } from '../execution/load-balancer.js';
import type { QueueSnapshot } from '../execution/priority-queue.js';
import { createRetryBudget } from '../execution/retry.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Redactor } from '../observability/redact.js';
import type { RequestStats } from '../observability/stats.js';
import type { Deployment, ModelEntry, Registry } from '../registry/registry.js';
import type { Priors, RoutePlan, RoutingSnapshot } from '../routing/plan.js';
import { createRouter, type Router } from '../routing/router.js';
import type { CustomRouter } from '../routing/strategies/custom.js';
import { createUpstreamGuard } from '../security/upstream-guard.js';
import type { Ledger } from '../storage/ports.js';
import { type Settlement, settle } from './accounting-step.js';
import { cachedChat, cachedStream } from './cache-step.js';
import { createExecutionRuntime, type ExecutionRuntime } from './execution-runtime.js';
import type { RequestContext } from './request-context.js';

export interface ServedBy {
  model: ModelEntry;
  deployment: Deployment;
  plan: RoutePlan;
  attempts: number;
  /** Headers admission wants on the response (`x-ratelimit-*`). */
  headers?: Record<string, string>;
  /** What the response cache did: answered (`hit`), looked and missed, or was not consulted. */
  cache?: CacheResult;
}

export interface ChatOutcome extends ServedBy {
  result: ChatResult;
  settlement: Settlement;
}

export interface StreamOutcome extends ServedBy {
  parts: AsyncGenerator<StreamPart, void>;
  /** Settles the request once `parts` is exhausted (or abandoned); call exactly once. */
  finish(): Settlement;
  summary: StreamSummary;
}

export interface EmbedOutcome extends ServedBy {
  result: EmbeddingResult;
  settlement: Settlement;
}

export interface GatewayServices {
  config: Config;
  registry: Registry;
  ledger: Ledger;
  metrics: Metrics;
  stats: RequestStats;
  logger: Logger;
  redactor: Redactor;
  /** Keys, rate limits and budgets; open when absent. */
  admission?: Admission;
  /** Custom routers by route name, loaded once at start. */
  customRouters?: ReadonlyMap<string, CustomRouter>;
  /** The response cache (`cache.enabled`); closed by its owner's closer. */
  cache?: ResponseCache;
  /** Learned priors (`routing.priors_file`), loaded once at start: what strategies see in the snapshot. */
  priors?: Priors;
  /** Things to close on shutdown, in order (simulators, storage). */
  closers?: (() => Promise<void>)[];
  /** Execution state kept across config reloads; built (and closed) by the gateway when absent. */
  runtime?: ExecutionRuntime;
}

export interface Gateway extends GatewayServices {
  router: Router;
  chat(request: ChatRequest, context: RequestContext): Promise<ChatOutcome>;
  stream(request: ChatRequest, context: RequestContext): Promise<StreamOutcome>;
  embed(request: EmbeddingRequest, context: RequestContext): Promise<EmbedOutcome>;
  /** Records a request that failed before routing (e.g. rejected by admission). */
  recordRejected(context: RequestContext, error: GatewayError, request?: ChatRequest): void;
  /** Attempts running against a deployment right now. */
  inFlight(deploymentId: string): number;
  /** Circuit state of every deployment. */
  circuits(): CircuitSnapshot[];
  /** Requests waiting for a free slot, per model. */
  queue(): {
    depth: number;
    retryBudget: { active: number; retrying: number; refused: number };
    models: QueueSnapshot[];
  };
  /** Latest active health-check result per deployment (empty when checks are off). */
  probes(): ProbeResult[];
  /** Requests and tokens of a deployment in the last minute and day, against its limits. */
  deploymentUsage(deploymentId: string): { rpm: number; rpd: number; tpm: number; tpd: number };
  close(): Promise<void>;
}

export function assembleGateway(services: GatewayServices): Gateway {
  const { config, metrics, logger, registry } = services;
  const execution = config.execution;
  // Breakers, deployment statistics, queues and connection pools; shared across reloads when given.
  const runtime = services.runtime ?? createExecutionRuntime(config, { metrics, logger });
  const { client, breakers, stats, queues, openCircuits } = runtime;
  const router = createRouter(
    registry,
    services.customRouters ? { customRouters: services.customRouters } : {},
  );
  // What strategies may consult about live state; kept current by events, never rebuilt per request.
  const latencyMs = new Map<string, number>();
  const snapshot: RoutingSnapshot = {
    openCircuits,
    latencyMs,
    ...(services.priors ? { priors: services.priors } : {}),
  };
  let latencyAt = 0;
  // `now` is the request's start, read microseconds before: a clock read costs ~85 ns here (kvm-clock).
  const currentSnapshot = (now: number): RoutingSnapshot => {
    if (now - latencyAt > 1000) {
      latencyAt = now;
      for (const model of registry.models.values()) {
        let best: number | undefined;
        for (const deployment of model.deployments) {
          const value = stats.latency(deployment.id, now);
          if (value !== undefined && (best === undefined || value < best)) best = value;
        }
        if (best === undefined) latencyMs.delete(model.name);
        else latencyMs.set(model.name, best);
      }
    }
    return snapshot;
  };
  for (const deployment of registry.deployments()) {
    metrics.setCircuitState(deployment.id, breakers.get(deployment.id).state);
  }
  const budget = createRetryBudget(execution.retry_budget_ratio, execution.retry_budget_min);
  const executor: Executor = createExecutor({
    registry,
    client,
    balancer: createLoadBalancer(config.load_balancer.strategy, {
      stats,
      priceOf: (d) => (d.prices.inputPerMTok + 3 * d.prices.outputPerMTok) / 4,
    }),
    breakers,
    stats,
    queues,
    retry: {
      maxRetries: execution.max_retries,
      baseMs: execution.backoff_base_ms,
      capMs: execution.backoff_cap_ms,
    },
    budget,
    queueTimeoutMs: execution.queue_timeout_ms,
    streamCommitMs: execution.stream_commit_ms,
  });
  const balancing = config.load_balancer;
  const checker: HealthChecker | undefined =
    balancing.health_check_interval === undefined
      ? undefined
      : startHealthChecker(registry, client, breakers, {
          intervalMs: balancing.health_check_interval * 1000,
          timeoutMs: balancing.timeout * 1000,
          maxFailures: balancing.max_failures,
        });
  const deps = { ledger: services.ledger, metrics: services.metrics, stats: services.stats };
  const admission: Admission = services.admission ?? createOpenAdmission();
  const cache = services.cache;
  const cacheDeps = { ...deps, admission };
  const upstreamGuard = createUpstreamGuard({ allowlist: config.security.upstream_allowlist, registry });

  /** Settles the request's reservation to what it really cost; exactly once per ticket. */
  function release(ticket: AdmissionTicket | undefined, settlement: Settlement): void {
    if (!ticket) return;
    admission.settle(ticket, {
      costNanos: settlement.costNanos,
      inputTokens: settlement.usage.inputTokens,
      outputTokens: settlement.usage.outputTokens,
      // The clock reading settle just took (start + latency): admission need not read it again.
      at: settlement.record.timestamp + settlement.record.latencyMs,
    });
  }

  /** The request's route; sticky A/B assignment follows the virtual key when there is one. */
  function planOf(request: ChatRequest, context: RequestContext): RoutePlan {
    return router.plan(request, currentSnapshot(context.startedAt), context.caller.keyId);
  }

  /** Cheap prompt-size estimate (4 characters a token) for quotas; real usage settles later. */
  function prepare(context: RequestContext, request: ChatRequest): void {
    let chars = 0;
    for (const message of request.messages)
      for (const part of message.content) if (part.type === 'text') chars += part.text.length;
    context.expectedTokens = Math.ceil(chars / 4) + (request.maxTokens ?? 0);
    // A request may lower its priority, never raise it above its key's.
    const asked = request.routing?.priority;
    if (asked !== undefined)
      context.priority = context.priority === undefined ? asked : Math.min(asked, context.priority);
  }

  function servedBy(
    context: RequestContext,
    plan: RoutePlan,
    ticket: AdmissionTicket | undefined,
    cacheResult: CacheResult = 'skip',
  ): ServedBy {
    const { model, deployment } = context.trace;
    if (!model || !deployment) throw withoutDeployment();
    const served: ServedBy = {
      model,
      deployment,
      plan,
      attempts: context.trace.attempts.length,
      cache: cacheResult,
    };
    // By assignment: a spread of a conditional literal costs V8 a dictionary copy per request.
    if (ticket?.headers) served.headers = ticket.headers;
    return served;
  }

  // The executor sets the model and deployment before it returns a value: their absence is a bug.
  function withoutDeployment(): GatewayError {
    return new GatewayError('INTERNAL', 'execution returned without a deployment');
  }

  function fail(
    context: RequestContext,
    error: unknown,
    request?: ChatRequest,
    plan?: RoutePlan,
    ticket?: AdmissionTicket,
  ): GatewayError {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'INTERNAL') {
      services.logger.error('request failed unexpectedly', { requestId: context.requestId, error });
    }
    const settlement = settle(deps, {
      context,
      ...(request ? { request } : {}),
      ...(plan ? { plan } : {}),
      status: context.signal.aborted ? 'cancelled' : 'error',
      error: gatewayError,
      httpStatus: gatewayError.status,
    });
    release(ticket, settlement);
    return gatewayError;
  }

  return {
    ...services,
    router,

    async chat(request, context) {
      let plan: RoutePlan | undefined;
      let ticket: AdmissionTicket | undefined;
      try {
        plan = planOf(request, context);
        // A ticket admission could give at once is not awaited: that would cost the request a turn.
        // It is admitted at the request's start, read just before routing: no clock read (~85 ns).
        const admitting = admission.admit(context, { request, plan, at: context.startedAt });
        ticket = admitting instanceof Promise ? await admitting : admitting;
        prepare(context, request);
        const apiBase = request.routing?.apiBase;
        if (apiBase !== undefined) context.upstream = await upstreamGuard.check(apiBase, plan);
        const cached = cache === undefined ? CACHE_SKIPPED : await cache.lookup(request, context, registry);
        if (cached.hit) return cachedChat(cacheDeps, { context, request, plan, ticket, hit: cached.hit });
        const result = await executor.chat(request, plan, context);
        const { model, deployment } = context.trace;
        if (!model || !deployment) throw withoutDeployment();
        const attempts = context.trace.attempts.length;
        // The answer's text is needed only to estimate usage the provider did not report.
        const outputText =
          result.usage.estimated === true
            ? result.choices
                .map((c) => c.message.content.map((p) => ('text' in p ? p.text : '')).join(''))
                .join('')
            : '';
        const settlement = settle(deps, {
          context,
          request,
          plan,
          status: 'ok',
          httpStatus: 200,
          usage: result.usage,
          outputText,
          cacheHit: cached.status === 'miss' ? false : undefined,
        });
        release(ticket, settlement);
        // The result is this request's own (parsed from its answer): it takes the settled usage.
        result.usage = settlement.usage;
        // The outcome says what served the request itself (no ServedBy made to copy it from), as
        // one of two whole literals: keys added to a literal afterwards go to a property array
        // V8 allocates and grows, and a spread of a conditional literal costs a dictionary copy.
        const headers = ticket?.headers;
        const status = cached.status;
        const outcome: ChatOutcome = headers
          ? { result, settlement, model, deployment, plan, attempts, headers, cache: status }
          : { result, settlement, model, deployment, plan, attempts, cache: status };
        cached.store(result, outcome, settlement.costNanos);
        return outcome;
      } catch (error) {
        throw fail(context, error, request, plan, ticket);
      }
    },

    async stream(request, context) {
      let plan: RoutePlan | undefined;
      let ticket: AdmissionTicket | undefined;
      try {
        plan = planOf(request, context);
        const admitting = admission.admit(context, { request, plan, at: context.startedAt });
        ticket = admitting instanceof Promise ? await admitting : admitting;
        prepare(context, request);
        const apiBase = request.routing?.apiBase;
        if (apiBase !== undefined) context.upstream = await upstreamGuard.check(apiBase, plan);
        const cached = cache === undefined ? CACHE_SKIPPED : await cache.lookup(request, context, registry);
        if (cached.hit) return cachedStream(cacheDeps, { context, request, plan, ticket, hit: cached.hit });
        const committed = await executor.stream(request, plan, context);
        const served = servedBy(context, plan, ticket, cached.status);
        const admitted = ticket;
        const committedPlan = plan;
        let settled: Settlement | undefined;
        return {
          parts: cached.tap(committed.parts),
          summary: committed.summary,
          finish() {
            if (settled) return settled;
            const summary = committed.summary;
            const status = summary.status === 'streaming' ? 'cancelled' : summary.status;
            settled = settle(deps, {
              context,
              request,
              plan: committedPlan,
              status,
              ...(summary.error ? { error: summary.error } : {}),
              httpStatus: 200,
              ...(summary.usage ? { usage: summary.usage } : {}),
              outputText: summary.outputText,
              cacheHit: cached.status === 'miss' ? false : undefined,
            });
            release(admitted, settled);
            if (status === 'ok') cached.storeTapped(served, settled.usage, settled.costNanos);
            return settled;
          },
          // Last: keys added after a spread cost V8 dearly.
          ...served,
        };
      } catch (error) {
        throw fail(context, error, request, plan, ticket);
      }
    },

    async embed(request, context) {
      let plan: RoutePlan | undefined;
      let ticket: AdmissionTicket | undefined;
      try {
        plan = router.plan({ ...request, operation: 'embeddings' }, currentSnapshot(context.startedAt));
        const admitting = admission.admit(context, { request, plan, at: context.startedAt });
        ticket = admitting instanceof Promise ? await admitting : admitting;
        const apiBase = request.routing?.apiBase;
        if (apiBase !== undefined) context.upstream = await upstreamGuard.check(apiBase, plan);
        const result = await executor.embed(request, plan, context);
        const served = servedBy(context, plan, ticket);
        // Some providers (Gemini) report no usage for embeddings: count the input then.
        const usage: Usage =
          result.usage.inputTokens > 0
            ? result.usage
            : {
                inputTokens: request.input.reduce(
                  (sum, text) =>
                    sum + countTextTokens(text, context.trace.deployment?.target.model ?? request.model),
                  0,
                ),
                outputTokens: 0,
                estimated: true,
              };
        const settlement = settle(deps, { context, plan, status: 'ok', httpStatus: 200, usage });
        release(ticket, settlement);
        return { ...served, result, settlement };
      } catch (error) {
        throw fail(context, error, undefined, plan, ticket);
      }
    },

    inFlight: (id) => executor.inFlight(id),
    circuits: () => registry.deployments().map((d) => breakers.get(d.id).snapshot()),
    queue: () => ({
      depth: queues.depth(),
      retryBudget: { active: budget.active, retrying: budget.retrying, refused: budget.refused },
      models: queues.snapshot(),
    }),
    probes: () => checker?.results() ?? [],
    deploymentUsage: (id) => stats.usage(id),

    recordRejected(context, error, request) {
      fail(context, error, request);
    },

    async close() {
      checker?.stop();
      if (services.runtime === undefined) await runtime.close();
      await admission.close?.();
      for (const close of services.closers ?? []) await close();
    },
  };
}
