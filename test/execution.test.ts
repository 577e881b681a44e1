/**
 * The execution engine under injected faults, over real HTTP: failover, retry limits and
 * budget, circuit breakers opening and closing, what the client sees for each fault kind (a
 * stream never ends as a fake success), exactly one ledger record per request, latency-aware
 * balancing, the priority queue, deadlines and active health checks.
 */

import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { type Harness, startHarness } from './helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PRICING = { input_per_mtok: 1, output_per_mtok: 2 };

function twoDeployments(url: string, extra: Partial<ConfigInput> = {}): ConfigInput {
  return {
    providers: {
      mock: { type: 'openai', base_url: `${url}/v1`, api_key: 'sk-mock-0123456789abcdef', timeout_ms: 2_000 },
    },
    models: {
      m: {
        pricing: PRICING,
        deployments: [
          { provider: 'mock', model: 'primary', weight: 1 },
          { provider: 'mock', model: 'fallback', weight: 1 },
        ],
      },
    },
    ...extra,
  };
}

async function post(url: string, body: object, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

describe('failover under a 50% failing primary', () => {
  it('2,000 requests at 200 concurrency all succeed, within the retry limit and budget', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) => twoDeployments(url),
      mock: {
        models: {
          primary: {
            faults: [
              { kind: 'http_500', rate: 0.15 },
              { kind: 'http_503', rate: 0.12 },
              { kind: 'reset_before_headers', rate: 0.12 },
              { kind: 'malformed_json', rate: 0.1 },
              { kind: 'http_429', rate: 0.12, retry_after_s: 5 },
            ],
          },
        },
      },
    });
    const url = h.url;
    let next = 0;
    const statuses: number[] = [];
    const ids: string[] = [];
    const worker = async () => {
      while (next < 2000) {
        const i = next++;
        const r = await post(url, { model: 'm', messages: [{ role: 'user', content: `request ${i}` }] });
        statuses.push(r.status);
        ids.push(r.headers.get('x-switchyard-request-id')!);
      }
    };
    await Promise.all(Array.from({ length: 200 }, worker));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    await h.gateway.ledger.flush();
    expect(await h.gateway.ledger.count()).toBe(2000);
    let attempts = 0;
    let maxAttempts = 0;
    for (const id of ids) {
      const record = (await h.gateway.ledger.get(id))!;
      expect(record.status).toBe('ok');
      attempts += record.attempts.length;
      maxAttempts = Math.max(maxAttempts, record.attempts.length);
      // Never the same deployment twice in a row while another exists.
      for (let i = 1; i < record.attempts.length; i++) {
        expect(record.attempts[i]!.deployment).not.toBe(record.attempts[i - 1]!.deployment);
      }
      // Failed attempts cost nothing; the answer is billed once.
      expect(record.attempts.filter((a) => a.status === 'ok')).toHaveLength(1);
    }
    expect(maxAttempts).toBeLessThanOrEqual(3); // 1 + max_retries
    const retryRatio = (attempts - 2000) / 2000;
    expect(retryRatio).toBeLessThanOrEqual(0.2);
    expect(h.gateway.queue().retryBudget.refused).toBe(0);
    // The primary's circuit opened along the way.
    const primary = h.gateway.circuits().find((c) => c.deployment === 'm@mock');
    expect(primary?.openings).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

describe('every deployment down', () => {
  it('fails fast with ROUTE_EXHAUSTED listing each attempt, opens circuits, and recovers through half-open probes', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) => ({
        ...twoDeployments(url),
        execution: { circuit_breaker: { consecutive_failures: 3, open_ms: 300, half_open_probes: 1 } },
      }),
      mock: {
        models: { primary: { faults: [{ kind: 'http_503' }] }, fallback: { faults: [{ kind: 'http_500' }] } },
      },
    });
    const first = await post(h.url, { model: 'm', messages: [{ role: 'user', content: 'hello' }] });
    expect(first.status).toBe(502);
    const error = first.json().error;
    expect(error.code).toBe('ROUTE_EXHAUSTED');
    expect(error.details.attempts).toHaveLength(3);
    // Both deployments tried, then the one that did not fail last: never the same twice in a row.
    const tried = error.details.attempts.map(
      (a: { deployment: string; code: string }) => `${a.deployment} ${a.code}`,
    );
    expect(new Set(tried.slice(0, 2)).size).toBe(2);
    expect(tried[2]).toBe(tried[0]);
    expect(tried).toEqual(expect.arrayContaining(['m@mock MODEL_UNAVAILABLE', 'm@mock#2 MODEL_ERROR']));
    // Keep failing until both circuits are open.
    for (let i = 0; i < 3; i++)
      await post(h.url, { model: 'm', messages: [{ role: 'user', content: 'hello' }] });
    expect(h.gateway.circuits().map((c) => c.state)).toEqual(['open', 'open']);
    const before = h.mock.requests.length;
    const started = Date.now();
    const fast = await post(h.url, { model: 'm', messages: [{ role: 'user', content: 'hello' }] });
    expect(Date.now() - started).toBeLessThan(100);
    expect(fast.status).toBe(503);
    expect(fast.json().error.code).toBe('ROUTE_EXHAUSTED');
    expect(fast.json().error.details.skipped).toEqual([
      { deployment: 'm@mock', reason: 'circuit open' },
      { deployment: 'm@mock#2', reason: 'circuit open' },
    ]);
    expect(h.mock.requests.length).toBe(before); // nothing reached the upstream
    const admin = (await (await fetch(`${h.url}/admin/circuits`)).json()) as {
      circuits: { state: string }[];
    };
    expect(admin.circuits.map((c) => c.state)).toEqual(['open', 'open']);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_circuit_state\{[^}]*deployment="m@mock"[^}]*\} 2/); // 2 = open

    // The upstream recovers; after the open period, probes close the circuits.
    h.mock.setModelProfile('primary', {});
    h.mock.setModelProfile('fallback', {});
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    for (let i = 0; i < 4; i++) {
      const r = await post(h.url, { model: 'm', messages: [{ role: 'user', content: 'hello again' }] });
      expect(r.status).toBe(200);
    }
    expect(h.gateway.circuits().map((c) => c.state)).toEqual(['closed', 'closed']);
    const health = (await (await fetch(`${h.url}/health`)).json()) as { open_circuits: string[] };
    expect(health.open_circuits).toEqual([]);
  }, 30_000);
});

