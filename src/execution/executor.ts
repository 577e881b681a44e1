/**
 * @module execution/executor
 * Carries out a RoutePlan. Each attempt goes to a deployment the load balancer picks among the
 * eligible ones (circuit not open, quota left, not already tried), waiting in a priority queue
 * when all of them are at their concurrency limit. Failures move on: first to untried
 * deployments in plan order, then back to failed ones (honouring Retry-After), never retrying
 * the deployment that just failed while another exists, within `max_retries`, the retry budget
 * and the request's deadline, with full-jitter backoff between attempts. Non-retryable errors
 * end the request at once.
 *
 * Streams are committed to the client only once the first content has arrived (and, if
 * configured, a few more milliseconds have passed), so a failure before that falls back
 * invisibly; after it, failures become an explicit error part, and a stream that ends without
 * a finish reason is an error, never a silent success.
 *
 * A request that names its own (allow-listed, already checked) upstream is served only by
 * OpenAI-compatible deployments, with that base URL in place of theirs; those attempts say
 * nothing about the deployment's health, so they neither trip its circuit nor feed its latency.
 */

import { type CompiledPrices, compilePrices, computeCostNanosCompiled } from '../accounting/compute-cost.js';
import type { Prices } from '../accounting/prices.js';
import type { Cancellation } from '../core/cancellation.js';
import type { ChatRequest, ChatResult, EmbeddingRequest, EmbeddingResult, StreamPart } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import type { FinishReason } from '../core/finish-reason.js';
import type { Usage } from '../core/usage.js';
import type { Deployment, ModelEntry, Registry } from '../registry/registry.js';
import type { PlannedAttempt, RoutePlan } from '../routing/plan.js';
import { acceptsUpstreamOverride, type UpstreamOverride } from '../security/upstream-guard.js';
import { runCascade, type StepAnswer, type StepRunner } from './cascade.js';
import type { CircuitBreakers, Permit } from './circuit-breaker.js';
import { needsClassifier, resolveClassifier } from './classifier-call.js';
import { confidenceScore } from './confidence/index.js';
import type { DeploymentStats } from './deployment-stats.js';
import { runEnsemble } from './ensemble.js';
import type { LoadBalancer } from './load-balancer.js';
import { PartStream } from './part-stream.js';
import type { PriorityQueues } from './priority-queue.js';
import { resultToParts } from './result-stream.js';
import { backoffMs, type RetryBudget, type RetryPolicy, sleep } from './retry.js';
import { relayStream } from './stream-relay.js';
import { isAbort, transportError } from './transport-error.js';
import { exchangeJson, openUpstreamStream, readJson, sendUpstream, upstreamTarget } from './upstream-call.js';
import type { UpstreamClient } from './upstream-client.js';

export interface AttemptOutcome {
  model: ModelEntry;
  deployment: Deployment;
  status: 'ok' | 'error' | 'cancelled';
  error?: GatewayError;
  startedAt: number;
  latencyMs: number;
  /** Usage reported by the upstream for this attempt, when any. */
  usage?: Usage;
  /** Milliseconds spent waiting for a free slot before the attempt. */
  queuedMs?: number;
  /** A hedged attempt that lost the race: billed for its input, as the provider will. */
  hedgeLoser?: boolean;
  /** Sent to the request's own upstream (`switchyard.api_base`), not the deployment's. */
  overridden?: boolean;
}

/** Everything the accounting step needs to know about how a request was served. */
export interface ExecutionTrace {
  attempts: AttemptOutcome[];
  /** The model and deployment whose answer the client got (or that was tried last). */
  model?: ModelEntry;
  deployment?: Deployment;
  ttftMs?: number;
  /** Deployments passed over, and why (circuit open, quota exhausted). */
  skipped?: { deployment: string; reason: string }[];
  /** Confidence of the answer the client got, when it was scored. */
  confidence?: number;
  /** Why each cascade or ensemble step was taken, escalated or chosen (the decision trace). */
  decisions?: string[];
  /** Models an ensemble asked, in plan order. */
  ensembleModels?: string[];
}

