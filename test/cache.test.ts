/**
 * The response cache end to end, over real HTTP in front of the mock upstream: a repeated request
 * is answered without calling the upstream, with `x-switchyard-cache: hit`, cost $0 and one
 * ledger record flagged as a hit; tenants never share answers; `no-cache` / `no-store` are
 * honoured; answers expire; a streamed request replays a well-formed stream to the official
 * `openai` client; authentication, rate limits and budgets still apply to hits (the reservation
 * released at $0); the semantic stage serves a near-duplicate only when it is on.
 */

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type ManagedAdmission, managedAdmission } from '../src/admission/create-admission.js';
import type { ConfigInput } from '../src/config/schema.js';
import type { LedgerRecord } from '../src/storage/ports.js';
import { defaultTestConfig, type Harness, startHarness } from './helpers/harness.js';
import { readChatStream } from './helpers/openai-stream.js';

const MASTER = 'sk-master-cache-test-0123456789';
const PROMPT = 'Tell me about switchyards in a few words.';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function start(
  cache: ConfigInput['cache'] = {},
  extra: Partial<ConfigInput> = {},
  storage: 'sqlite' | 'memory' = 'sqlite',
): Promise<Harness> {
  const h = await startHarness({
    config: (url) => ({ ...defaultTestConfig(url), cache: { enabled: true, ...cache }, ...extra }),
    mock: { profile: { output_tokens: 40 } },
    storage,
  });
  harnesses.push(h);
  return h;
}

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  h: Harness,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<Reply> {
  const response = await fetch(`${h.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text) };
}

function chat(h: Harness, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return call(
    h,
    '/v1/chat/completions',
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], max_tokens: 60, ...extra },
    headers,
  );
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Chat calls the upstream actually served. */
const upstreamCalls = (h: Harness) =>
  h.mock.invoice.filter((entry) => entry.endpoint === 'chat.completions').length;

const contentOf = (reply: Reply) =>
  (reply.body.choices as { message: { content: string } }[] | undefined)?.[0]?.message.content;

async function recordOf(h: Harness, reply: Reply): Promise<LedgerRecord> {
  await h.gateway.ledger.flush();
  const id = reply.headers.get('x-switchyard-request-id');
  const record = id === null ? undefined : await h.gateway.ledger.get(id);
  if (record === undefined) throw new Error(`no ledger record for ${id}`);
  return record;
}

async function mint(h: Harness, spec: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const reply = await call(h, '/admin/keys', spec, bearer(MASTER));
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { id: string; key: string };
}

describe('exact cache over HTTP', () => {
  it('answers a repeated request without the upstream, at $0, with one ledger record each', async () => {
    const h = await start();
    const first = await chat(h);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-switchyard-cache')).toBe('miss');
    expect(Number(first.headers.get('x-switchyard-cost-usd'))).toBeGreaterThan(0);
    await h.gateway.cache?.idle();

    const second = await chat(h);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-switchyard-cache')).toBe('hit');
    expect(Number(second.headers.get('x-switchyard-cost-usd'))).toBe(0);
    expect(second.headers.get('x-switchyard-attempts')).toBe('0');
    expect(second.headers.get('x-switchyard-model')).toBe('gpt-4o-mini');
    expect(second.headers.get('x-switchyard-provider')).toBe('mock');
    // The key is never disclosed.
    expect([...second.headers.keys()].filter((name) => name.startsWith('x-switchyard-cache'))).toEqual([
      'x-switchyard-cache',
    ]);
    expect(upstreamCalls(h)).toBe(1);
    expect(contentOf(second)).toBe(contentOf(first));
    expect(second.body.usage).toEqual(first.body.usage);
    expect(second.body.id).not.toBe(first.body.id);

    const missed = await recordOf(h, first);
    const hit = await recordOf(h, second);
    expect(missed).toMatchObject({ cacheHit: false, status: 'ok' });
    expect(missed.costNanos).toBeGreaterThan(0);
    expect(hit).toMatchObject({
      cacheHit: true,
      status: 'ok',
      costNanos: 0,
      inputTokens: 0,
      outputTokens: 0,
      attempts: [],
      model: 'gpt-4o-mini',
      provider: 'mock',
    });
    // The saving is in the decision trace, to the nano-dollar.
    const saved = `$${(missed.costNanos / 1e9).toFixed(9)}`;
    expect(hit.routeTrace).toContain(
      `served from the response cache (exact match, stored 0 s ago, saved ${saved})`,
    );
    expect(await h.gateway.ledger.count()).toBe(2);

    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_cache_requests_total\{result="hit",match="exact"\} 1/);
    expect(metrics).toMatch(/switchyard_cache_requests_total\{result="miss"\} 1/);
    expect(metrics).toMatch(/switchyard_cache_writes_total\{result="stored"\} 1/);
  });

  it('a different prompt, model or setting misses', async () => {
    const h = await start();
    await chat(h);
    await h.gateway.cache?.idle();
    expect((await chat(h, {}, { max_tokens: 61 })).headers.get('x-switchyard-cache')).toBe('miss');
    expect((await chat(h, {}, { model: 'gpt-4o' })).headers.get('x-switchyard-cache')).toBe('miss');
    expect((await chat(h, {}, { temperature: 0.3 })).headers.get('x-switchyard-cache')).toBe('miss');
    expect(
      (await chat(h, {}, { messages: [{ role: 'user', content: `${PROMPT}!` }] })).headers.get(
        'x-switchyard-cache',
      ),
    ).toBe('miss');
    expect(upstreamCalls(h)).toBe(5);
  });

  it('honours x-switchyard-cache: no-cache (fresh answer, kept) and no-store (neither)', async () => {
    const h = await start();
    const stored = await chat(h, { 'x-switchyard-cache': 'no-store' });
    expect(stored.headers.get('x-switchyard-cache')).toBe('skip');
    await h.gateway.cache?.idle();
    expect((await chat(h, { 'x-switchyard-cache': 'no-cache' })).headers.get('x-switchyard-cache')).toBe(
      'skip',
    );
    expect(upstreamCalls(h)).toBe(2);
    await h.gateway.cache?.idle();
    // no-store kept nothing, no-cache kept its answer: the plain request hits.
    expect((await chat(h)).headers.get('x-switchyard-cache')).toBe('hit');
    expect((await chat(h, { 'x-switchyard-cache': 'no-cache' })).headers.get('x-switchyard-cache')).toBe(
      'skip',
    );
    expect(upstreamCalls(h)).toBe(3);
    // The body option works too.
    expect((await chat(h, {}, { switchyard: { cache: 'no-store' } })).headers.get('x-switchyard-cache')).toBe(
      'skip',
    );
    expect(upstreamCalls(h)).toBe(4);
    const bad = await chat(h, { 'x-switchyard-cache': 'sometimes' });
    expect(bad.status).toBe(400);
    expect((bad.body.error as { code: string }).code).toBe('INVALID_REQUEST');
  });

  it('answers expire after the ttl', async () => {
    const h = await start({ ttl_s: 0.3 }, {}, 'memory');
    await chat(h);
    await h.gateway.cache?.idle();
    expect((await chat(h)).headers.get('x-switchyard-cache')).toBe('hit');
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect((await chat(h)).headers.get('x-switchyard-cache')).toBe('miss');
    expect(upstreamCalls(h)).toBe(2);
  });

  it('errors and cut answers are never kept', async () => {
    const h = await start();
    h.mock.setModelProfile('gpt-4o-mini', { output_tokens: 40, faults: [{ kind: 'http_500' }] });
    const failed = await chat(h);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.headers.get('x-switchyard-cache')).toBeNull();
    h.mock.setModelProfile('gpt-4o-mini', { output_tokens: 40 });
    await h.gateway.cache?.idle();
    const next = await chat(h);
    expect(next.status).toBe(200);
    expect(next.headers.get('x-switchyard-cache')).toBe('miss');
  });
});

describe('tenants', () => {
  it('never serves one project’s or key’s answer to another', async () => {
    const h = await start({}, { auth: { master_key: MASTER } });
    const a1 = await mint(h, { name: 'a1', project: 'acme' });
    const a2 = await mint(h, { name: 'a2', project: 'acme' });
    const other = await mint(h, { name: 'o', project: 'other' });
    const loose = await mint(h, { name: 'loose' });

    expect((await chat(h, bearer(a1.key))).headers.get('x-switchyard-cache')).toBe('miss');
    await h.gateway.cache?.idle();
    // Same project: shared (the default scope).
    expect((await chat(h, bearer(a2.key))).headers.get('x-switchyard-cache')).toBe('hit');
    // Another project, a key without one, the master key: not shared.
    expect((await chat(h, bearer(other.key))).headers.get('x-switchyard-cache')).toBe('miss');
    expect((await chat(h, bearer(loose.key))).headers.get('x-switchyard-cache')).toBe('miss');
    expect((await chat(h, bearer(MASTER))).headers.get('x-switchyard-cache')).toBe('miss');
    expect(upstreamCalls(h)).toBe(4);
    // Without credentials there is no answer at all, cached or not.
    expect((await chat(h)).status).toBe(401);
  });

  it('scope: key keeps keys of one project apart', async () => {
    const h = await start({ scope: 'key' }, { auth: { master_key: MASTER } });
    const a1 = await mint(h, { name: 'a1', project: 'acme' });
    const a2 = await mint(h, { name: 'a2', project: 'acme' });
    await chat(h, bearer(a1.key));
    await h.gateway.cache?.idle();
    expect((await chat(h, bearer(a2.key))).headers.get('x-switchyard-cache')).toBe('miss');
    expect((await chat(h, bearer(a1.key))).headers.get('x-switchyard-cache')).toBe('hit');
  });

  it('rate limits apply to hits; a hit releases its budget reservation and costs nothing', async () => {
    const h = await start({}, { auth: { master_key: MASTER } });
    const admission = managedAdmission(h.gateway.admission) as ManagedAdmission;
    const key = await mint(h, { name: 'metered', rpm: 3, budget_usd: 1, budget_window: 'total' });
    const first = await chat(h, bearer(key.key));
    expect(first.status).toBe(200);
    await h.gateway.cache?.idle();
    await admission.idle();
    const stored = (await admission.keys.get(key.id))!;
    const before = await admission.keyBudget(stored);
    expect(before?.spentNanos).toBeGreaterThan(0);

    const hit = await chat(h, bearer(key.key));
    expect(hit.headers.get('x-switchyard-cache')).toBe('hit');
    expect(hit.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await admission.idle();
    const after = await admission.keyBudget(stored);
    expect(after?.spentNanos).toBe(before?.spentNanos);
    expect(await admission.counters.get(after!.counterKey)).toMatchObject({ reserved: 0, reservations: 0 });

    expect((await chat(h, bearer(key.key))).headers.get('x-switchyard-cache')).toBe('hit');
    const limited = await chat(h, bearer(key.key));
    expect(limited.status).toBe(429);
    expect(upstreamCalls(h)).toBe(1);
    await h.gateway.ledger.flush();
    const records = await h.gateway.ledger.query({ keyId: key.id, limit: 100 });
    expect(records).toHaveLength(4);
    expect(records.filter((r) => r.cacheHit)).toHaveLength(2);
    expect(records.filter((r) => r.cacheHit).every((r) => r.costNanos === 0)).toBe(true);
  });
});

describe('streams', () => {
  it('a streamed hit replays a well-formed stream to the openai client, with usage', async () => {
    const h = await start();
    const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const ask = async () => {
      const { data: stream, response } = await client.chat.completions
        .create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: PROMPT }],
          max_tokens: 60,
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      return { ...(await readChatStream(stream)), cache: response.headers.get('x-switchyard-cache') };
    };

    const first = await ask();
    expect(first.cache).toBe('miss');
    await h.gateway.cache?.idle();
    const second = await ask();
    expect(second.cache).toBe('hit');
    expect(upstreamCalls(h)).toBe(1);
    expect(second.text).toBe(first.text);
    expect(second.text.length).toBeGreaterThan(10);
    expect(second.finish).toBe('stop');
    expect(second.chunks).toBeGreaterThanOrEqual(3);
    const invoice = h.mock.invoice.at(-1)!;
    expect(second.usage?.prompt_tokens).toBe(invoice.inputTokens);
    expect(second.usage?.completion_tokens).toBe(invoice.outputTokens);

    // The streamed answer also serves the same request unstreamed, and the other way round.
    const plain = await chat(h);
    expect(plain.headers.get('x-switchyard-cache')).toBe('hit');
    expect(contentOf(plain)).toBe(first.text);
    expect(upstreamCalls(h)).toBe(1);

    await h.gateway.ledger.flush();
    const records = await h.gateway.ledger.query({ limit: 100 });
    expect(records).toHaveLength(3);
    const streamedHit = records.find((r) => r.stream && r.cacheHit);
    expect(streamedHit).toMatchObject({ status: 'ok', costNanos: 0, attempts: [] });
  });

  it('a stream that fails midway is not kept', async () => {
    const h = await start();
    h.mock.setModelProfile('gpt-4o-mini', {
      output_tokens: 40,
      faults: [{ kind: 'sse_cut', after_tokens: 3 }],
    });
    const response = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: PROMPT }],
        max_tokens: 60,
        stream: true,
      }),
    });
    const text = await response.text().catch(() => '');
    expect(response.headers.get('x-switchyard-cache')).toBe('miss');
    expect(text).not.toContain('[DONE]');
    h.mock.setModelProfile('gpt-4o-mini', { output_tokens: 40 });
    await h.gateway.cache?.idle();
    expect((await chat(h)).headers.get('x-switchyard-cache')).toBe('miss');
  });
});

describe('semantic stage', () => {
  const NEAR = 'tell me about switchyards in a few words please';

  it('serves a near-duplicate when enabled', async () => {
    const h = await start({ semantic: { enabled: true } });
    await chat(h);
    await h.gateway.cache?.idle();
    const near = await chat(h, {}, { messages: [{ role: 'user', content: NEAR }] });
    expect(near.headers.get('x-switchyard-cache')).toBe('hit');
    expect(upstreamCalls(h)).toBe(1);
    expect((await recordOf(h, near)).routeTrace).toMatch(/semantic match, lexical similarity 0\.9\d\d/);
    // A different question is not a near-duplicate.
    const other = await chat(
      h,
      {},
      { messages: [{ role: 'user', content: 'Tell me about railways in a few words.' }] },
    );
    expect(other.headers.get('x-switchyard-cache')).toBe('miss');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_cache_requests_total\{result="hit",match="semantic"\} 1/);
  });

  it('misses the near-duplicate when disabled', async () => {
    const h = await start();
    await chat(h);
    await h.gateway.cache?.idle();
    const near = await chat(h, {}, { messages: [{ role: 'user', content: NEAR }] });
    expect(near.headers.get('x-switchyard-cache')).toBe('miss');
    expect(upstreamCalls(h)).toBe(2);
  });
});

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(REDIS_URL === undefined || REDIS_URL === '')('shared through Redis', () => {
  it('an answer one replica stored is a hit on another', async () => {
    const prefix = `switchyard-test-cache-${randomUUID()}:`;
    const replica = () =>
      start(
        { store: 'redis', redis_prefix: prefix },
        { storage: { url: 'memory://', redis_url: REDIS_URL } },
        'memory',
      );
    const a = await replica();
    const b = await replica();
    try {
      expect((await chat(a)).headers.get('x-switchyard-cache')).toBe('miss');
      await a.gateway.cache?.idle();
      const hit = await chat(b);
      expect(hit.headers.get('x-switchyard-cache')).toBe('hit');
      expect(upstreamCalls(a)).toBe(1);
      expect(upstreamCalls(b)).toBe(0);
    } finally {
      const admin = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
    }
  });
});

describe('without a cache', () => {
  it('every response says skip and nothing is looked up', async () => {
    const h = await start({ enabled: false });
    expect((await chat(h)).headers.get('x-switchyard-cache')).toBe('skip');
    expect((await chat(h)).headers.get('x-switchyard-cache')).toBe('skip');
    expect(upstreamCalls(h)).toBe(2);
    expect(h.gateway.cache).toBeUndefined();
  });
});