describe('what the client sees for each fault (one deployment, no retries)', () => {
  const single = (url: string): ConfigInput => ({
    providers: { mock: { type: 'openai', base_url: `${url}/v1`, timeout_ms: 500 } },
    models: { m: { pricing: PRICING, deployments: [{ provider: 'mock', model: 'solo' }] } },
    execution: { max_retries: 0 },
  });

  const nonStream: [string, number, string][] = [
    ['http_500', 502, 'MODEL_ERROR'],
    ['http_502', 502, 'MODEL_ERROR'],
    ['http_503', 503, 'MODEL_UNAVAILABLE'],
    ['http_429', 429, 'RATE_LIMIT_EXCEEDED'],
    ['reset_before_headers', 503, 'MODEL_UNAVAILABLE'],
    ['hang', 504, 'TIMEOUT'],
    ['malformed_json', 502, 'INVALID_RESPONSE'],
    ['non_json', 502, 'INVALID_RESPONSE'],
  ];
  it.each(nonStream)(
    'non-stream %s → %i %s, one ledger record with the failed attempt',
    async (fault, status, code) => {
      h = await startHarness({ storage: 'memory', config: single });
      const r = await post(h.url, {
        model: 'm',
        messages: [{ role: 'user', content: `hi [[mock:fault=${fault}]]` }],
      });
      expect(r.status).toBe(status);
      expect(r.json().error.code).toBe(code);
      if (fault === 'http_429') expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      await h.gateway.ledger.flush();
      const record = await h.gateway.ledger.get(r.headers.get('x-switchyard-request-id')!);
      expect(record).toMatchObject({ status: 'error', errorCode: code, costNanos: 0 });
      expect(record!.attempts).toEqual([expect.objectContaining({ status: 'error', errorCode: code })]);
      expect(await h.gateway.ledger.count()).toBe(1);
    },
  );

  it('connection refused → 503 MODEL_UNAVAILABLE, recorded once', async () => {
    h = await startHarness({
      storage: 'memory',
      config: () => ({
        providers: { dead: { type: 'openai', base_url: 'http://127.0.0.1:9/v1' } },
        models: { m: { pricing: PRICING, deployments: [{ provider: 'dead', model: 'x' }] } },
        execution: { max_retries: 0 },
      }),
    });
    const r = await post(h.url, { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.status).toBe(503);
    expect(r.json().error).toMatchObject({ code: 'MODEL_UNAVAILABLE', details: { reason: 'ECONNREFUSED' } });
    await h.gateway.ledger.flush();
    expect(await h.gateway.ledger.count()).toBe(1);
  });

  it('missing usage: the answer succeeds and the ledger holds estimated tokens', async () => {
    h = await startHarness({ storage: 'memory', config: single });
    const r = await post(h.url, {
      model: 'm',
      messages: [{ role: 'user', content: 'hi [[mock:fault=missing_usage]]' }],
    });
    expect(r.status).toBe(200);
    await h.gateway.ledger.flush();
    const record = await h.gateway.ledger.get(r.headers.get('x-switchyard-request-id')!);
    expect(record).toMatchObject({ status: 'ok', usageEstimated: true });
    expect(record!.inputTokens).toBeGreaterThan(0);
    expect(record!.outputTokens).toBeGreaterThan(0);
    expect(record!.costNanos).toBeGreaterThan(0);
  });

  const streamFaults: [string, string][] = [
    ['sse_cut', 'MODEL_ERROR'],
    ['no_finish', 'INVALID_RESPONSE'],
    ['inband_error', 'MODEL_ERROR'],
    ['reset_after_bytes', 'MODEL_ERROR'],
  ];
  it.each(streamFaults)(
    'stream %s after commit → an explicit error event, no [DONE], billed for what was generated',
    async (fault, code) => {
      h = await startHarness({ storage: 'memory', config: single, mock: { profile: { output_tokens: 60 } } });
      const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const directive =
        fault === 'reset_after_bytes' ? `${fault}:400` : fault === 'no_finish' ? fault : `${fault}:10`;
      const raw = await post(h.url, {
        model: 'm',
        stream: true,
        messages: [{ role: 'user', content: `tell me a story [[mock:fault=${directive}]]` }],
      });
      expect(raw.status).toBe(200);
      expect(raw.text).toContain('"error"');
      expect(raw.text).toContain(code);
      expect(raw.text).not.toContain('[DONE]');
      expect(raw.text).not.toMatch(/"finish_reason":"stop"/);
      // The official client raises instead of returning a truncated answer.
      const stream = await client.chat.completions.create({
        model: 'm',
        stream: true,
        messages: [{ role: 'user', content: `tell me a story [[mock:fault=${directive}]]` }],
      });
      let text = '';
      await expect(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        })(),
      ).rejects.toThrow();
      expect(text.length).toBeGreaterThan(0);
      await h.gateway.ledger.flush();
      expect(await h.gateway.ledger.count()).toBe(2);
      const record = await h.gateway.ledger.get(raw.headers.get('x-switchyard-request-id')!);
      expect(record).toMatchObject({ status: 'error', errorCode: code, stream: true });
      expect(record!.outputTokens).toBeGreaterThan(0);
      expect(record!.costNanos).toBeGreaterThan(0);
      expect(record!.attempts).toHaveLength(1);
      // Billed for what was generated: the gateway's count of the tokens it relayed is close to
      // what the upstream says it served, and the cost is those tokens at the model's prices.
      const served = h.mock.invoice[0]!;
      expect(record!.outputTokens).toBeGreaterThanOrEqual(Math.floor(served.outputTokens / 2));
      expect(record!.outputTokens).toBeLessThanOrEqual(served.outputTokens * 2 + 2);
      expect(record!.costNanos).toBe(Math.round(record!.inputTokens * 1000 + record!.outputTokens * 2000));
    },
  );

  it('a stream that fails before its first token falls back invisibly to another deployment', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) => twoDeployments(url, { load_balancer: { strategy: 'round-robin' } }),
      mock: { models: { primary: { faults: [{ kind: 'sse_cut', after_tokens: 0 }] } } },
    });
    for (let i = 0; i < 4; i++) {
      const r = await post(h.url, {
        model: 'm',
        stream: true,
        messages: [{ role: 'user', content: `hi ${i}` }],
      });
      expect(r.status).toBe(200);
      expect(r.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect(r.text).not.toContain('"error"');
    }
  });

  it('missing usage in a stream: success with estimated usage', async () => {
    h = await startHarness({ storage: 'memory', config: single });
    const r = await post(h.url, {
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi [[mock:fault=missing_usage]]' }],
    });
    expect(r.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(r.text).toMatch(/"usage":\{"prompt_tokens":\d+/);
    await h.gateway.ledger.flush();
    const record = await h.gateway.ledger.get(r.headers.get('x-switchyard-request-id')!);
    expect(record).toMatchObject({ status: 'ok', usageEstimated: true });
  });

  it('a slow trickle still completes', async () => {
    h = await startHarness({ storage: 'memory', config: single, mock: { profile: { output_tokens: 5 } } });
    const r = await post(h.url, {
      model: 'm',
      stream: true,
      messages: [{ role: 'user', content: 'hi [[mock:fault=slow_trickle:30]]' }],
    });
    expect(r.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a hanging upstream is cut by the request deadline, whatever the retries', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) => ({
        ...twoDeployments(url),
        server: { request_timeout_ms: 600 },
        providers: { mock: { type: 'openai', base_url: `${url}/v1`, timeout_ms: 10_000 } },
      }),
      mock: { models: { primary: { faults: [{ kind: 'hang' }] }, fallback: { faults: [{ kind: 'hang' }] } } },
    });
    const started = Date.now();
    const r = await post(h.url, { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(r.status).toBe(504);
    expect(r.json().error.code).toBe('TIMEOUT');
  });
});

