import { Writable } from 'node:stream';
import { Registry as MetricsRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import type { ChatRequest, ChatResult } from '../core/chat.js';
import { finishReason } from '../core/finish-reason.js';
import { type Caller, createRequestContext } from '../gateway/request-context.js';
import { createLogger } from '../observability/logger.js';
import { createRedactor } from '../observability/redact.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry, type Registry } from '../registry/registry.js';
import type { CacheStore } from '../storage/cache-ports.js';
import { createTestClock, type TestClock } from '../storage/counter-store.contract.js';
import { createMemoryCacheStore } from '../storage/memory/memory-cache-store.js';
import { createRedisCacheStore } from '../storage/redis/redis-cache-store.js';
import { resolveCacheSettings } from './cache-settings.js';
import { type AnsweredBy, createResponseCache, type ResponseCache } from './response-cache.js';

const CONFIG: ConfigInput = {
  storage: { url: 'memory://' },
  providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'k' } },
  models: {
    small: { pricing: { input_per_mtok: 1, output_per_mtok: 2 }, deployments: [{ provider: 'p' }] },
  },
};

interface Setup {
  cache: ResponseCache;
  registry: Registry;
  by: AnsweredBy;
  clock: TestClock;
  metrics: MetricsRegistry;
  logs: string[];
}

let open: ResponseCache | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

function setup(cache: ConfigInput['cache'] = {}, store?: CacheStore): Setup {
  const { config } = parseConfigObject({ ...CONFIG, cache: { enabled: true, ...cache } });
  const { registry } = createRegistry(config, { adapterFor, defaultBaseUrl });
  const clock = createTestClock();
  const metrics = new MetricsRegistry();
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    redactor: createRedactor({ secrets: [] }),
    destination: new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    }),
  });
  const settings = resolveCacheSettings(config);
  const responseCache = createResponseCache({
    settings,
    store: store ?? createMemoryCacheStore({ maxEntries: settings.maxEntries, now: clock.now }),
    logger,
    metricsRegistry: metrics,
    now: clock.now,
  });
  open = responseCache;
  const model = registry.get('small')!;
  return {
    cache: responseCache,
    registry,
    by: { model, deployment: model.deployments[0]! },
    clock,
    metrics,
    logs,
  };
}

function ask(text: string, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'small',
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    stream: false,
    ...overrides,
  };
}

function context(caller: Caller = { admin: true }) {
  return createRequestContext({
    endpoint: 'chat.completions',
    timeoutMs: 1_000,
    signal: new AbortController().signal,
    caller,
  });
}

function answer(text: string, reason: 'stop' | 'content_filter' = 'stop'): ChatResult {
  return {
    id: 'up-1',
    model: 'small-2024',
    created: 1,
    usage: { inputTokens: 10, outputTokens: 5 },
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: [{ type: 'text', text }] },
        finishReason: finishReason(reason),
      },
    ],
  };
}

