/**
 * @module execution/executor
 * Carries out a RoutePlan: for each step, the load balancer picks a deployment, the adapter
 * builds the upstream request, the upstream client sends it, the adapter parses the answer.
 * A retryable failure moves on to another deployment or the next step; a non-retryable one ends
 * the request. Streams are committed to the client only once the first content arrives, so a
 * failure before that falls back invisibly; after it, failures become an explicit error part,
 * and a stream that ends without a finish reason is an error, never a silent success.
 */

import type { ChatRequest, ChatResult, EmbeddingRequest, EmbeddingResult, StreamPart } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import type { FinishReason } from '../core/finish-reason.js';
import type { Usage } from '../core/usage.js';
import { createNdjsonParser } from '../providers/shared/ndjson-parser.js';
import { createSseParser } from '../providers/shared/sse-parser.js';
import type { StreamEvent } from '../providers/spec.js';
import type { Deployment, ModelEntry, Registry } from '../registry/registry.js';
import type { RoutePlan } from '../routing/plan.js';
import type { LoadBalancer } from './load-balancer.js';
import { isAbort, transportError } from './transport-error.js';
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
}

/** Everything the accounting step needs to know about how a request was served. */
export interface ExecutionTrace {
  attempts: AttemptOutcome[];
  /** The model and deployment whose answer the client got (or that was tried last). */
  model?: ModelEntry;
  deployment?: Deployment;
  ttftMs?: number;
}

export interface ExecutionContext {
  requestId: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Epoch ms by which the whole request must be done. */
  deadline: number;
  trace: ExecutionTrace;
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
  now?: () => number;
}

const MAX_ERROR_BODY = 64 * 1024;

async function readText(body: AsyncIterable<Buffer> & { text(): Promise<string> }, limit = MAX_ERROR_BODY) {
  let text = '';
  for await (const chunk of body) {
    if (text.length < limit) text += chunk.toString('utf8');
  }
  return text.length > limit ? text.slice(0, limit) : text;
}

function attemptSignal(context: ExecutionContext): AbortSignal {
  const remaining = context.deadline - Date.now();
  return AbortSignal.any([context.signal, AbortSignal.timeout(Math.max(1, remaining))]);
}

function isContentPart(part: StreamPart): boolean {
  return part.type !== 'start' && part.type !== 'usage';
}