describe('hedging', () => {
  it('sends a second attempt after the threshold; the first answer wins and the loser is cancelled and billed', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) =>
        twoDeployments(url, {
          routes: { hedged: { strategy: 'direct', model: 'm', hedge_after_ms: 100 } },
          load_balancer: { strategy: 'round-robin' },
        }),
      mock: { models: { primary: { latency_ms: 1_000 }, fallback: { latency_ms: 20 } } },
    });
    const started = Date.now();
    const r = await post(h.url, { model: 'hedged', messages: [{ role: 'user', content: 'race me' }] });
    const took = Date.now() - started;
    expect(r.status).toBe(200);
    expect(took).toBeLessThan(600);
    expect(r.headers.get('x-switchyard-attempts')).toBe('2');
    await h.gateway.ledger.flush();
    const record = (await h.gateway.ledger.get(r.headers.get('x-switchyard-request-id')!))!;
    expect(record.deployment).toBe('m@mock#2');
    const [loser, winner] = record.attempts;
    expect(loser).toMatchObject({ deployment: 'm@mock', status: 'cancelled', outputTokens: 0 });
    expect(loser!.inputTokens).toBeGreaterThan(0);
    expect(loser!.costNanos).toBeGreaterThan(0);
    expect(winner).toMatchObject({ deployment: 'm@mock#2', status: 'ok' });
    expect(record.costNanos).toBe(loser!.costNanos + winner!.costNanos);
  });
});

