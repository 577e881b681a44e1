import { Writable } from 'node:stream';
import { Registry as MetricsRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import type { ChatRequest } from '../core/chat.js';
import { isGatewayError } from '../core/errors.js';
import { type Caller, createRequestContext, type RequestContext } from '../gateway/request-context.js';
import { createLogger } from '../observability/logger.js';
import { createRedactor } from '../observability/redact.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry } from '../registry/registry.js';
import type { RoutePlan } from '../routing/plan.js';
import type { CounterStore, VirtualKey } from '../storage/admission-ports.js';
import { createTestClock, type TestClock } from '../storage/counter-store.contract.js';
import { createMemoryCounterStore } from '../storage/memory/memory-counter-store.js';
import { createMemoryKeyStore } from '../storage/memory/memory-key-store.js';
import type { AdmissionTicket } from './admission.js';
import { createAdmission, type ManagedAdmission, RESERVATION_MARGIN_MS } from './create-admission.js';
import { callerOf } from './virtual-keys.js';

const BASE: ConfigInput = {
  providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'k' } },
  models: {
    // 1,000 nanos per input token, 2,000 per output token.
    small: { pricing: { input_per_mtok: 1, output_per_mtok: 2 }, deployments: [{ provider: 'p' }] },
    big: { pricing: { input_per_mtok: 10, output_per_mtok: 20 }, deployments: [{ provider: 'p' }] },
  },
};

interface Setup {
  admission: ManagedAdmission;
  counters: CounterStore;
  clock: TestClock;
  logs: string[];
  metrics: MetricsRegistry;
}

/**
 * An admission on the base config that goes by a test clock, or (withClock false) by Date.now,
 * with a memory counter store on the same time; the test clock starts at the real time.
 */
function onClockOrDateNow(withClock: boolean) {
  const clock = createTestClock(Date.now());
  const counters = createMemoryCounterStore(withClock ? { now: clock.now } : {});
  const { config } = parseConfigObject(BASE);
  const { registry } = createRegistry(config, { adapterFor, defaultBaseUrl });
  const admission = createAdmission({
    config,
    registry,
    counters,
    keys: createMemoryKeyStore(),
    logger: createLogger({ level: 'error', redactor: createRedactor({ secrets: [] }) }),
    ...(withClock ? { now: clock.now } : {}),
  });
  return { admission, counters, clock };
}

function setup(config: ConfigInput = {}, counters?: CounterStore, clock = createTestClock()): Setup {
  const { config: parsed } = parseConfigObject({ ...BASE, ...config });
  const { registry } = createRegistry(parsed, { adapterFor, defaultBaseUrl });
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
  const store = counters ?? createMemoryCounterStore({ now: clock.now });
  const metrics = new MetricsRegistry();
  const admission = createAdmission({
    config: parsed,
    registry,
    counters: store,
    keys: createMemoryKeyStore(),
    logger,
    metricsRegistry: metrics,
    now: clock.now,
  });
  return { admission, counters: store, clock, logs, metrics };
}

function key(overrides: Partial<VirtualKey> = {}): VirtualKey {
  return {
    id: 'key_1',
    name: 'bot',
    prefix: 'sk-sy-abcd',
    models: [],
    admin: false,
    createdBy: 'master',
    createdAt: 0,
    ...overrides,
  };
}

function context(caller: Caller, clock: TestClock, timeoutMs = 60_000): RequestContext {
  const ctx = createRequestContext({
    endpoint: 'chat.completions',
    timeoutMs,
    signal: new AbortController().signal,
    caller,
  });
  ctx.startedAt = clock.now();
  ctx.deadline = clock.now() + timeoutMs;
  return ctx;
}

// A 100-byte prompt: an upper bound of 116 tokens; 100 answer tokens at most.
const REQUEST: ChatRequest = {
  model: 'small',
  stream: false,
  maxTokens: 100,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'z'.repeat(100) }] }],
};
const WORST_SMALL = 116 * 1_000 + 100 * 2_000;
const PLAN: RoutePlan = { kind: 'sequence', strategy: 'direct', attempts: [{ model: 'small' }], reason: 't' };

