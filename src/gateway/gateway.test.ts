import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmission, managedAdmission } from '../admission/create-admission.js';
import { callerOf } from '../admission/virtual-keys.js';
import { parseConfigObject } from '../config/load.js';
import type { ChatRequest } from '../core/chat.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/server.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { createRedactor } from '../observability/redact.js';
import { createRequestStats } from '../observability/stats.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry } from '../registry/registry.js';
import { createMemoryCounterStore } from '../storage/memory/memory-counter-store.js';
import { createMemoryKeyStore } from '../storage/memory/memory-key-store.js';
import { createMemoryLedger } from '../storage/memory/memory-ledger.js';
import { assembleGateway, type Gateway } from './gateway.js';
import { type Caller, createRequestContext } from './request-context.js';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await startMockUpstream({ record: false });
});
afterAll(async () => {
  await upstream.close();
});

async function gatewayWithAdmission(): Promise<{ gateway: Gateway; caller: Caller; keyId: string }> {
  const { config } = parseConfigObject({
    storage: { url: 'memory://' },
    providers: { mock: { type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'k' } },
    models: {
      'gpt-4o-mini': {
        tier: 'basic',
        pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 },
        deployments: [{ provider: 'mock' }],
      },
      'gpt-4o': {
        tier: 'advanced',
        pricing: { input_per_mtok: 2.5, output_per_mtok: 10 },
        deployments: [{ provider: 'mock' }],
      },
    },
    routes: {
      cheap: { strategy: 'cheapest', models: ['gpt-4o-mini', 'gpt-4o'] },
      split: {
        strategy: 'ab',
        sticky_by: 'key',
        variants: [
          { model: 'gpt-4o-mini', weight: 1 },
          { model: 'gpt-4o', weight: 1 },
        ],
      },
    },
    rate_limit: { enabled: true },
  });
  const { registry } = createRegistry(config, { adapterFor, defaultBaseUrl });
  const redactor = createRedactor({ secrets: [] });
  const logger = createLogger({ level: 'silent', redactor });
  const admission = createAdmission({
    config,
    registry,
    counters: createMemoryCounterStore(),
    keys: createMemoryKeyStore(),
    logger,
  });
  const { key } = await admission.keys.create(
    { name: 'k', budgetUsd: 10, budgetWindow: 'daily', rpm: 1_000, tpm: 1_000_000 },
    { admin: true },
  );
  const gateway = assembleGateway({
    config,
    registry,
    ledger: createMemoryLedger(),
    metrics: createMetrics({ enabled: false }),
    stats: createRequestStats(),
    logger,
    redactor,
    admission,
  });
  return { gateway, caller: callerOf(key), keyId: key.id };
}

function ask(model: string): ChatRequest {
  return {
    model,
    stream: false,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is 2+2?' }] }],
  };
}

function contextOf(caller: Caller) {
  return createRequestContext({
    endpoint: 'chat.completions',
    timeoutMs: 10_000,
    signal: new AbortController().signal,
    caller,
  });
}

describe('gateway.chat', () => {
  it('says what served the request: the same keys, in the same order, with admission headers', async () => {
    const { gateway, caller } = await gatewayWithAdmission();
    try {
      const outcome = await gateway.chat(ask('cheap'), contextOf(caller));
      expect(Object.keys(outcome)).toEqual([
        'result',
        'settlement',
        'model',
        'deployment',
        'plan',
        'attempts',
        'headers',
        'cache',
      ]);
      expect(outcome.model.name).toBe('gpt-4o-mini');
      expect(outcome.deployment.id).toBe(outcome.model.deployments[0]!.id);
      expect(outcome.attempts).toBe(1);
      expect(outcome.cache).toBe('skip');
      expect(outcome.plan.route).toBe('cheap');
      expect(outcome.result.usage).toBe(outcome.settlement.usage);
      expect(outcome.headers).toMatchObject({
        'x-ratelimit-limit-requests': '1000',
        'x-ratelimit-remaining-requests': '999',
        'x-ratelimit-limit-tokens': '1000000',
      });
      expect(outcome.settlement.record).toMatchObject({ status: 'ok', keyId: caller.keyId, route: 'cheap' });

      // Without limits or budgets the ticket has no headers, and the outcome no `headers` key.
      const open = await gateway.chat(ask('cheap'), contextOf({ admin: true }));
      expect(Object.keys(open)).toEqual([
        'result',
        'settlement',
        'model',
        'deployment',
        'plan',
        'attempts',
        'cache',
      ]);
    } finally {
      await gateway.close();
    }
  });

  it('spends what the request cost from the key budget, and holds nothing after', async () => {
    const { gateway, caller } = await gatewayWithAdmission();
    try {
      const first = await gateway.chat(ask('cheap'), contextOf(caller));
      const second = await gateway.chat(ask('cheap'), contextOf(caller));
      const budget = await managedAdmission(gateway.admission)!.keyBudget(caller.key!);
      expect(budget).toMatchObject({
        spentNanos: first.settlement.costNanos + second.settlement.costNanos,
        reservedNanos: 0,
        period: new Date(first.settlement.record.timestamp).toISOString().slice(0, 10),
      });
    } finally {
      await gateway.close();
    }
  });

  it('sticks A/B assignment to the virtual key, as a stickyKey in the request would', async () => {
    const { gateway, caller, keyId } = await gatewayWithAdmission();
    try {
      for (let i = 0; i < 3; i++) {
        const outcome = await gateway.chat(ask('split'), contextOf(caller));
        const expected = gateway.router.plan({ stickyKey: keyId, ...ask('split') });
        expect(outcome.plan).toEqual({ ...expected, route: 'split' });
        expect(outcome.model.name).toBe(expected.kind === 'sequence' ? expected.attempts[0]!.model : '');
      }
    } finally {
      await gateway.close();
    }
  });
});