describe('balancing, queueing and health', () => {
  it('lowest-latency sends most traffic to the faster deployment and shifts when they swap', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) => twoDeployments(url, { load_balancer: { strategy: 'lowest-latency' } }),
      mock: { models: { primary: { latency_ms: 20 }, fallback: { latency_ms: 200 } } },
    });
    const count = async (n: number) => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        await post(h!.url, { model: 'm', messages: [{ role: 'user', content: `q${i}` }] });
        const model = (h!.mock.requests.at(-1)!.body as { model: string }).model;
        seen[model] = (seen[model] ?? 0) + 1;
      }
      return seen;
    };
    const before = await count(30);
    expect(before.primary ?? 0).toBeGreaterThanOrEqual(25);
    h.mock.setModelProfile('primary', { latency_ms: 200 });
    h.mock.setModelProfile('fallback', { latency_ms: 20 });
    const after = await count(30);
    expect(after.fallback ?? 0).toBeGreaterThanOrEqual(20);
  }, 30_000);

  it('queues requests over max_concurrency by priority, and times out the queue', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) => ({
        providers: { mock: { type: 'openai', base_url: `${url}/v1` } },
        models: {
          m: {
            pricing: PRICING,
            deployments: [{ provider: 'mock', model: 'slow', limits: { max_concurrency: 1 } }],
          },
        },
        execution: { queue_timeout_ms: 1_500 },
      }),
      mock: { models: { slow: { latency_ms: 150 } } },
    });
    const order: string[] = [];
    const send = (name: string, priority: number) =>
      post(
        h!.url,
        { model: 'm', messages: [{ role: 'user', content: name }] },
        { 'x-switchyard-priority': String(priority) },
      ).then((r) => {
        order.push(name);
        return r;
      });
    const first = send('first', 0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const low = send('low', 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const high = send('high', 9);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const queue = (await (await fetch(`${h.url}/admin/queue`)).json()) as { depth: number };
    expect(queue.depth).toBe(2);
    const results = await Promise.all([first, low, high]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(order).toEqual(['first', 'high', 'low']);
    // Ten at once with a 1.5 s queue timeout and 150 ms each: the tail waits too long.
    const burst = await Promise.all(Array.from({ length: 14 }, (_, i) => send(`b${i}`, 0)));
    const timedOut = burst.filter((r) => r.status === 503);
    expect(timedOut.length).toBeGreaterThan(0);
    expect(timedOut[0]!.json().error.code).toBe('SERVICE_UNAVAILABLE');
  }, 30_000);

  it('active health checks open the circuit of a dead deployment and traffic avoids it', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) => ({
        providers: {
          mock: { type: 'openai', base_url: `${url}/v1` },
          dead: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', timeout_ms: 300 },
        },
        models: {
          m: {
            pricing: PRICING,
            deployments: [
              { provider: 'dead', model: 'x' },
              { provider: 'mock', model: 'alive' },
            ],
          },
        },
        load_balancer: {
          strategy: 'round-robin',
          health_check_interval: 0.05,
          max_failures: 2,
          timeout: 0.2,
        },
      }),
    });
    for (
      let i = 0;
      i < 100 && h.gateway.circuits().find((c) => c.deployment === 'm@dead')?.state !== 'open';
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const dead = h.gateway.circuits().find((c) => c.deployment === 'm@dead');
    expect(dead?.state).toBe('open');
    expect(dead?.lastTransition?.reason).toMatch(/health check failed/);
    const probes = h.gateway.probes();
    expect(probes.find((p) => p.deployment === 'm@mock')?.healthy).toBe(true);
    for (let i = 0; i < 4; i++) {
      const r = await post(h.url, { model: 'm', messages: [{ role: 'user', content: `q${i}` }] });
      expect(r.status).toBe(200);
      expect(Number(r.headers.get('x-switchyard-attempts'))).toBe(1);
    }
  });
});