/** The refusal an admission ended in: a rejected promise (never a throw, never a plain value). */
async function refusal(
  admitted: AdmissionTicket | Promise<AdmissionTicket>,
): Promise<{ code: string; details?: Record<string, unknown> }> {
  expect(admitted).toBeInstanceOf(Promise);
  try {
    await admitted;
  } catch (error) {
    if (isGatewayError(error))
      return { code: error.code, ...(error.details ? { details: error.details } : {}) };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('createAdmission', () => {
  it('admits a caller nothing applies to without touching the store', async () => {
    const { admission, counters, clock } = setup();
    const ticket = await admission.admit(context({ admin: true }, clock), { request: REQUEST, plan: PLAN });
    expect(ticket.headers).toBeUndefined();
    admission.settle(ticket, { costNanos: 5, inputTokens: 1, outputTokens: 1 });
    await admission.idle();
    expect(await admission.budgets()).toEqual([]);
    expect(await counters.get('budget:global:-:total:all')).toEqual({
      used: 0,
      reserved: 0,
      reservations: 0,
    });
  });

  it('reserves the worst case until settled, then charges the real cost, exactly once', async () => {
    const { admission, clock } = setup({ budgets: { total_limit_usd: 1 } });
    const ticket = await admission.admit(context({ admin: true }, clock), { request: REQUEST, plan: PLAN });
    let [view] = await admission.budgets();
    expect(view).toMatchObject({ level: 'global', spentNanos: 0, reservedNanos: WORST_SMALL });
    admission.settle(ticket, { costNanos: 40_000, inputTokens: 30, outputTokens: 5 });
    admission.settle(ticket, { costNanos: 40_000, inputTokens: 30, outputTokens: 5 });
    await admission.idle();
    [view] = await admission.budgets();
    expect(view).toMatchObject({ spentNanos: 40_000, reservedNanos: 0 });
  });

  it('a request that cost nothing releases its reservation', async () => {
    const { admission, clock } = setup({ budgets: { daily_limit_usd: 1 } });
    const ticket = await admission.admit(context({ admin: true }, clock), { request: REQUEST, plan: PLAN });
    admission.settle(ticket, { costNanos: 0, inputTokens: 0, outputTokens: 0 });
    await admission.idle();
    expect((await admission.budgets())[0]).toMatchObject({ spentNanos: 0, reservedNanos: 0 });
  });

  it('is all or nothing: a refusal gives back the reservations and rate counts taken before it', async () => {
    const { admission, counters, clock } = setup({ budgets: { daily_limit_usd: 1 } });
    const caller = callerOf(key({ rpm: 10, budgetUsd: WORST_SMALL / 2 / 1e9 }));
    const refused = await refusal(admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN }));
    expect(refused).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { level: 'key', window: 'total' } });
    expect((await admission.budgets())[0]).toMatchObject({ level: 'global', reservedNanos: 0 });
    // The refused request's count was given back: all 10 are still available.
    const probe = await counters.hit('rate:key:key_1:requests', 60_000, 10, 0);
    expect(probe.count).toBe(0);
  });

  it('a rate refusal undoes the counts taken before it and carries the headers and Retry-After', async () => {
    const { admission, counters, clock } = setup({ rate_limit: { tokens_per_minute: 100 } });
    const caller = callerOf(key({ rpm: 5 }));
    const refused = await refusal(admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN }));
    expect(refused).toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      details: { scope: 'global', limit_type: 'tokens', limit: 100 },
    });
    expect((await counters.hit('rate:key:key_1:requests', 60_000, 5, 0)).count).toBe(0);
    try {
      await admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN });
    } catch (error) {
      if (!isGatewayError(error)) throw error;
      expect(error.headers).toMatchObject({
        'x-ratelimit-limit-requests': '5',
        'x-ratelimit-remaining-requests': '4',
        'x-ratelimit-limit-tokens': '100',
      });
      expect(error.retryAfterMs).toBeGreaterThan(0);
      expect(error.headers?.['retry-after']).toBe(String(Math.ceil(error.retryAfterMs! / 1000)));
    }
  });

  it('puts rate-limit headers on the ticket and corrects the token count to real usage', async () => {
    const { admission, counters, clock } = setup();
    const caller = callerOf(key({ rpm: 5, tpm: 1_000 }));
    const ticket: AdmissionTicket = await admission.admit(context(caller, clock), {
      request: REQUEST,
      plan: PLAN,
    });
    // 29 estimated prompt tokens (116 / 4) + max_tokens 100.
    expect(ticket.headers).toEqual({
      'x-ratelimit-limit-requests': '5',
      'x-ratelimit-remaining-requests': '4',
      'x-ratelimit-reset-requests': '2m0s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '871',
      'x-ratelimit-reset-tokens': '2m0s',
    });
    admission.settle(ticket, { costNanos: 1, inputTokens: 20, outputTokens: 10 });
    await admission.idle();
    expect((await counters.hit('rate:key:key_1:tokens', 60_000, 1_000, 0)).count).toBe(30);
  });

  it('refuses a model the key may not use, across every step of the plan', async () => {
    const { admission, clock } = setup();
    const caller = callerOf(key({ models: ['small'] }));
    const plan: RoutePlan = {
      kind: 'parallel',
      strategy: 'ensemble',
      members: [{ model: 'small' }],
      select: 'synthesize',
      aggregator: 'big',
      reason: 't',
    };
    const refused = await refusal(admission.admit(context(caller, clock), { request: REQUEST, plan }));
    expect(refused).toMatchObject({ code: 'FORBIDDEN', details: { model: 'big' } });
    await admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN });
  });

  it("refuses a verifier's peer model or a router-model target the key may not use", async () => {
    const { admission, clock } = setup();
    const caller = callerOf(key({ models: ['small'] }));
    const weights = { peers: ['big'], features: [], intercept: 0, weights: [] };
    const verified: RoutePlan = {
      kind: 'sequence',
      strategy: 'fallback',
      attempts: [{ model: 'small', verifier: { task: 'qa', weights } }],
      reason: 't',
    };
    expect(
      await refusal(admission.admit(context(caller, clock), { request: REQUEST, plan: verified })),
    ).toMatchObject({
      code: 'FORBIDDEN',
      details: { model: 'big' },
    });
    const routed: RoutePlan = {
      kind: 'sequence',
      strategy: 'router-model',
      attempts: [{ model: 'small' }],
      classifier: { model: 'small', request: REQUEST, targets: [{ model: 'big', threshold: 0.5 }] },
      reason: 't',
    };
    expect(
      await refusal(admission.admit(context(caller, clock), { request: REQUEST, plan: routed })),
    ).toMatchObject({
      code: 'FORBIDDEN',
      details: { model: 'big' },
    });
  });

  it('gives the key’s priority to its requests', async () => {
    const { admission, clock } = setup();
    const ctx = context(callerOf(key({ priority: 7 })), clock);
    await admission.admit(ctx, { request: REQUEST, plan: PLAN });
    expect(ctx.priority).toBe(7);
  });

  it('caps the reservation at max_cost, and refuses a cap below the prompt’s own cost', async () => {
    const { admission, clock } = setup({ budgets: { total_limit_usd: 1 } });
    const capped = { ...REQUEST, routing: { maxCostUsd: 0.0001 } };
    const ticket = await admission.admit(context({ admin: true }, clock), { request: capped, plan: PLAN });
    expect((await admission.budgets())[0]?.reservedNanos).toBe(100_000);
    admission.settle(ticket, { costNanos: 10, inputTokens: 1, outputTokens: 1 });
    const tooLow = { ...REQUEST, routing: { maxCostUsd: 0.00001 } };
    expect(
      await refusal(admission.admit(context({ admin: true }, clock), { request: tooLow, plan: PLAN })),
    ).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      details: { level: 'request' },
    });
  });

  it('a reservation lapses after the deadline plus the margin, and a late settlement still charges', async () => {
    const { admission, clock } = setup({ budgets: { total_limit_usd: (1.5 * WORST_SMALL) / 1e9 } });
    const first = await admission.admit(context({ admin: true }, clock, 10_000), {
      request: REQUEST,
      plan: PLAN,
    });
    expect(
      await refusal(admission.admit(context({ admin: true }, clock), { request: REQUEST, plan: PLAN })),
    ).toMatchObject({
      code: 'BUDGET_EXCEEDED',
    });
    clock.advance(10_000 + RESERVATION_MARGIN_MS);
    const second = await admission.admit(context({ admin: true }, clock), { request: REQUEST, plan: PLAN });
    admission.settle(first, { costNanos: 1_000, inputTokens: 1, outputTokens: 1 });
    admission.settle(second, { costNanos: 2_000, inputTokens: 1, outputTokens: 1 });
    await admission.idle();
    expect((await admission.budgets())[0]).toMatchObject({ spentNanos: 3_000, reservedNanos: 0 });
  });

  it('fails closed with SERVICE_UNAVAILABLE when the store fails, giving back what it took', async () => {
    const clock = createTestClock();
    const real = createMemoryCounterStore({ now: clock.now });
    const failing: CounterStore = {
      ...real,
      reserve: (k, amount, limit, ttl) =>
        k.startsWith('budget:key:')
          ? Promise.reject(new Error('disk I/O error'))
          : real.reserve(k, amount, limit, ttl),
    };
    const { admission, logs } = setup({ budgets: { daily_limit_usd: 1 } }, failing, clock);
    const caller = callerOf(key({ budgetUsd: 1 }));
    const refused = await refusal(admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN }));
    expect(refused.code).toBe('SERVICE_UNAVAILABLE');
    expect((await admission.budgets())[0]).toMatchObject({ level: 'global', reservedNanos: 0 });
    expect(logs.join('')).toContain('admission store failed');
  });

  it('fails closed on an in-process store too, giving back the counts taken before the failure', async () => {
    const clock = createTestClock();
    const real = createMemoryCounterStore({ now: clock.now });
    const local = real.local!;
    const failing: CounterStore = {
      ...real,
      local: {
        ...local,
        hold: () => {
          throw new Error('disk I/O error');
        },
      },
    };
    const { admission, logs } = setup({}, failing, clock);
    const caller = callerOf(key({ rpm: 5, budgetUsd: 1 }));
    const refused = await refusal(admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN }));
    expect(refused.code).toBe('SERVICE_UNAVAILABLE');
    expect(logs.join('')).toContain('admission store failed');
    expect(local.hit('rate:key:key_1:requests', 60_000, 5, 0).count).toBe(0);
  });

  it('answers with the ticket itself on an in-process store, and with a promise on a shared one', async () => {
    const { admission, clock } = setup();
    const caller = callerOf(key({ rpm: 5, budgetUsd: 1 }));
    const admitted = admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN });
    expect(admitted).not.toBeInstanceOf(Promise);
    expect((admitted as AdmissionTicket).headers).toMatchObject({ 'x-ratelimit-remaining-requests': '4' });
    expect(admission.admit(context({ admin: true }, clock), { request: REQUEST, plan: PLAN })).toEqual({});

    // Spread, a store loses its synchronous face: every counter is then a promise.
    const shared = setup({}, { ...createMemoryCounterStore({ now: clock.now }) }, clock);
    const promised = shared.admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN });
    expect(promised).toBeInstanceOf(Promise);
    expect((await promised).headers).toMatchObject({ 'x-ratelimit-remaining-requests': '4' });
  });

  it('settles at the time the caller read, when admission goes by Date.now, and ignores it otherwise', async () => {
    const tokens = async (withClock: boolean): Promise<number> => {
      const { admission, counters, clock } = onClockOrDateNow(withClock);
      const caller = callerOf(key({ tpm: 1_000 }));
      const ticket = await admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN });
      // Three minutes on, the bucket the admission counted in has left the window: nothing to correct.
      admission.settle(ticket, { costNanos: 1, inputTokens: 20, outputTokens: 10, at: Date.now() + 180_000 });
      return counters.local!.hit('rate:key:key_1:tokens', 60_000, 1_000, 0).count;
    };
    // 29 estimated prompt tokens + max_tokens 100 stay counted: the settlement went by `at`.
    expect(await tokens(false)).toBe(129);
    // A test clock is the admission's own: `at` is not on it, and the count is corrected.
    expect(await tokens(true)).toBe(30);
  });

  it('admits at the time the caller read, when admission goes by Date.now, and ignores it otherwise', async () => {
    const DAY = 86_400_000;
    const admitted = async (withClock: boolean) => {
      const { admission, counters, clock } = onClockOrDateNow(withClock);
      const caller = callerOf(key({ tpm: 1_000, budgetUsd: 1, budgetWindow: 'daily' }));
      // Read three days ago: the budget period and the rate window are that day's.
      const at = Date.now() - 3 * DAY;
      await admission.admit(context(caller, clock), { request: REQUEST, plan: PLAN, at });
      const day = (time: number) => new Date(time).toISOString().slice(0, 10);
      return {
        thatDay: (await counters.get(`budget:key:key_1:daily:${day(at)}`)).reserved,
        today: (await counters.get(`budget:key:key_1:daily:${day(clock.now())}`)).reserved,
        // Counted three days ago, the request has left the window of a minute ago.
        tokensNow: counters.local!.hit('rate:key:key_1:tokens', 60_000, 1_000, 0).count,
      };
    };
    expect(await admitted(false)).toEqual({ thatDay: WORST_SMALL, today: 0, tokensNow: 0 });
    // A test clock is the admission's own: `at` is not on it.
    expect(await admitted(true)).toEqual({ thatDay: 0, today: WORST_SMALL, tokensNow: 129 });
  });

  it('alerts once per period past the threshold, across replicas sharing a store', async () => {
    const clock = createTestClock(Date.UTC(2026, 5, 1, 10));
    const shared = createMemoryCounterStore({ now: clock.now });
    const config = { budgets: { daily_limit_usd: 0.002, alert_threshold: 0.5 } };
    const a = setup(config, shared, clock);
    const b = setup(config, shared, clock);
    const spend = async (replica: Setup, nanos: number) => {
      const ticket = await replica.admission.admit(context({ admin: true }, clock), {
        request: REQUEST,
        plan: PLAN,
      });
      replica.admission.settle(ticket, { costNanos: nanos, inputTokens: 1, outputTokens: 1 });
      await replica.admission.idle();
    };
    await spend(a, 400_000);
    await spend(b, 400_000);
    expect([...a.logs, ...b.logs].filter((line) => line.includes('"budget alert"'))).toHaveLength(0);
    await spend(b, 300_000);
    await spend(a, 100_000);
    // Replica b's settlement crossed the threshold: it alone alerts, and a stays quiet afterwards.
    expect(a.logs.filter((line) => line.includes('"budget alert"'))).toHaveLength(0);
    const alerts = b.logs.filter((line) => line.includes('"budget alert"'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain('"period":"2026-06-01"');
    const count = async (s: Setup) =>
      (await s.metrics.getSingleMetric('switchyard_budget_alerts_total')?.get())?.values[0]?.value ?? 0;
    expect((await count(a)) + (await count(b))).toBe(1);
    expect((await a.admission.budgets())[0]).toMatchObject({ alerted: true, spentNanos: 1_200_000 });
    // A new day is a new period, with its own alert.
    clock.set(Date.UTC(2026, 5, 2, 0, 0, 1));
    expect((await a.admission.budgets())[0]).toMatchObject({
      alerted: false,
      spentNanos: 0,
      period: '2026-06-02',
    });
    await spend(a, 1_000_000);
    const dayTwo = a.logs.filter((line) => line.includes('"budget alert"'));
    expect(dayTwo).toHaveLength(1);
    expect(dayTwo[0]).toContain('"period":"2026-06-02"');
  });
});