async function counter(
  metrics: MetricsRegistry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

describe('createResponseCache', () => {
  it('misses, keeps the answer after the response, then hits with what it saved', async () => {
    const { cache, registry, by, metrics } = setup();
    const first = await cache.lookup(ask('hello'), context(), registry);
    expect(first.status).toBe('miss');
    first.store(answer('hi there'), by, 1_234);
    // Kept on a later turn of the event loop, not on the caller's stack.
    expect((await cache.lookup(ask('hello'), context(), registry)).status).toBe('miss');
    await cache.idle();
    const second = await cache.lookup(ask('hello'), context(), registry);
    expect(second.status).toBe('hit');
    expect(second.hit).toMatchObject({ match: 'exact', savedNanos: 1_234, result: answer('hi there') });
    expect(second.hit?.model).toBe(by.model);
    expect(second.hit?.deployment).toBe(by.deployment);
    expect(second.hit?.decision).toMatch(
      /^served from the response cache \(exact match, stored 0 s ago, saved \$0\.000001234\)$/,
    );
    expect(await counter(metrics, 'switchyard_cache_requests_total', { result: 'miss' })).toBe(2);
    expect(await counter(metrics, 'switchyard_cache_requests_total', { result: 'hit', match: 'exact' })).toBe(
      1,
    );
    expect(await counter(metrics, 'switchyard_cache_writes_total', { result: 'stored' })).toBe(1);
  });

  it('expires answers after the ttl', async () => {
    const { cache, registry, by, clock } = setup({ ttl_s: 60 });
    (await cache.lookup(ask('hello'), context(), registry)).store(answer('hi'), by, 1);
    await cache.idle();
    clock.advance(59_999);
    expect((await cache.lookup(ask('hello'), context(), registry)).status).toBe('hit');
    clock.advance(1);
    expect((await cache.lookup(ask('hello'), context(), registry)).status).toBe('miss');
  });

  it('honours no-cache (stores, does not look) and no-store (neither)', async () => {
    const { cache, registry, by } = setup();
    const noStore = await cache.lookup(ask('q', { routing: { cache: 'no-store' } }), context(), registry);
    expect(noStore.status).toBe('skip');
    noStore.store(answer('a'), by, 1);
    await cache.idle();
    expect((await cache.lookup(ask('q'), context(), registry)).status).toBe('miss');

    const noCache = await cache.lookup(ask('q', { routing: { cache: 'no-cache' } }), context(), registry);
    expect(noCache.status).toBe('skip');
    noCache.store(answer('fresh'), by, 1);
    await cache.idle();
    expect(
      (await cache.lookup(ask('q', { routing: { cache: 'no-cache' } }), context(), registry)).status,
    ).toBe('skip');
    expect((await cache.lookup(ask('q'), context(), registry)).hit?.result).toEqual(answer('fresh'));
  });

  it('never serves one tenant’s answer to another, unless the scope is global', async () => {
    const { cache, registry, by } = setup();
    const acme: Caller = { keyId: 'k1', project: 'acme', admin: false };
    (await cache.lookup(ask('q'), context(acme), registry)).store(answer('acme'), by, 1);
    await cache.idle();
    expect((await cache.lookup(ask('q'), context({ ...acme, keyId: 'k2' }), registry)).status).toBe('hit');
    expect(
      (await cache.lookup(ask('q'), context({ keyId: 'k3', project: 'other', admin: false }), registry))
        .status,
    ).toBe('miss');
    expect((await cache.lookup(ask('q'), context({ admin: true }), registry)).status).toBe('miss');
    await open?.close();

    const global = setup({ scope: 'global' });
    (await global.cache.lookup(ask('q'), context(acme), global.registry)).store(
      answer('shared'),
      global.by,
      1,
    );
    await global.cache.idle();
    expect((await global.cache.lookup(ask('q'), context({ admin: true }), global.registry)).status).toBe(
      'hit',
    );
  });

  it('keeps only complete answers', async () => {
    const { cache, registry, by } = setup();
    (await cache.lookup(ask('q'), context(), registry)).store(answer('blocked', 'content_filter'), by, 1);
    await cache.idle();
    expect((await cache.lookup(ask('q'), context(), registry)).status).toBe('miss');
  });

  it('with cache_nondeterministic off, only temperature 0 is cached', async () => {
    const { cache, registry, by } = setup({ cache_nondeterministic: false });
    expect((await cache.lookup(ask('q', { temperature: 0.7 }), context(), registry)).status).toBe('skip');
    expect((await cache.lookup(ask('q'), context(), registry)).status).toBe('skip');
    (await cache.lookup(ask('q', { temperature: 0 }), context(), registry)).store(answer('a'), by, 1);
    await cache.idle();
    expect((await cache.lookup(ask('q', { temperature: 0 }), context(), registry)).status).toBe('hit');
  });

  it('rebuilds a tapped stream and keeps it with the final usage', async () => {
    const { cache, registry, by } = setup();
    const lookup = await cache.lookup(ask('stream me'), context(), registry);
    const parts = lookup.tap(
      (async function* () {
        yield { type: 'start', id: 'u', model: 'small', created: 5 } as const;
        yield { type: 'text-delta', choice: 0, text: 'str' } as const;
        yield { type: 'text-delta', choice: 0, text: 'eamed' } as const;
        yield { type: 'finish', choice: 0, finishReason: finishReason('stop') } as const;
      })(),
    );
    for await (const _part of parts) {
      // drained, as the HTTP layer does
    }
    lookup.storeTapped(by, { inputTokens: 7, outputTokens: 2 }, 99);
    await cache.idle();
    const hit = (await cache.lookup(ask('stream me', { stream: true }), context(), registry)).hit;
    expect(hit?.result.choices[0]?.message.content).toEqual([{ type: 'text', text: 'streamed' }]);
    expect(hit?.result.usage).toEqual({ inputTokens: 7, outputTokens: 2 });
    expect(hit?.savedNanos).toBe(99);
  });

  it('semantic stage: a near-duplicate hits, a different question misses; off by default', async () => {
    const off = setup();
    (await off.cache.lookup(ask('Tell me about switchyards in a few words.'), context(), off.registry)).store(
      answer('a'),
      off.by,
      1,
    );
    await off.cache.idle();
    expect(
      (
        await off.cache.lookup(
          ask('tell me about switchyards in a few words please'),
          context(),
          off.registry,
        )
      ).status,
    ).toBe('miss');
    await open?.close();

    const { cache, registry, by, metrics } = setup({ semantic: { enabled: true } });
    (await cache.lookup(ask('Tell me about switchyards in a few words.'), context(), registry)).store(
      answer('yards'),
      by,
      1,
    );
    await cache.idle();
    const near = await cache.lookup(
      ask('tell me about switchyards in a few words please'),
      context(),
      registry,
    );
    expect(near.status).toBe('hit');
    expect(near.hit?.match).toBe('semantic');
    expect(near.hit?.similarity).toBeGreaterThan(0.9);
    expect(near.hit?.decision).toMatch(/semantic match, lexical similarity 0\.9\d\d/);
    expect(
      (await cache.lookup(ask('Tell me about railways in a few words.'), context(), registry)).status,
    ).toBe('miss');
    // Same text, other tenant: the partition differs.
    expect(
      (
        await cache.lookup(
          ask('tell me about switchyards in a few words please'),
          context({ keyId: 'k', admin: false }),
          registry,
        )
      ).status,
    ).toBe('miss');
    // Same text, other settings: the partition differs.
    expect(
      (
        await cache.lookup(
          ask('tell me about switchyards in a few words please', { maxTokens: 5 }),
          context(),
          registry,
        )
      ).status,
    ).toBe('miss');
    expect(
      await counter(metrics, 'switchyard_cache_requests_total', { result: 'hit', match: 'semantic' }),
    ).toBe(1);
  });

  it('an answer whose model is no longer configured is a miss', async () => {
    const { cache, registry, by } = setup();
    (await cache.lookup(ask('q'), context(), registry)).store(answer('a'), by, 1);
    await cache.idle();
    const { config } = parseConfigObject({
      ...CONFIG,
      models: {
        other: { pricing: { input_per_mtok: 1, output_per_mtok: 1 }, deployments: [{ provider: 'p' }] },
      },
    });
    const reloaded = createRegistry(config, { adapterFor, defaultBaseUrl }).registry;
    expect((await cache.lookup(ask('q'), context(), reloaded)).status).toBe('miss');
  });

  it('a store that fails costs one bounded wait, then the cache stands aside', async () => {
    const down = createRedisCacheStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 100, maxEntries: 10 });
    const { cache, registry, clock, logs } = setup({}, down);
    expect((await cache.lookup(ask('q'), context(), registry)).status).toBe('skip');
    const started = Date.now();
    expect((await cache.lookup(ask('q'), context(), registry)).status).toBe('skip');
    expect(Date.now() - started).toBeLessThan(20);
    expect(logs.join('')).toContain('response cache unavailable during a lookup');
    clock.advance(5_000);
    // Tried again after the back-off (and failed again): a second warning.
    expect((await cache.lookup(ask('q'), context(), registry)).status).toBe('skip');
    expect(logs.filter((line) => line.includes('response cache unavailable')).length).toBe(2);
  });
});
