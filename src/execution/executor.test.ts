/**
 * The executor's selection and failover over a real HTTP upstream: which deployment each attempt
 * of a run goes to (untried ones first, never the one that just failed while another exists),
 * when an attempt starts and what its latency covers, and deployments passed over because their
 * half-open circuit has no probe slot left.
 */

import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import { ClientAbort } from '../core/cancellation.js';
import type { ChatRequest } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import { adapterFor } from '../providers/index.js';
import { createRegistry, type Registry } from '../registry/registry.js';
import type { RoutePlan } from '../routing/plan.js';
import { type CircuitBreakers, createCircuitBreakers, DEFAULT_CIRCUIT_OPTIONS } from './circuit-breaker.js';
import { createDeploymentStats } from './deployment-stats.js';
import { createExecutor, type ExecutionContext, type Executor } from './executor.js';
import { createLoadBalancer } from './load-balancer.js';
import { createPriorityQueues } from './priority-queue.js';
import { createRetryBudget } from './retry.js';
import { createUpstreamClient, type UpstreamClient } from './upstream-client.js';

/** What the upstream answers next for each upstream model: a status, and a delay before it. */
const script = new Map<string, { status: number; delayMs?: number }[]>();
/** Upstream models in the order their requests arrived, and when. */
const arrivals: { model: string; at: number }[] = [];

function answer(model: string): string {
  return JSON.stringify({
    id: `chatcmpl-${model}`,
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: `from ${model}` }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2 },
  });
}

const server: Server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const model = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string }).model;
    arrivals.push({ model, at: Date.now() });
    const next = script.get(model)?.shift() ?? { status: 200 };
    setTimeout(() => {
      if (next.status === 200) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(answer(model));
      } else {
        res.writeHead(next.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'try again', type: 'server_error' } }));
      }
    }, next.delayMs ?? 0);
  });
});
let origin = '';
const clients: UpstreamClient[] = [];

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
afterEach(() => {
  script.clear();
  arrivals.length = 0;
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await new Promise((resolve) => server.close(resolve));
});

/** A registry with model `m` served by one deployment per upstream model named. */
function registryOf(upstreamModels: string[]): Registry {
  const { config } = parseConfigObject(
    {
      providers: { up: { type: 'openai', base_url: `${origin}/v1`, api_key: 'sk-test', timeout_ms: 5_000 } },
      models: {
        m: {
          pricing: { input_per_mtok: 1, output_per_mtok: 2 },
          deployments: upstreamModels.map((model) => ({ provider: 'up', model })),
        },
      },
    },
    { source: 'executor test' },
  );
  return createRegistry(config, {
    adapterFor,
    defaultBaseUrl: () => undefined,
    simulatorUrl: () => undefined,
  }).registry;
}

function setup(upstreamModels: string[], breakers: CircuitBreakers = createCircuitBreakers()) {
  const registry = registryOf(upstreamModels);
  const stats = createDeploymentStats();
  const client = createUpstreamClient();
  clients.push(client);
  const executor: Executor = createExecutor({
    registry,
    client,
    // Every deployment costs the same: the balancer always takes the first eligible one, so
    // where an attempt goes is decided by what the run excludes and avoids.
    balancer: createLoadBalancer('lowest-cost', { stats }),
    breakers,
    stats,
    queues: createPriorityQueues(),
    retry: { maxRetries: 3, baseMs: 1, capMs: 5 },
    budget: createRetryBudget(1, 10),
    queueTimeoutMs: 1_000,
    streamCommitMs: 0,
  });
  const idOf = (upstreamModel: string) =>
    registry.get('m')!.deployments.find((d) => d.target.model === upstreamModel)!.id;
  return { executor, breakers, idOf };
}

const PLAN: RoutePlan = { kind: 'sequence', strategy: 'test', reason: 'test', attempts: [{ model: 'm' }] };
const REQUEST: ChatRequest = {
  model: 'm',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'What is 2+2?' }] }],
  stream: false,
};

function context(): ExecutionContext {
  const cancel = new ClientAbort();
  return {
    requestId: 'r',
    get signal() {
      return cancel.signal;
    },
    cancel,
    deadline: Date.now() + 10_000,
    trace: { attempts: [] },
  };
}