export interface ExecutionContext {
  requestId: string;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** The HTTP client's side, watched by a self-timed exchange without making `signal`. */
  cancel?: Cancellation;
  /** Epoch ms by which the whole request must be done. */
  deadline: number;
  trace: ExecutionTrace;
  /** Queue priority (higher first). */
  priority?: number;
  /** Tokens the request is expected to use, for quota checks. */
  expectedTokens?: number;
  /** The request's own upstream, checked by the upstream guard: replaces each attempt's base URL. */
  upstream?: UpstreamOverride;
}

export interface CommittedStream {
  model: ModelEntry;
  deployment: Deployment;
  /** The canonical parts, starting with the ones buffered before commit. Never throws. */
  parts: AsyncGenerator<StreamPart, void>;
  /** Filled in as parts flow; final once `parts` is exhausted or returned. */
  summary: StreamSummary;
}

export interface StreamSummary {
  status: 'ok' | 'error' | 'cancelled' | 'streaming';
  error?: GatewayError;
  usage?: Usage;
  /** Generated text, for usage estimation when the upstream reported none. */
  outputText: string;
  finishReasons: FinishReason[];
}

export interface Executor {
  chat(request: ChatRequest, plan: RoutePlan, context: ExecutionContext): Promise<ChatResult>;
  stream(request: ChatRequest, plan: RoutePlan, context: ExecutionContext): Promise<CommittedStream>;
  embed(request: EmbeddingRequest, plan: RoutePlan, context: ExecutionContext): Promise<EmbeddingResult>;
  /** Attempts currently running against a deployment. */
  inFlight(deploymentId: string): number;
}

export interface ExecutorOptions {
  registry: Registry;
  client: UpstreamClient;
  balancer: LoadBalancer;
  breakers: CircuitBreakers;
  stats: DeploymentStats;
  queues: PriorityQueues;
  retry: RetryPolicy;
  budget: RetryBudget;
  queueTimeoutMs: number;
  streamCommitMs: number;
  /** Told about every finished attempt (metrics). */
  onAttempt?: (outcome: AttemptOutcome) => void;
  now?: () => number;
}

/**
 * What a self-timed attempt (see run) is handed for a signal: a placeholder that never aborts.
 * It watches the client through its context itself, so the client's signal is not made for it.
 */
const SELF_TIMED: AbortSignal = new AbortController().signal;

/** A run's default `exclude`: one shared empty set, not a new one per request. */
const NOTHING_EXCLUDED: ReadonlySet<string> = new Set();

/** What `selectNow` says when every eligible deployment is at its concurrency limit. */
const BUSY = Symbol('busy');

/** The passes of a run: untried deployments in plan order first, then the failed ones again. */
const PASSES = [false, true] as const;

/**
 * One attempt's work, given its deployment and an abort signal bounded by the per-try timeout
 * ({@link SELF_TIMED} in a self-timed run).
 */
type AttemptFn<T> = (
  model: ModelEntry,
  deployment: Deployment,
  signal: AbortSignal,
  outcome: AttemptOutcome,
  permit: Permit,
) => Promise<{ value: T; usage?: Usage; keepOpen?: boolean }>;

interface Selection {
  model: ModelEntry;
  deployment: Deployment;
  permit: Permit;
  queuedMs: number;
  /** The clock reading the permit's time limit was taken from: the attempt's start, if it starts at once. */
  at: number;
}

/**
 * Whether going back to the same deployment could help: a timeout, a rate limit, a reset or a
 * 5xx may pass; "model not found", bad credentials or a rejected request will not.
 */
function worthRepeating(error: GatewayError): boolean {
  const upstream = error.details?.upstream_status;
  return !(
    typeof upstream === 'number' &&
    upstream >= 400 &&
    upstream < 500 &&
    upstream !== 408 &&
    upstream !== 429
  );
}

const compiledPrices = new WeakMap<Prices, CompiledPrices>();
function costOf(usage: Usage | undefined, prices: Prices): number {
  if (!usage) return 0;
  let compiled = compiledPrices.get(prices);
  if (!compiled) {
    compiled = compilePrices(prices);
    compiledPrices.set(prices, compiled);
  }
  return computeCostNanosCompiled(usage, compiled);
}