export function createExecutor(options: ExecutorOptions): Executor {
  const { registry, client, balancer } = options;
  const now = options.now ?? Date.now;
  const running = new Map<string, number>();
  const enter = (id: string) => running.set(id, (running.get(id) ?? 0) + 1);
  const leave = (id: string) => running.set(id, (running.get(id) ?? 1) - 1);

  /** Yields deployments to try, in plan order, each at most once per request. */
  function* candidates(plan: RoutePlan): Generator<{ model: ModelEntry; deployment: Deployment }> {
    const steps = plan.kind === 'sequence' ? plan.attempts : plan.members;
    const tried = new Set<string>();
    for (const step of steps) {
      const model = registry.get(step.model);
      if (!model) continue;
      if (step.deployment !== undefined) {
        const pinned = model.deployments.find((d) => d.id === step.deployment);
        if (pinned && !tried.has(pinned.id)) {
          tried.add(pinned.id);
          yield { model, deployment: pinned };
        }
        continue;
      }
      for (;;) {
        const deployment = balancer.pick(model, tried);
        if (!deployment) break;
        tried.add(deployment.id);
        yield { model, deployment };
      }
    }
  }

  function failure(context: ExecutionContext, lastError: GatewayError | undefined): GatewayError {
    const failed = context.trace.attempts.filter((a) => a.error);
    if (context.signal.aborted) return new GatewayError('TIMEOUT', 'client closed the request');
    if (failed.length <= 1 && lastError) return lastError;
    if (failed.length === 0) {
      return new GatewayError('MODEL_UNAVAILABLE', 'no deployment is available for this request');
    }
    return new GatewayError('ROUTE_EXHAUSTED', `all ${failed.length} attempts failed`, {
      details: {
        attempts: failed.map((a) => ({
          model: a.model.name,
          deployment: a.deployment.id,
          code: a.error?.code,
          message: a.error?.message,
          status: a.error?.status,
        })),
      },
    });
  }

  function deadlineError(context: ExecutionContext): GatewayError | undefined {
    if (now() < context.deadline) return undefined;
    return new GatewayError('TIMEOUT', 'the request deadline passed before an upstream answered');
  }

  async function sendAndCheck(
    deployment: Deployment,
    build: () => import('../providers/spec.js').HttpRequest,
    signal: AbortSignal,
  ) {
    const httpRequest = build();
    let response: Awaited<ReturnType<UpstreamClient['send']>>;
    try {
      response = await client.send(httpRequest, {
        signal,
        headersTimeoutMs: deployment.timeoutMs,
        bodyTimeoutMs: deployment.timeoutMs,
      });
    } catch (error) {
      throw isAbort(error) ? error : transportError(error, deployment.provider);
    }
    if (response.statusCode >= 400) {
      let body = '';
      try {
        body = await readText(response.body);
      } catch {
        // A body that fails to arrive still leaves the status to classify.
      }
      throw deployment.adapter.classifyError(
        { status: response.statusCode, headers: response.headers, body },
        deployment.target,
      );
    }
    return response;
  }

  async function readJson(deployment: Deployment, response: Awaited<ReturnType<UpstreamClient['send']>>) {
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw isAbort(error) ? error : transportError(error, deployment.provider);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new GatewayError(
        'INVALID_RESPONSE',
        `upstream ${deployment.provider} sent a body that is not JSON`,
        {
          details: { provider: deployment.provider },
        },
      );
    }
  }

  /** Runs `attempt` over the plan's candidates until one succeeds or a non-retryable error. */
  async function runSequence<T>(
    plan: RoutePlan,
    context: ExecutionContext,
    attempt: (
      model: ModelEntry,
      deployment: Deployment,
      signal: AbortSignal,
    ) => Promise<{ value: T; usage?: Usage }>,
  ): Promise<T> {
    let lastError: GatewayError | undefined;
    for (const { model, deployment } of candidates(plan)) {
      const expired = deadlineError(context);
      if (expired) {
        lastError = expired;
        break;
      }
      const outcome: AttemptOutcome = { model, deployment, status: 'ok', startedAt: now(), latencyMs: 0 };
      context.trace.attempts.push(outcome);
      context.trace.model = model;
      context.trace.deployment = deployment;
      enter(deployment.id);
      try {
        const { value, usage } = await attempt(model, deployment, attemptSignal(context));
        outcome.latencyMs = now() - outcome.startedAt;
        if (usage) outcome.usage = usage;
        return value;
      } catch (error) {
        outcome.latencyMs = now() - outcome.startedAt;
        if (context.signal.aborted) {
          outcome.status = 'cancelled';
          throw new GatewayError('TIMEOUT', 'client closed the request');
        }
        const gatewayError = isAbort(error)
          ? new GatewayError('TIMEOUT', 'the request deadline passed', {
              details: { provider: deployment.provider },
            })
          : transportError(error, deployment.provider);
        outcome.status = 'error';
        outcome.error = gatewayError;
        lastError = gatewayError;
        if (!gatewayError.retryable) break;
      } finally {
        leave(deployment.id);
      }
    }
    throw failure(context, lastError);
  }

  return {
    inFlight: (id) => running.get(id) ?? 0,

    chat(request, plan, context) {
      return runSequence(plan, context, async (_model, deployment, signal) => {
        const response = await sendAndCheck(
          deployment,
          () => deployment.adapter.buildChatRequest({ ...request, stream: false }, deployment.target),
          signal,
        );
        const body = await readJson(deployment, response);
        const result = deployment.adapter.parseChatResponse(body, deployment.target);
        return { value: result, usage: result.usage };
      });
    },

    embed(request, plan, context) {
      return runSequence(plan, context, async (model, deployment, signal) => {
        const adapter = deployment.adapter;
        if (!adapter.buildEmbeddingRequest || !adapter.parseEmbeddingResponse) {
          throw new GatewayError('INVALID_REQUEST', `model ${model.name} does not serve embeddings`, {
            details: { field: 'model' },
          });
        }
        const response = await sendAndCheck(
          deployment,
          () => adapter.buildEmbeddingRequest!(request, deployment.target),
          signal,
        );
        const result = adapter.parseEmbeddingResponse(
          await readJson(deployment, response),
          deployment.target,
        );
        return { value: result, usage: result.usage };
      });
    },

    stream(request, plan, context) {
      return runSequence(plan, context, async (model, deployment, signal) => {
        const started = now();
        const upstream = streamAttempt(deployment, request, signal);
        const buffered: StreamPart[] = [];
        // Pull until the first content part: until then a failure can still fall back.
        for (;;) {
          const next = await upstream.next();
          if (next.done) break;
          buffered.push(next.value);
          if (isContentPart(next.value)) break;
        }
        context.trace.ttftMs = now() - started;
        const summary: StreamSummary = { status: 'streaming', outputText: '', finishReasons: [] };
        return { value: { model, deployment, summary, parts: relay(buffered, upstream, context, summary) } };
      });
    },
  };

  async function* streamAttempt(
    deployment: Deployment,
    request: ChatRequest,
    signal: AbortSignal,
  ): AsyncGenerator<StreamPart, void> {
    const response = await sendAndCheck(
      deployment,
      () => deployment.adapter.buildChatRequest({ ...request, stream: true }, deployment.target),
      signal,
    );
    const parser = deployment.adapter.streamFraming === 'ndjson' ? createNdjsonParser() : createSseParser();
    const decoder = deployment.adapter.createStreamDecoder(deployment.target);
    let finished = false;
    const emit = (events: StreamEvent[]): StreamPart[] => {
      const out: StreamPart[] = [];
      for (const event of events) {
        for (const part of decoder.push(event)) {
          if (part.type === 'finish') finished = true;
          if (part.type === 'error') throw part.error;
          out.push(part);
        }
      }
      return out;
    };
    try {
      for await (const chunk of response.body) {
        for (const part of emit(parser.push(chunk as Buffer))) yield part;
      }
    } catch (error) {
      if (error instanceof GatewayError || isAbort(error)) throw error;
      throw new GatewayError('MODEL_ERROR', `upstream ${deployment.provider} stream was cut`, {
        details: {
          provider: deployment.provider,
          reason: (error as { code?: string }).code ?? 'connection lost',
        },
        cause: error,
      });
    }
    const tail = parser.end();
    for (const part of emit(tail.events)) yield part;
    for (const part of decoder.end()) yield part;
    if (!decoder.done && !finished) {
      throw new GatewayError(
        'MODEL_ERROR',
        `upstream ${deployment.provider} stream ended before the message did`,
        {
          details: { provider: deployment.provider, reason: 'stream cut' },
        },
      );
    }
    if (!finished) {
      throw new GatewayError(
        'INVALID_RESPONSE',
        `upstream ${deployment.provider} stream ended without a finish reason`,
        {
          details: { provider: deployment.provider },
        },
      );
    }
  }

  async function* relay(
    buffered: StreamPart[],
    upstream: AsyncGenerator<StreamPart, void>,
    context: ExecutionContext,
    summary: StreamSummary,
  ): AsyncGenerator<StreamPart, void> {
    const attempt = context.trace.attempts[context.trace.attempts.length - 1]!;
    const observe = (part: StreamPart) => {
      if (part.type === 'text-delta' || part.type === 'reasoning-delta' || part.type === 'refusal-delta') {
        summary.outputText += part.text;
      } else if (part.type === 'tool-call-delta') {
        summary.outputText += part.argumentsDelta;
        if (part.name) summary.outputText += part.name;
      } else if (part.type === 'usage') {
        summary.usage = part.usage;
        attempt.usage = part.usage;
      } else if (part.type === 'finish') {
        summary.finishReasons.push(part.finishReason);
      }
    };
    try {
      for (const part of buffered) {
        observe(part);
        yield part;
      }
      for (;;) {
        const next = await upstream.next();
        if (next.done) break;
        observe(next.value);
        yield next.value;
      }
      summary.status = 'ok';
    } catch (error) {
      const cancelled = context.signal.aborted;
      const gatewayError = cancelled
        ? new GatewayError('TIMEOUT', 'client closed the request')
        : isAbort(error)
          ? new GatewayError('TIMEOUT', 'the request deadline passed during the stream')
          : error instanceof GatewayError
            ? error
            : new GatewayError('MODEL_ERROR', 'upstream stream failed', { cause: error });
      summary.status = cancelled ? 'cancelled' : 'error';
      summary.error = gatewayError;
      attempt.status = summary.status;
      attempt.error = gatewayError;
      if (!cancelled) yield { type: 'error', error: gatewayError };
    } finally {
      // Closed early by the consumer (the client went away): that is a cancellation.
      if (summary.status === 'streaming') {
        summary.status = 'cancelled';
        attempt.status = 'cancelled';
      }
      attempt.latencyMs = now() - attempt.startedAt;
      // Release the upstream connection whatever happened.
      await upstream.return(undefined);
    }
  }
}