describe('what is worth retrying', () => {
  it('does not go back to a deployment that answered "model not found"', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) => ({
        providers: { mock: { type: 'openai', base_url: `${url}/v1` } },
        models: { m: { pricing: PRICING, deployments: [{ provider: 'mock', model: 'gone' }] } },
      }),
      mock: { models: { gone: { faults: [{ kind: 'http_500', status: 404 }] } } },
    });
    const r = await post(h.url, { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.json().error.code).toBe('MODEL_UNAVAILABLE');
    expect(h.mock.requests).toHaveLength(1);
  });

  it('goes back to the only deployment after a transient 503, up to max_retries', async () => {
    h = await startHarness({
      storage: 'memory',
      config: (url) => ({
        providers: { mock: { type: 'openai', base_url: `${url}/v1` } },
        models: { m: { pricing: PRICING, deployments: [{ provider: 'mock', model: 'busy' }] } },
      }),
      mock: { models: { busy: { faults: [{ kind: 'http_503' }] } } },
    });
    const r = await post(h.url, { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.json().error.code).toBe('ROUTE_EXHAUSTED');
    expect(h.mock.requests).toHaveLength(3);
  });
});

describe("a provider's max_connections", () => {
  /** An OpenAI-protocol upstream that answers after `delayMs` and counts its open connections. */
  async function countingUpstream(delayMs: number) {
    const { createServer } = await import('node:http');
    const seen = { open: 0, most: 0, opened: 0, prompts: [] as string[] };
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const { model, messages } = JSON.parse(body) as { model: string; messages: { content: string }[] };
        seen.prompts.push(messages[0]!.content);
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'chatcmpl-counted',
              object: 'chat.completion',
              created: 1,
              model,
              choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
            }),
          );
        }, delayMs);
      });
    });
    server.on('connection', (socket) => {
      seen.open++;
      seen.opened++;
      seen.most = Math.max(seen.most, seen.open);
      socket.on('close', () => seen.open--);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      seen,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  function cappedConfig(url: string, maxConnections?: number): ConfigInput {
    return {
      providers: {
        capped: {
          type: 'openai',
          base_url: `${url}/v1`,
          api_key: 'sk-capped-0123456789abcdef',
          ...(maxConnections === undefined ? {} : { max_connections: maxConnections }),
        },
      },
      models: { m: { pricing: PRICING, deployments: [{ provider: 'capped', model: 'm' }] } },
    };
  }

  it('caps the connections to the provider: 12 concurrent requests over 2 connections, all answered', async () => {
    const upstream = await countingUpstream(60);
    try {
      h = await startHarness({ storage: 'memory', config: () => cappedConfig(upstream.url, 2) });
      const replies = await Promise.all(
        Array.from({ length: 12 }, () =>
          post(h!.url, { model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(12).fill(200));
      expect(upstream.seen.most).toBeLessThanOrEqual(2);
      expect(upstream.seen.opened).toBeLessThanOrEqual(2);
      // Queued behind two connections, 12 answers of 60 ms take six turns.
      expect(replies.every((r) => r.json().choices[0].message.content === 'ok')).toBe(true);
    } finally {
      await upstream.close();
    }
  });

  it('a request queued for a connection whose client leaves never reaches the provider, and is recorded once as cancelled', async () => {
    const upstream = await countingUpstream(400);
    try {
      h = await startHarness({ storage: 'memory', config: () => cappedConfig(upstream.url, 1) });
      const ask = (content: string, stream: boolean, signal?: AbortSignal) =>
        fetch(`${h!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content }] }),
          ...(signal === undefined ? {} : { signal }),
        });
      const first = ask('first', false);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Both wait behind `first` for the one connection; their clients give up meanwhile.
      const leaving = [new AbortController(), new AbortController()];
      const queued = [
        ask('queued', false, leaving[0]!.signal).catch((e: unknown) => e),
        ask('queued-stream', true, leaving[1]!.signal).catch((e: unknown) => e),
      ];
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const controller of leaving) controller.abort();
      await Promise.all(queued);
      const answered = await first;
      expect(answered.status).toBe(200);
      await answered.text();
      // Long enough for a queued request to have gone out on the freed connection.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(upstream.seen.prompts).toEqual(['first']);
      await h.gateway.ledger.flush();
      expect(await h.gateway.ledger.count()).toBe(3);
      const statuses = (await h.gateway.ledger.query({})).map((record) => record.status).sort();
      expect(statuses).toEqual(['cancelled', 'cancelled', 'ok']);
    } finally {
      await upstream.close();
    }
  });

  it('without it, the same requests open as many connections as they need', async () => {
    const upstream = await countingUpstream(60);
    try {
      h = await startHarness({ storage: 'memory', config: () => cappedConfig(upstream.url) });
      const replies = await Promise.all(
        Array.from({ length: 12 }, () =>
          post(h!.url, { model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(12).fill(200));
      expect(upstream.seen.most).toBeGreaterThan(2);
    } finally {
      await upstream.close();
    }
  });
});
