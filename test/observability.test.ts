/**
 * Metrics, JSON stats and logs after real traffic: Prometheus text with OpenTelemetry GenAI
 * names, `/v1/metrics` totals and percentiles, structured log lines without secrets.
 */

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness.js';

let h: Harness;
const PROVIDER_KEY = 'sk-test-provider-key-0123456789';

beforeAll(async () => {
  h = await startHarness();
  const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'x', maxRetries: 0 });
  for (let i = 0; i < 4; i++) {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `hello ${i}` }],
    });
  }
  await client.chat.completions
    .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'boom [[mock:fault=http_503]]' }] })
    .catch(() => undefined);
});
afterAll(() => h.close());

describe('observability', () => {
  it('exposes Prometheus metrics with GenAI names and per-model labels', async () => {
    const response = await fetch(`${h.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(
      /gen_ai_client_operation_duration_seconds_count\{[^}]*gen_ai_request_model="gpt-4o-mini"[^}]*\} 4/,
    );
    expect(text).toMatch(/gen_ai_client_token_usage_(count|bucket)\{[^}]*gen_ai_token_type="input"/);
    expect(text).toMatch(/switchyard_requests_total\{[^}]*model="gpt-4o"[^}]*status="error"[^}]*\} 1/);
    expect(text).toMatch(/switchyard_cost_usd_total\{[^}]*model="gpt-4o-mini"[^}]*\} [0-9.e-]+/);
    expect(text).not.toContain(PROVIDER_KEY);
  });

  it('answers /v1/metrics with totals and percentiles over a time range and per model', async () => {
    const all = (await (await fetch(`${h.url}/v1/metrics?time_range=1h`)).json()) as {
      totals: { requests: number; success: number; failed: number; cost_usd: number };
      latency_ms: { p50: number; p95: number; p99: number };
      models: Record<string, { requests: number; failed: number }>;
      errors: Record<string, number>;
    };
    expect(all.totals).toMatchObject({ requests: 5, success: 4, failed: 1 });
    expect(all.totals.cost_usd).toBeGreaterThan(0);
    expect(all.latency_ms.p99).toBeGreaterThanOrEqual(all.latency_ms.p50);
    expect(all.models['gpt-4o']).toMatchObject({ requests: 1, failed: 1 });
    expect(Object.values(all.errors).reduce((a, b) => a + b, 0)).toBe(1);
    const one = (await (await fetch(`${h.url}/v1/metrics?time_range=15m&model=gpt-4o-mini`)).json()) as {
      totals: { requests: number };
    };
    expect(one.totals.requests).toBe(4);
    const bad = await fetch(`${h.url}/v1/metrics?time_range=forever`);
    expect(bad.status).toBe(400);
  });

  it('reports model status and health', async () => {
    const status = (await (await fetch(`${h.url}/models/gpt-4o-mini/status`)).json()) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({ name: 'gpt-4o-mini', status: 'available', requests_5m: 4, errors: 0 });
    const health = (await (await fetch(`${h.url}/v1/health`)).json()) as {
      status: string;
      models: Record<string, { available: boolean; success_rate: number | null }>;
    };
    expect(health.status).toBe('healthy');
    expect(health.models['gpt-4o-mini']).toMatchObject({ available: true, success_rate: 1 });
    expect(health.models['gpt-4o']).toMatchObject({ available: true, success_rate: 0 });
  });

  it('writes structured JSON logs without the provider key', async () => {
    h.gateway.logger.warn('probe line', { model: 'gpt-4o-mini', upstream: `Bearer ${PROVIDER_KEY}` });
    await h.gateway.logger.flush();
    const probe = h.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((l) => l.message === 'probe line');
    expect(probe).toMatchObject({ level: 'warn', service: 'switchyard', details: { model: 'gpt-4o-mini' } });
    expect(typeof probe?.timestamp).toBe('string');
    expect(h.logs.join('\n')).not.toContain(PROVIDER_KEY.slice(5, 20));
  });
});
