/**
 * Admission end to end, over real HTTP with a master key: virtual keys and their scope, rate
 * limits, and budget reservations under concurrency, against the mock upstream.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type ManagedAdmission, managedAdmission } from '../src/admission/create-admission.js';
import { parseConfigObject } from '../src/config/load.js';
import type { ConfigInput } from '../src/config/schema.js';
import { createGateway } from '../src/gateway/create-gateway.js';
import type { Gateway } from '../src/gateway/gateway.js';
import { ROUTES } from '../src/http/routes/table.js';
import { type RunningServer, startHttpServer } from '../src/http/server.js';
import {
  type MockUpstream,
  type MockUpstreamOptions,
  startMockUpstream,
} from '../src/mock-upstream/server.js';
import { createTestClock, type TestClock } from '../src/storage/counter-store.contract.js';
import { defaultTestConfig } from './helpers/harness.js';

const MASTER = 'sk-master-admission-test-0123456789';

interface Rig {
  url: string;
  gateway: Gateway;
  admission: ManagedAdmission;
  mock: MockUpstream;
  logs: string[];
  dbPath: string;
  close(): Promise<void>;
}

interface RigOptions {
  config?: Partial<ConfigInput>;
  clock?: TestClock;
  mock?: MockUpstreamOptions;
}

const rigs: Rig[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function startRig(options: RigOptions = {}): Promise<Rig> {
  const mock = await startMockUpstream(options.mock ?? { profile: { output_tokens: 200 } });
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-admission-'));
  const dbPath = join(dir, 'switchyard.db');
  const { config } = parseConfigObject({
    ...defaultTestConfig(mock.url),
    auth: { master_key: MASTER },
    storage: { url: `sqlite://${dbPath}` },
    ledger: { flush_ms: 5 },
    ...options.config,
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line !== '') logs.push(line);
      callback();
    },
  });
  const gateway = await createGateway(config, {
    logDestination: destination,
    ...(options.clock ? { now: options.clock.now } : {}),
  });
  const server: RunningServer = await startHttpServer(gateway, { host: '127.0.0.1', port: 0 });
  const admission = managedAdmission(gateway.admission);
  if (admission === undefined) throw new Error('the gateway was built without managed admission');
  const rig: Rig = {
    url: server.url,
    gateway,
    admission,
    mock,
    logs,
    dbPath,
    async close() {
      await server.close();
      await gateway.close();
      await mock.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  rigs.push(rig);
  return rig;
}

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  rig: Rig,
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(`${rig.url}${path}`, {
    method,
    headers: {
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

function chat(rig: Rig, key: string, model = 'gpt-4o-mini', extra: Record<string, unknown> = {}) {
  return call(rig, 'POST', '/v1/chat/completions', key, {
    model,
    messages: [{ role: 'user', content: 'Tell me about gateways' }],
    max_tokens: 50,
    ...extra,
  });
}

async function mint(
  rig: Rig,
  spec: Record<string, unknown>,
  by = MASTER,
): Promise<{ id: string; key: string }> {
  const reply = await call(rig, 'POST', '/admin/keys', by, spec);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { id: string; key: string };
}

function errorOf(reply: Reply): { code: string; message: string; details?: Record<string, unknown> } {
  return (reply.body as { error: { code: string; message: string; details?: Record<string, unknown> } })
    .error;
}

async function ledgerOf(rig: Rig, keyId: string) {
  await rig.gateway.ledger.flush();
  return rig.gateway.ledger.query({ keyId, limit: 100_000 });
}

describe('virtual keys', () => {
  it('mints a key shown once, stored only as a hash, listed without secret or hash', async () => {
    const rig = await startRig();
    const created = await mint(rig, {
      name: 'ci',
      models: ['gpt-4o-mini'],
      rpm: 100,
      metadata: { team: 'qa' },
    });
    expect(created.key).toMatch(/^sk-sy-[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: 'ci',
      models: ['gpt-4o-mini'],
      rpm: 100,
      admin: false,
      status: 'active',
    });

    const listed = await call(rig, 'GET', '/admin/keys', MASTER);
    expect(listed.status).toBe(200);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(created.key.slice(10));
    expect(text).not.toContain(createHash('sha256').update(created.key).digest('hex'));
    expect((listed.body.keys as { key_prefix: string }[])[0]?.key_prefix).toBe(
      `${created.key.slice(0, 10)}…`,
    );
    const one = await call(rig, 'GET', `/admin/keys/${created.id}`, MASTER);
    expect(one.body).toMatchObject({ id: created.id, name: 'ci', budget: null });
    expect(JSON.stringify(one.body)).not.toContain(created.key);

    // The database holds the SHA-256 and the display prefix, never the secret.
    const db = new Database(rig.dbPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM virtual_keys').all() as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      expect(rows[0]?.key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
      const secretPart = created.key.slice('sk-sy-'.length + 4);
      for (const value of Object.values(rows[0]!)) expect(String(value)).not.toContain(secretPart);
    } finally {
      db.close();
    }

    const ok = await chat(rig, created.key);
    expect(ok.status).toBe(200);
    const records = await ledgerOf(rig, created.id);
    expect(records).toHaveLength(1);
    expect(JSON.stringify(records)).not.toContain(created.key);
    expect(rig.logs.join('\n')).not.toContain(created.key);
  });

  it('refuses unknown, malformed, revoked and expired keys with 401, never echoing them', async () => {
    const clock = createTestClock(Date.now());
    const rig = await startRig({ clock });
    const created = await mint(rig, { name: 'short-lived', expires_at: clock.now() + 60_000 });
    expect((await chat(rig, created.key)).status).toBe(200);

    const forged = `sk-sy-${'A'.repeat(43)}`;
    for (const bad of [forged, 'sk-sy-short', 'not-a-key-at-all']) {
      const reply = await chat(rig, bad);
      expect(reply.status).toBe(401);
      expect(errorOf(reply).code).toBe('UNAUTHORIZED');
      expect(JSON.stringify(reply.body)).not.toContain(bad);
    }
    expect((await call(rig, 'POST', '/v1/chat/completions', undefined, {})).status).toBe(401);

    clock.advance(60_000);
    const expired = await chat(rig, created.key);
    expect(expired.status).toBe(401);
    expect(errorOf(expired).message).toMatch(/expired/);
  });

  it('revocation takes effect on the very next request', async () => {
    const rig = await startRig();
    const created = await mint(rig, { name: 'to-revoke' });
    expect((await chat(rig, created.key)).status).toBe(200);
    const revoked = await call(rig, 'DELETE', `/admin/keys/${created.id}`, MASTER);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: created.id, revoked: true });
    const after = await chat(rig, created.key);
    expect(after.status).toBe(401);
    expect(errorOf(after).message).toMatch(/revoked/);
    const shown = await call(rig, 'GET', `/admin/keys/${created.id}`, MASTER);
    expect(shown.body).toMatchObject({ status: 'revoked' });
    expect((await call(rig, 'DELETE', '/admin/keys/key_nope', MASTER)).status).toBe(404);
  });

  it('every admin route answers 401 without a key and 403 with a non-admin key', async () => {
    const rig = await startRig();
    const user = await mint(rig, { name: 'user' });
    const adminRoutes = ROUTES.filter((route) => route.access === 'admin');
    expect(adminRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'POST /admin/keys',
        'GET /admin/keys',
        'DELETE /admin/keys/:id',
        'GET /admin/budgets',
      ]),
    );
    for (const route of adminRoutes) {
      const path = route.path.replace(':id', user.id);
      const body = route.method === 'POST' ? { name: 'x' } : undefined;
      const anonymous = await call(rig, route.method, path, undefined, body);
      expect(anonymous.status, `${route.method} ${path}`).toBe(401);
      const forbidden = await call(rig, route.method, path, user.key, body);
      expect(forbidden.status, `${route.method} ${path}`).toBe(403);
      expect(errorOf(forbidden).code).toBe('FORBIDDEN');
    }
  });

  it('a non-admin key cannot mint, read or revoke other keys', async () => {
    const rig = await startRig();
    const user = await mint(rig, { name: 'user' });
    const other = await mint(rig, { name: 'other' });
    expect((await call(rig, 'POST', '/admin/keys', user.key, { name: 'mine' })).status).toBe(403);
    expect((await call(rig, 'GET', `/admin/keys/${other.id}`, user.key)).status).toBe(403);
    expect((await call(rig, 'DELETE', `/admin/keys/${other.id}`, user.key)).status).toBe(403);
    expect((await chat(rig, other.key)).status).toBe(200);
    const listed = await call(rig, 'GET', '/admin/keys', MASTER);
    expect((listed.body.keys as unknown[]).length).toBe(2);
  });

  it('an admin key mints only keys no broader than itself', async () => {
    const rig = await startRig();
    const lead = await mint(rig, {
      name: 'team lead',
      admin: true,
      models: ['gpt-4o-mini'],
      budget_usd: 10,
      budget_window: 'monthly',
      rpm: 100,
      priority: 5,
      project: 'search',
    });
    const refusals: [Record<string, unknown>, string][] = [
      [{ name: 'a', models: ['gpt-4o'], budget_usd: 1, rpm: 10 }, 'models'],
      [{ name: 'b', budget_usd: 1, rpm: 10 }, 'models'],
      [{ name: 'c', models: ['gpt-4o-mini'], rpm: 10 }, 'budget_usd'],
      [{ name: 'd', models: ['gpt-4o-mini'], budget_usd: 11, rpm: 10 }, 'budget_usd'],
      [
        { name: 'e', models: ['gpt-4o-mini'], budget_usd: 5, budget_window: 'daily', rpm: 10 },
        'budget_window',
      ],
      [{ name: 'f', models: ['gpt-4o-mini'], budget_usd: 5 }, 'rpm'],
      [{ name: 'g', models: ['gpt-4o-mini'], budget_usd: 5, rpm: 101 }, 'rpm'],
      [{ name: 'h', models: ['gpt-4o-mini'], budget_usd: 5, rpm: 10, priority: 6 }, 'priority'],
      [{ name: 'i', models: ['gpt-4o-mini'], budget_usd: 5, rpm: 10, project: 'ads' }, 'project'],
    ];
    for (const [spec, field] of refusals) {
      const reply = await call(rig, 'POST', '/admin/keys', lead.key, spec);
      expect(reply.status, JSON.stringify(spec)).toBe(403);
      expect(errorOf(reply).details?.field).toBe(field);
    }
    const child = await mint(
      rig,
      {
        name: 'intern',
        models: ['gpt-4o-mini'],
        budget_usd: 2,
        budget_window: 'total',
        rpm: 10,
        admin: true,
      },
      lead.key,
    );
    // Inherits what cannot widen it; records who made it.
    expect(child).toMatchObject({ priority: 5, project: 'search', created_by: lead.id, admin: true });
    expect((await chat(rig, child.key)).status).toBe(200);
  });

  it('a model the key may not use is refused with 403 naming the model, whichever way it is reached', async () => {
    const rig = await startRig({
      config: { routes: { reliable: { strategy: 'fallback', chain: ['gpt-4o-mini', 'gpt-4o'] } } },
    });
    const narrow = await mint(rig, { name: 'narrow', models: ['gpt-4o-mini'] });
    expect((await chat(rig, narrow.key, 'gpt-4o-mini')).status).toBe(200);
    const refused = await chat(rig, narrow.key, 'gpt-4o');
    expect(refused.status).toBe(403);
    expect(errorOf(refused)).toMatchObject({ code: 'FORBIDDEN', details: { model: 'gpt-4o' } });
    expect(errorOf(refused).message).toContain('gpt-4o');
    // `auto` is fine as long as the plan stays within the key's models.
    expect((await chat(rig, narrow.key, 'auto')).status).toBe(200);
    // A refused request is still recorded, once.
    const records = await ledgerOf(rig, narrow.id);
    expect(records.filter((r) => r.errorCode === 'FORBIDDEN')).toHaveLength(1);
  });
});

describe('rate limits', () => {
  it('a key allowed 60 requests a minute (burst 5) admits 65 of 300 concurrent requests; the rest get 429 with Retry-After', async () => {
    const clock = createTestClock(Date.UTC(2026, 2, 1, 9, 30, 0));
    const rig = await startRig({
      clock,
      config: { rate_limit: { burst: 5 } },
      mock: { profile: { output_tokens: 20, latency_ms: 10 } },
    });
    const limited = await mint(rig, { name: 'limited', rpm: 60 });
    const replies = await Promise.all(Array.from({ length: 300 }, () => chat(rig, limited.key)));
    const ok = replies.filter((r) => r.status === 200);
    const limitedReplies = replies.filter((r) => r.status === 429);
    expect(ok).toHaveLength(65);
    expect(limitedReplies).toHaveLength(235);
    for (const reply of limitedReplies) {
      expect(errorOf(reply).code).toBe('RATE_LIMIT_EXCEEDED');
      expect(reply.headers.get('x-ratelimit-limit-requests')).toBe('65');
      expect(reply.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(reply.headers.get('x-ratelimit-reset-requests')).toBe('2m0s');
      // Everything is in this minute's bucket: room comes back as it slides out of the next one.
      const retryAfter = Number(reply.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(60);
      expect(retryAfter).toBeLessThanOrEqual(120);
    }
    // Upstream saw only the admitted requests.
    expect(rig.mock.invoice.filter((entry) => entry.endpoint === 'chat.completions').length).toBe(65);

    // Two minutes later the window is empty again.
    clock.advance(120_000);
    expect((await chat(rig, limited.key)).status).toBe(200);
  });

  it('the global limit applies to the master key and every virtual key together', async () => {
    const clock = createTestClock(Date.UTC(2026, 2, 1, 9, 30, 0));
    const rig = await startRig({ clock, config: { rate_limit: { requests_per_minute: 4 } } });
    const a = await mint(rig, { name: 'a' });
    expect((await chat(rig, a.key)).status).toBe(200);
    expect((await chat(rig, MASTER)).status).toBe(200);
    expect((await chat(rig, a.key)).status).toBe(200);
    expect((await chat(rig, MASTER)).status).toBe(200);
    const refused = await chat(rig, a.key);
    expect(refused.status).toBe(429);
    expect(errorOf(refused).details).toMatchObject({ scope: 'global', limit_type: 'requests', limit: 4 });
  });

  it('tokens per minute count the estimate at admission and are corrected to real usage', async () => {
    const clock = createTestClock(Date.UTC(2026, 2, 1, 9, 30, 0));
    const rig = await startRig({ clock, mock: { profile: { output_tokens: 10 } } });
    // Each request is estimated at ~8 prompt tokens + max_tokens 400, and really uses ~20.
    const key = await mint(rig, { name: 'tpm', tpm: 1_000 });
    expect((await chat(rig, key.key, 'gpt-4o-mini', { max_tokens: 400 })).status).toBe(200);
    expect((await chat(rig, key.key, 'gpt-4o-mini', { max_tokens: 400 })).status).toBe(200);
    await rig.admission.idle();
    // Without the correction, 2 × ~408 would leave no room for a third 400-token request.
    expect((await chat(rig, key.key, 'gpt-4o-mini', { max_tokens: 400 })).status).toBe(200);
    const tooBig = await chat(rig, key.key, 'gpt-4o-mini', { max_tokens: 2_000 });
    expect(tooBig.status).toBe(429);
    expect(errorOf(tooBig).details).toMatchObject({ scope: 'key', limit_type: 'tokens' });
  });
});

describe('budgets', () => {
  it('500 concurrent requests against a budget for ~50: spend stays within it, nothing is charged twice, every reservation is settled', async () => {
    const rig = await startRig({ mock: { profile: { output_tokens: 200, latency_ms: 5 } } });
    // About 31.8 µ$ per request (≈12 prompt tokens at $0.15/M, 50 answer tokens at $0.60/M).
    const budgetUsd = 0.0016;
    const key = await mint(rig, { name: 'batch', budget_usd: budgetUsd });
    const replies = await Promise.all(Array.from({ length: 500 }, () => chat(rig, key.key)));
    const ok = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status === 402);
    expect(ok.length + refused.length).toBe(500);
    expect(ok.length).toBeGreaterThanOrEqual(30);
    expect(ok.length).toBeLessThanOrEqual(51);
    for (const reply of refused) {
      expect(errorOf(reply)).toMatchObject({
        code: 'BUDGET_EXCEEDED',
        details: { level: 'key', name: key.id, window: 'total' },
      });
    }

    await rig.admission.idle();
    const records = await ledgerOf(rig, key.id);
    expect(records).toHaveLength(500);
    expect(new Set(records.map((r) => r.requestId)).size).toBe(500);
    const charged = records.filter((r) => r.status === 'ok');
    expect(charged).toHaveLength(ok.length);
    const ledgerSpend = records.reduce((sum, r) => sum + r.costNanos, 0);
    const largest = Math.max(...records.map((r) => r.costNanos));

    const view = await rig.admission.keyBudget((await rig.admission.keys.get(key.id))!);
    // The budget counter holds exactly what the ledger charged: nothing twice, nothing lost.
    expect(view?.spentNanos).toBe(ledgerSpend);
    expect(ledgerSpend).toBeLessThanOrEqual(budgetUsd * 1e9 + largest);
    // Every reservation was settled or released.
    const state = await rig.admission.counters.get(view!.counterKey);
    expect(state).toEqual({ used: ledgerSpend, reserved: 0, reservations: 0 });
    // Upstream was called only for admitted requests.
    expect(rig.mock.invoice.filter((entry) => entry.endpoint === 'chat.completions').length).toBe(ok.length);
  });

  it('alerts once at 80%, stops at 100% in the right window, and a new day starts afresh', async () => {
    const hooks: unknown[] = [];
    const hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    servers.push(hookServer);
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/alerts`;

    const clock = createTestClock(Date.UTC(2026, 2, 10, 23, 0, 0));
    const rig = await startRig({
      clock,
      config: { budgets: { alert_threshold: 0.8, webhook_url: hookUrl } },
    });
    const key = await mint(rig, { name: 'daily', budget_usd: 0.0004, budget_window: 'daily' });

    let served = 0;
    let stop: Reply | undefined;
    const alertsAfter: number[] = [];
    for (let i = 0; i < 40 && stop === undefined; i++) {
      const reply = await chat(rig, key.key);
      await rig.admission.idle();
      if (reply.status === 200) {
        served++;
        alertsAfter.push(hooks.length);
      } else stop = reply;
    }
    expect(stop?.status).toBe(402);
    expect(errorOf(stop!)).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      details: { level: 'key', window: 'daily', period: '2026-03-10', resets_at: '2026-03-11T00:00:00.000Z' },
    });
    const records = (await ledgerOf(rig, key.id)).filter((r) => r.status === 'ok');
    const perRequest = records[0]!.costNanos;
    const limit = 400_000;
    // The alert went out exactly once, with the first request that took spend past 80%.
    expect(hooks).toHaveLength(1);
    const firstPast = Math.ceil((0.8 * limit) / perRequest);
    expect(alertsAfter.indexOf(1) + 1).toBe(firstPast);
    expect(hooks[0]).toMatchObject({
      event: 'budget.alert',
      level: 'key',
      name: key.id,
      window: 'daily',
      period: '2026-03-10',
      limit_usd: 0.0004,
      threshold: 0.8,
    });
    expect(rig.logs.filter((line) => line.includes('"budget alert"'))).toHaveLength(1);
    const metrics = await (await fetch(`${rig.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_budget_alerts_total{level="key"} 1');
    // The hard stop: spend never passed the limit, and the refused request would have.
    const spent = records.reduce((sum, r) => sum + r.costNanos, 0);
    expect(spent).toBeLessThanOrEqual(limit);
    expect(served).toBe(records.length);
    expect(spent + perRequest).toBeGreaterThan(limit - perRequest);

    const budgets = await call(rig, 'GET', '/admin/budgets', MASTER);
    expect(budgets.body.budgets).toEqual([
      expect.objectContaining({
        level: 'key',
        name: key.id,
        period: '2026-03-10',
        alert_sent: true,
        status: 'alert',
      }),
    ]);

    // Past midnight UTC the daily budget starts from zero.
    clock.set(Date.UTC(2026, 2, 11, 0, 0, 1));
    expect((await chat(rig, key.key)).status).toBe(200);
    const next = await call(rig, 'GET', `/admin/keys/${key.id}`, MASTER);
    expect(next.body.budget).toMatchObject({ period: '2026-03-11', spent_usd: perRequest / 1e9 });
  });

  it('reserves at every level all or nothing: a refusal by the key budget gives the global reservation back', async () => {
    const rig = await startRig({
      config: { budgets: { daily_limit_usd: 1, projects: { search: { monthly_limit_usd: 1 } } } },
    });
    const poor = await mint(rig, { name: 'poor', budget_usd: 0.00001, project: 'search' });
    const refused = await chat(rig, poor.key);
    expect(refused.status).toBe(402);
    expect(errorOf(refused).details).toMatchObject({ level: 'key' });
    await rig.admission.idle();
    const views = await rig.admission.budgets();
    expect(views.map((v) => [v.level, v.window, v.spentNanos, v.reservedNanos])).toEqual([
      ['global', 'daily', 0, 0],
      ['project', 'monthly', 0, 0],
      ['key', 'total', 0, 0],
    ]);
    // A request that fits is charged at every level.
    const rich = await mint(rig, { name: 'rich', budget_usd: 1, project: 'search' });
    expect((await chat(rig, rich.key)).status).toBe(200);
    await rig.admission.idle();
    const [record] = await ledgerOf(rig, rich.id);
    const after = await rig.admission.budgets();
    const spentBy = (level: string, name?: string) =>
      after.find((v) => v.level === level && (name === undefined || v.name === name))?.spentNanos;
    expect(spentBy('global')).toBe(record!.costNanos);
    expect(spentBy('project')).toBe(record!.costNanos);
    expect(spentBy('key', rich.id)).toBe(record!.costNanos);
  });

  it('x-switchyard-max-cost caps the reservation at the cap', async () => {
    const rig = await startRig();
    // Without max_tokens, gpt-4o could write 4,096 tokens at $10/M: $0.04 worst case, over this budget.
    const key = await mint(rig, { name: 'capped', budget_usd: 0.004 });
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Tell me about gateways' }] };
    const uncapped = await call(rig, 'POST', '/v1/chat/completions', key.key, body);
    expect(uncapped.status).toBe(402);
    expect(errorOf(uncapped).details).toMatchObject({ level: 'key', request_max_usd: expect.any(Number) });
    expect(errorOf(uncapped).details?.request_max_usd).toBeGreaterThan(0.04);
    // Capped at $0.003, the reservation fits and the request goes through.
    const capped = await call(rig, 'POST', '/v1/chat/completions', key.key, body, {
      'x-switchyard-max-cost': '0.003',
    });
    expect(capped.status, JSON.stringify(capped.body)).toBe(200);
    // Settled, the reservation gives way to the real cost.
    await rig.admission.idle();
    const view = await rig.admission.keyBudget((await rig.admission.keys.get(key.id))!);
    expect(view?.reservedNanos).toBe(0);
    expect(view?.spentNanos).toBeGreaterThan(0);
  });
});