describe('executor: selection and failover', () => {
  it('serves from a single deployment; the attempt starts before its request is sent and its latency covers the answer', async () => {
    const { executor, idOf } = setup(['solo']);
    script.set('solo', [{ status: 200, delayMs: 60 }]);
    const ctx = context();
    const before = Date.now();
    const result = await executor.chat(REQUEST, PLAN, ctx);
    const after = Date.now();
    expect(result.choices[0]?.message.content).toEqual([{ type: 'text', text: 'from solo' }]);
    expect(ctx.trace.attempts).toHaveLength(1);
    const [outcome] = ctx.trace.attempts;
    expect(outcome?.deployment.id).toBe(idOf('solo'));
    expect(outcome?.status).toBe('ok');
    expect(outcome?.startedAt).toBeGreaterThanOrEqual(before);
    expect(outcome?.startedAt).toBeLessThanOrEqual(arrivals[0]!.at);
    expect(outcome?.latencyMs).toBeGreaterThanOrEqual(55);
    expect(outcome!.startedAt + outcome!.latencyMs).toBeLessThanOrEqual(after);
    expect(ctx.trace.confidence).toBeGreaterThan(0);
    expect(ctx.trace.skipped).toBeUndefined();
  });

  it('tries every untried deployment before going back to any', async () => {
    const { executor, idOf } = setup(['a', 'b', 'c']);
    for (const model of ['a', 'b', 'c']) script.set(model, [{ status: 503 }]);
    const ctx = context();
    const result = await executor.chat(REQUEST, PLAN, ctx);
    // The second pass goes back to a failed one, but not to the one that failed last.
    expect(ctx.trace.attempts.map((a) => a.deployment.id)).toEqual([
      idOf('a'),
      idOf('b'),
      idOf('c'),
      idOf('a'),
    ]);
    expect(arrivals.map((a) => a.model)).toEqual(['a', 'b', 'c', 'a']);
    expect(result.id).toBe('chatcmpl-a');
    expect(ctx.trace.attempts.map((a) => a.status)).toEqual(['error', 'error', 'error', 'ok']);
    for (const attempt of ctx.trace.attempts.slice(1)) {
      expect(attempt.startedAt).toBeGreaterThanOrEqual(ctx.trace.attempts[0]!.startedAt);
    }
  });

  it('goes back to the only deployment after a transient failure', async () => {
    const { executor, idOf } = setup(['solo']);
    script.set('solo', [{ status: 503 }, { status: 503 }]);
    const ctx = context();
    await executor.chat(REQUEST, PLAN, ctx);
    expect(ctx.trace.attempts.map((a) => a.deployment.id)).toEqual([
      idOf('solo'),
      idOf('solo'),
      idOf('solo'),
    ]);
    expect(arrivals.map((a) => a.model)).toEqual(['solo', 'solo', 'solo']);
  });

  it('does not go back to a deployment whose answer will not change, and stops when none is left', async () => {
    const { executor, idOf } = setup(['a', 'b']);
    script.set('a', [{ status: 404 }]);
    script.set('b', [{ status: 404 }]);
    const ctx = context();
    const error = await executor.chat(REQUEST, PLAN, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    // Each once ("model not found" may pass elsewhere, never on the same deployment).
    expect(ctx.trace.attempts.map((a) => a.deployment.id)).toEqual([idOf('a'), idOf('b')]);
    expect(arrivals.map((a) => a.model)).toEqual(['a', 'b']);
  });

  it('passes over a half-open deployment whose probe slots are taken, and says so', async () => {
    const breakers = createCircuitBreakers({ ...DEFAULT_CIRCUIT_OPTIONS, openMs: 1, halfOpenProbes: 1 });
    const single = setup(['solo'], breakers);
    const busyProbe = (id: string) => {
      breakers.get(id).force('open', 'test');
      const until = Date.now() + 5;
      while (Date.now() < until) {
        // the open period (1 ms) passes
      }
      expect(breakers.get(id).tryAcquire()).toBeDefined();
      expect(breakers.get(id).state).toBe('half_open');
    };
    busyProbe(single.idOf('solo'));
    const alone = context();
    const error = await single.executor.chat(REQUEST, PLAN, alone).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('ROUTE_EXHAUSTED');
    expect(alone.trace.skipped).toEqual([
      { deployment: single.idOf('solo'), reason: 'circuit half-open, probes in flight' },
    ]);
    expect(arrivals).toHaveLength(0);

    const pair = setup(['a', 'b'], breakers);
    busyProbe(pair.idOf('a'));
    for (let i = 0; i < 3; i++) {
      const ctx = context();
      await pair.executor.chat(REQUEST, PLAN, ctx);
      expect(ctx.trace.attempts.map((a) => a.deployment.id)).toEqual([pair.idOf('b')]);
      expect(ctx.trace.skipped).toEqual([
        { deployment: pair.idOf('a'), reason: 'circuit half-open, probes in flight' },
      ]);
    }
    expect(arrivals.map((a) => a.model)).toEqual(['b', 'b', 'b']);
  });
});