/** A chat answer's JSON, decoded by the deployment's adapter, as an attempt's result. */
function chatAnswer(json: unknown, deployment: Deployment): { value: ChatResult; usage?: Usage } {
  const result = deployment.adapter.parseChatResponse(json, deployment.target);
  return { value: result, usage: result.usage };
}

/** Whether an error says something about the deployment's health (a client's 400 does not). */
function countsAgainstDeployment(error: GatewayError): boolean {
  return error.retryable || error.status >= 500;
}

export function createExecutor(options: ExecutorOptions): Executor {
  const { registry, client, balancer, breakers, stats, queues, budget } = options;
  const now = options.now ?? Date.now;

  /** `at`: when the attempt ended, when the caller has just read the clock. */
  function finishAttempt(outcome: AttemptOutcome, permit: Permit, at = now()): void {
    outcome.latencyMs = at - outcome.startedAt;
    stats.end(outcome.deployment.id);
    queues.notify(outcome.model.name);
    const breaker = breakers.get(outcome.deployment.id);
    if (outcome.overridden) {
      breaker.onAbandon(permit);
    } else if (outcome.status === 'ok') {
      breaker.onSuccess(permit);
    } else if (outcome.status === 'cancelled' || !outcome.error) {
      breaker.onAbandon(permit);
    } else if (countsAgainstDeployment(outcome.error)) {
      breaker.onFailure(permit);
    } else {
      breaker.onSuccess(permit);
    }
    options.onAttempt?.(outcome);
  }

  /** Records that `deployment` was passed over for this request, once, and why. */
  function skip(context: ExecutionContext, deployment: string, reason: string): void {
    // Made at the first skip: most requests pass over nothing.
    context.trace.skipped ??= [];
    const skipped = context.trace.skipped;
    if (!skipped.some((s) => s.deployment === deployment)) skipped.push({ deployment, reason });
  }

  /**
   * Picks the next deployment for `model` among those not in `exclude`, never the one in
   * `avoid` while another exists; {@link BUSY} when every eligible deployment is at its
   * concurrency limit (then `select` waits in the model's queue). Synchronous: a request that
   * need not wait takes no promise for it.
   */
  function selectNow(
    model: ModelEntry,
    exclude: ReadonlySet<string>,
    avoid: string | undefined,
    context: ExecutionContext,
    queuedMs: number,
  ): Selection | undefined | typeof BUSY {
    // Most models have one eligible deployment: a list to choose from is made only for a second.
    let only: Deployment | undefined;
    let open: Deployment[] | undefined;
    let busy = false;
    for (const deployment of model.deployments) {
      if (deployment.weight <= 0) continue;
      if (exclude.has(deployment.id)) continue;
      if (context.upstream && !acceptsUpstreamOverride(deployment)) {
        skip(context, deployment.id, 'does not take a request-supplied api_base');
        continue;
      }
      if (breakers.get(deployment.id).state === 'open') {
        skip(context, deployment.id, 'circuit open');
        continue;
      }
      if (stats.headroom(deployment, context.expectedTokens ?? 0) <= 0) {
        skip(context, deployment.id, 'quota exhausted');
        continue;
      }
      const limit = deployment.limits.maxConcurrency;
      if (limit !== undefined && stats.inFlight(deployment.id) >= limit) {
        busy = true;
        continue;
      }
      if (only === undefined) {
        only = deployment;
      } else {
        open ??= [only];
        open.push(deployment);
      }
    }
    if (open === undefined) {
      // The balancer's pick among one is that one.
      if (only !== undefined) {
        const selection = acquire(model, only, context, queuedMs);
        if (selection !== undefined) return selection;
      }
      return busy ? BUSY : undefined;
    }
    const preferred = avoid !== undefined ? open.filter((d) => d.id !== avoid) : open;
    while (preferred.length > 0) {
      const deployment = balancer.pick(model.name, preferred, context.expectedTokens ?? 0);
      const selection = acquire(model, deployment, context, queuedMs);
      if (selection !== undefined) return selection;
      preferred.splice(preferred.indexOf(deployment), 1);
    }
    return busy ? BUSY : undefined;
  }

  /** The selection of `deployment` if its circuit lets an attempt through; else it is passed over. */
  function acquire(
    model: ModelEntry,
    deployment: Deployment,
    context: ExecutionContext,
    queuedMs: number,
  ): Selection | undefined {
    const at = now();
    const timeoutMs = Math.min(deployment.timeoutMs, Math.max(1, context.deadline - at));
    const permit = breakers.get(deployment.id).tryAcquire(timeoutMs);
    if (permit) return { model, deployment, permit, queuedMs, at };
    // Half-open and its probe slots are taken: treat as unavailable for this request.
    skip(context, deployment.id, 'circuit half-open, probes in flight');
    return undefined;
  }

  /** `selectNow`, waiting in the model's queue while every eligible deployment is busy. */
  async function select(
    model: ModelEntry,
    exclude: ReadonlySet<string>,
    avoid: string | undefined,
    context: ExecutionContext,
  ): Promise<Selection | undefined> {
    let queuedMs = 0;
    for (;;) {
      const remaining = context.deadline - now();
      if (remaining <= 0) throw new GatewayError('TIMEOUT', 'the request deadline passed while queued');
      queuedMs += await queues.wait(
        model.name,
        context.priority ?? 0,
        Math.min(options.queueTimeoutMs, remaining),
        context.signal,
      );
      const selection = selectNow(model, exclude, avoid, context, queuedMs);
      if (selection !== BUSY) return selection;
    }
  }

  function exhausted(
    context: ExecutionContext,
    lastError: GatewayError | undefined,
    note?: string,
  ): GatewayError {
    const failed = context.trace.attempts.filter((a) => a.error);
    if (context.signal.aborted) return new GatewayError('TIMEOUT', 'client closed the request');
    // One failed attempt and nothing passed over: the upstream's own error says it best.
    if (failed.length === 1 && lastError && !context.trace.skipped?.length) return lastError;
    const attempts = failed.map((a) => ({
      model: a.model.name,
      deployment: a.deployment.id,
      code: a.error?.code,
      status: a.error?.status,
      message: a.error?.message,
    }));
    const skipped = context.trace.skipped ?? [];
    if (failed.length === 0 && skipped.length === 0 && lastError) return lastError;
    const message =
      failed.length === 0
        ? 'no deployment could take the request'
        : `all ${failed.length} attempt${failed.length === 1 ? '' : 's'} failed`;
    return new GatewayError('ROUTE_EXHAUSTED', note ? `${message}; ${note}` : message, {
      status: failed.length === 0 ? 503 : 502,
      details: { attempts, skipped },
      ...(lastError?.retryAfterMs === undefined ? {} : { retryAfterMs: lastError.retryAfterMs }),
    });
  }

  /**
   * `selfTimed`: the attempt ends itself after `permit.timeoutMs ?? deployment.timeoutMs` (a
   * buffered exchange with a timer of its own) and watches the client itself, so it is handed
   * {@link SELF_TIMED}; any other attempt gets a controller fed by the client's signal and a timer.
   * `accept` sees the value the run resolves with, once its attempt is finished (a promise less
   * than a `.then` on the run).
   */
  async function run<T>(
    plan: RoutePlan,
    context: ExecutionContext,
    attempt: AttemptFn<T>,
    exclude: ReadonlySet<string> = NOTHING_EXCLUDED,
    selfTimed = false,
    accept?: (value: T) => void,
  ): Promise<T> {
    const steps = plan.kind === 'sequence' ? plan.attempts : plan.members;
    // `exclude` and the deployments this run has tried (what the first pass passes over): the
    // set is made when a second selection needs it, as most runs make one; until then the one
    // deployment tried is `firstTried`.
    let firstTried: string | undefined;
    let tried: Set<string> | undefined;
    // Deployments not worth going back to in the second pass (their error will not pass); made
    // at the first such error, as most requests never fail.
    let spent: Set<string> | undefined;
    let lastError: GatewayError | undefined;
    let lastDeployment: string | undefined;
    let retries = 0;
    let made = 0;
    let note: string | undefined;
    budget.enter();
    try {
      // Untried deployments in plan order first; then the failed ones again.
      for (const allowTried of PASSES) {
        for (const step of steps) {
          // Looked up as it is reached: most runs end at their first model.
          const model = registry.get(step.model);
          if (model === undefined) continue;
          for (;;) {
            // Counted per run: a hedge shares the trace but starts its own sequence.
            const isRetry = made > 0;
            if (isRetry) {
              if (!lastError?.retryable) throw exhausted(context, lastError);
              if (retries >= options.retry.maxRetries) {
                note = `max_retries (${options.retry.maxRetries}) reached`;
                throw exhausted(context, lastError, note);
              }
            }
            let excluded: ReadonlySet<string>;
            if (allowTried) {
              excluded = spent ?? exclude;
            } else if (firstTried === undefined) {
              excluded = exclude;
            } else {
              tried ??= new Set(exclude).add(firstTried);
              excluded = tried;
            }
            const picked = selectNow(model, excluded, lastDeployment, context, 0);
            const selection =
              picked === BUSY ? await select(model, excluded, lastDeployment, context) : picked;
            if (!selection) break;
            const sameAgain = selection.deployment.id === lastDeployment;
            let holdsRetry = false;
            if (isRetry) {
              retries++;
              // Retry-After speaks for the deployment that sent it: honour it when going back there.
              const wait = backoffMs(options.retry, retries, sameAgain ? lastError?.retryAfterMs : undefined);
              const giveUp = (error: GatewayError) => {
                breakers.get(selection.deployment.id).onAbandon(selection.permit);
                return error;
              };
              if (now() + wait >= context.deadline) {
                throw giveUp(
                  exhausted(context, lastError, 'the deadline leaves no time for another attempt'),
                );
              }
              try {
                await sleep(wait, context.signal);
              } catch {
                throw giveUp(new GatewayError('TIMEOUT', 'client closed the request'));
              }
              // The budget bounds retries actually in flight upstream, so it is taken after the backoff;
              // a burst of failures waits its turn (within the deadline) rather than being dropped.
              const budgetWait = Math.min(options.retry.capMs * 4, context.deadline - now());
              if (!(await budget.acquire(budgetWait, context.signal))) {
                throw giveUp(exhausted(context, lastError, 'retry budget exhausted'));
              }
              holdsRetry = true;
            }
            const { model: chosen, deployment, permit, queuedMs } = selection;
            if (firstTried === undefined) {
              firstTried = deployment.id;
            } else {
              tried ??= new Set(exclude).add(firstTried);
              tried.add(deployment.id);
            }
            made++;
            // One reading of the clock for the attempt's start and its statistics: the selection's
            // (a reading costs 0.06 µs, 0.15 with cold caches), unless a retry's back-off came in between.
            const startedAt = isRetry ? now() : selection.at;
            const outcome: AttemptOutcome = {
              model: chosen,
              deployment,
              status: 'ok',
              startedAt,
              latencyMs: 0,
            };
            // By assignment: spreads of conditional literals cost V8 a copy per attempt.
            if (queuedMs > 0) outcome.queuedMs = queuedMs;
            if (context.upstream) outcome.overridden = true;
            context.trace.attempts.push(outcome);
            context.trace.model = chosen;
            context.trace.deployment = deployment;
            stats.begin(deployment.id, startedAt);
            if (context.expectedTokens) stats.addTokens(deployment.id, context.expectedTokens, startedAt);
            const timeoutMs = permit.timeoutMs ?? deployment.timeoutMs;
            const bounded = selfTimed ? undefined : boundedSignal(context.signal, timeoutMs);
            const signal = bounded === undefined ? SELF_TIMED : bounded.signal;
            let keepOpen = false;
            let answered: { value: T } | undefined;
            let endedAt: number | undefined;
            try {
              const result = await attempt(chosen, deployment, signal, outcome, permit);
              if (result.usage) outcome.usage = result.usage;
              keepOpen = result.keepOpen === true;
              if (!keepOpen) {
                endedAt = now();
                if (!outcome.overridden) stats.observeLatency(deployment.id, endedAt - startedAt, endedAt);
              }
              answered = result;
            } catch (error) {
              if (context.signal.aborted) {
                outcome.status = 'cancelled';
                throw new GatewayError('TIMEOUT', 'client closed the request');
              }
              const gatewayError = isAbort(error)
                ? new GatewayError('TIMEOUT', `upstream ${deployment.provider} did not answer in time`, {
                    details: {
                      provider: deployment.provider,
                      timeout_ms: permit.timeoutMs ?? deployment.timeoutMs,
                    },
                  })
                : transportError(error, deployment.provider);
              outcome.status = 'error';
              outcome.error = gatewayError;
              lastError = gatewayError;
              lastDeployment = deployment.id;
              if (!worthRepeating(gatewayError)) {
                spent ??= new Set<string>(exclude);
                spent.add(deployment.id);
              }
            } finally {
              bounded?.dispose();
              if (holdsRetry) budget.release();
              // A committed stream finishes its attempt when the stream ends, not here.
              if (!keepOpen) finishAttempt(outcome, permit, endedAt ?? now());
            }
            if (answered !== undefined) {
              // After the attempt is finished, as a caller's `.then` on the run would see it.
              accept?.(answered.value);
              return answered.value;
            }
          }
        }
      }
      throw exhausted(context, lastError, note);
    } finally {
      budget.leave();
    }
  }

  /**
   * Hedging: when the first attempt has not answered after `hedgeAfterMs`, a second one goes to
   * another deployment; the first success wins, the other is cancelled — and billed for its
   * input, as the provider will bill it.
   */
  async function hedged<T>(
    plan: RoutePlan,
    context: ExecutionContext,
    hedgeAfterMs: number,
    attempt: AttemptFn<T>,
  ): Promise<T> {
    const racers = [0, 1].map(() => {
      const controller = new AbortController();
      const outcomes: AttemptOutcome[] = [];
      const sub: ExecutionContext = {
        ...context,
        signal: AbortSignal.any([context.signal, controller.signal]),
      };
      const wrapped: AttemptFn<T> = (model, deployment, signal, outcome, permit) => {
        outcomes.push(outcome);
        return attempt(model, deployment, signal, outcome, permit);
      };
      return { controller, outcomes, sub, wrapped };
    });
    const [a, b] = racers as [(typeof racers)[0], (typeof racers)[0]];
    const first = run(plan, a.sub, a.wrapped).then((value) => ({ value, racer: a }));
    const timer = new AbortController();
    const hedgeDue = sleep(hedgeAfterMs, AbortSignal.any([timer.signal, context.signal])).then(
      () => 'hedge' as const,
      () => 'stop' as const,
    );
    const early = await Promise.race([
      first.then(
        (r) => r,
        (error: unknown) => ({ error }),
      ),
      hedgeDue,
    ]);
    if (early !== 'hedge' && early !== 'stop') {
      timer.abort();
      if ('error' in early) throw early.error;
      return early.value;
    }
    // The second attempt goes elsewhere than the one still running.
    const running = a.outcomes.at(-1);
    const busy = new Set(running ? [running.deployment.id] : []);
    const second = run(plan, b.sub, b.wrapped, busy).then((value) => ({ value, racer: b }));
    let winner: Awaited<typeof first>;
    try {
      winner = await Promise.any([first, second]);
    } catch (error) {
      const errors = (error as AggregateError).errors as unknown[];
      throw errors.find((e) => e instanceof GatewayError && e.code !== 'TIMEOUT') ?? errors[0];
    }
    const loser = winner.racer === a ? b : a;
    loser.controller.abort();
    await (winner.racer === a ? second : first).catch(() => undefined);
    for (const outcome of loser.outcomes) if (outcome.status === 'cancelled') outcome.hedgeLoser = true;
    const won = winner.racer.outcomes.at(-1);
    if (won) {
      context.trace.model = won.model;
      context.trace.deployment = won.deployment;
    }
    return winner.value;
  }

  /** Runs single steps of a cascade or ensemble through the full retry/failover machinery. */
  function stepRunner(
    request: ChatRequest,
    plan: RoutePlan,
    context: ExecutionContext,
  ): StepRunner & {
    runAggregator(request: ChatRequest, model: string): Promise<StepAnswer>;
    /** Any request to any model (router-model's classifier), as an attempt of this one. */
    runRequest(request: ChatRequest, model: string): Promise<StepAnswer>;
  } {
    const step = (body: ChatRequest, attempt: PlannedAttempt) => {
      let served: Omit<StepAnswer, 'result'> | undefined;
      const single: RoutePlan = {
        kind: 'sequence',
        strategy: plan.strategy,
        attempts: [attempt],
        reason: plan.reason,
      };
      return run(single, context, async (model, deployment, signal) => {
        const response = await sendUpstream(
          client,
          deployment,
          deployment.adapter.buildChatRequest(body, upstreamTarget(deployment, context.upstream)),
          signal,
          context.upstream,
        );
        const result = deployment.adapter.parseChatResponse(
          await readJson(deployment, response),
          deployment.target,
        );
        served = { model, deployment };
        return { value: result, usage: result.usage };
      }).then((result) => ({ result, ...served! }));
    };
    let inputChars = 0;
    for (const message of request.messages) {
      for (const part of message.content) if (part.type === 'text') inputChars += part.text.length;
    }
    const expectedOutput = request.maxTokens ?? 256;
    return {
      runStep: (attempt) => step({ ...request, stream: false }, attempt),
      runAggregator: (aggregate, model) => step(aggregate, { model, reason: 'aggregator' }),
      runRequest: (body, model) => step(body, { model }),
      spentNanos: () =>
        context.trace.attempts.reduce((sum, a) => sum + costOf(a.usage, a.deployment.prices), 0),
      estimateNanos: (model) =>
        costOf({ inputTokens: Math.ceil(inputChars / 4), outputTokens: expectedOutput }, model.prices),
      model: (name) => registry.get(name),
    };
  }

  const executor: Executor = {
    inFlight: (id) => stats.inFlight(id),

    chat(request, plan, context) {
      if (needsClassifier(plan)) {
        const ask = stepRunner(request, plan, context).runRequest;
        return resolveClassifier(plan, context, registry, ask).then((next) =>
          executor.chat(request, next, context),
        );
      }
      // A copy only when it must differ: the canonical request is not changed downstream.
      const body = request.stream === true ? { ...request, stream: false } : request;
      // Self-timed (see run): the exchange ends itself after the attempt's time limit, and its
      // answer is decoded as it ends (one promise for the whole attempt).
      const attempt: AttemptFn<ChatResult> = (_model, deployment, signal, _outcome, permit) =>
        exchangeJson(
          client,
          deployment,
          deployment.adapter.buildChatRequest(body, upstreamTarget(deployment, context.upstream)),
          // Self-timed, it watches the client itself: through `cancel` when it came over HTTP.
          signal === SELF_TIMED ? (context.cancel ?? context.signal) : signal,
          permit.timeoutMs ?? deployment.timeoutMs,
          context.upstream,
          chatAnswer,
        );
      if (plan.kind === 'parallel')
        return runEnsemble(request, plan, context, stepRunner(request, plan, context));
      if (plan.escalate) return runCascade(request, plan, context, stepRunner(request, plan, context));
      const scored = (result: ChatResult) => {
        context.trace.confidence = confidenceScore({ request, result });
      };
      if (plan.hedgeAfterMs === undefined) return run(plan, context, attempt, undefined, true, scored);
      return hedged(plan, context, plan.hedgeAfterMs, attempt).then((result) => {
        scored(result);
        return result;
      });
    },

    embed(request, plan, context) {
      return run(plan, context, async (model, deployment, signal) => {
        const adapter = deployment.adapter;
        if (!adapter.buildEmbeddingRequest || !adapter.parseEmbeddingResponse) {
          throw new GatewayError('INVALID_REQUEST', `model ${model.name} does not serve embeddings`, {
            details: { field: 'model' },
          });
        }
        const response = await sendUpstream(
          client,
          deployment,
          adapter.buildEmbeddingRequest(request, upstreamTarget(deployment, context.upstream)),
          signal,
          context.upstream,
        );
        const result = adapter.parseEmbeddingResponse(
          await readJson(deployment, response),
          deployment.target,
        );
        return { value: result, usage: result.usage };
      });
    },

    async stream(request, plan, context) {
      if (needsClassifier(plan)) {
        const ask = stepRunner(request, plan, context).runRequest;
        return executor.stream(request, await resolveClassifier(plan, context, registry, ask), context);
      }
      if (plan.kind === 'parallel') {
        // An ensemble must see every answer before it chooses: run it whole, then stream the choice.
        const result = await executor.chat(request, plan, context);
        const outcome = context.trace.attempts.find((a) => a.deployment === context.trace.deployment);
        const summary: StreamSummary = {
          status: 'ok',
          outputText: '',
          finishReasons: result.choices.map((c) => c.finishReason),
          usage: result.usage,
        };
        const parts = PartStream.of(resultToParts(result));
        if (!context.trace.model || !context.trace.deployment || !outcome) {
          throw new GatewayError('INTERNAL', 'ensemble returned without a deployment');
        }
        return { model: context.trace.model, deployment: context.trace.deployment, summary, parts };
      }
      const body = { ...request, stream: true };
      // Self-timed (see run): a timer bounds the wait for the first token; after commit only
      // the request's deadline, the client and the upstream's idle timeout end the stream. The
      // upstream exchange watches the client and the deadline itself (no controller or signal
      // of its own: 1,000 open streams feel every object each of them keeps).
      return run(
        plan,
        context,
        async (model, deployment, _signal, outcome, permit) => {
          const started = now();
          const upstream = openUpstreamStream(
            client,
            deployment,
            body,
            { signal: context.signal, timeoutMs: Math.max(1, context.deadline - started) },
            context.upstream,
          );
          const buffered: StreamPart[] = [];
          let content = false;
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<never>((_resolve, reject) => {
            timer = setTimeout(
              () => reject(new DOMException('the attempt timed out', 'TimeoutError')),
              permit.timeoutMs ?? deployment.timeoutMs,
            );
          });
          timedOut.catch(() => undefined);
          let pending: Promise<IteratorResult<StreamPart, void>> | undefined;
          try {
            for (;;) {
              pending = upstream.next();
              const next = await Promise.race([pending, timedOut]);
              if (next.done) break;
              buffered.push(next.value);
              if (next.value.type !== 'start' && next.value.type !== 'usage') content = true;
              if (content && now() - started >= options.streamCommitMs) break;
            }
          } catch (error) {
            // Leaving the stream tears its connection down; the pending next() settles with it.
            pending?.catch(() => undefined);
            void upstream.return();
            throw error;
          } finally {
            clearTimeout(timer);
          }
          context.trace.ttftMs = now() - started;
          if (!outcome.overridden) stats.observeLatency(deployment.id, context.trace.ttftMs);
          const summary: StreamSummary = { status: 'streaming', outputText: '', finishReasons: [] };
          const parts = relayStream({
            buffered,
            upstream,
            clientSignal: context.signal,
            summary,
            outcome,
            onEnd() {
              outcome.status = summary.status === 'streaming' ? 'cancelled' : summary.status;
              if (summary.error) outcome.error = summary.error;
              finishAttempt(outcome, permit);
            },
          });
          return { value: { model, deployment, summary, parts }, keepOpen: true };
        },
        undefined,
        true,
      );
    },
  };
  return executor;
}

/**
 * A signal that aborts with the client's, with a TimeoutError after `timeoutMs`, or on
 * `abort()`: one controller fed by a listener and a timer (cheaper than AbortSignal.timeout +
 * AbortSignal.any). `dispose()` once it is no longer needed; the timer never keeps the process up.
 */
function boundedSignal(
  client: AbortSignal,
  timeoutMs: number,
): { signal: AbortSignal; abort(): void; dispose(): void } {
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(client.reason);
  client.addEventListener('abort', onClientAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException('the attempt timed out', 'TimeoutError')),
    timeoutMs,
  );
  timer.unref();
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    dispose() {
      clearTimeout(timer);
      client.removeEventListener('abort', onClientAbort);
    },
  };
}
