import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, DURATION_BUCKETS, operationName } from './metrics.js';
import type { RequestOutcome } from './request-outcome.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it for these tests: no escapes in values). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = JSON.parse(pair.slice(eq + 1)) as string;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = find(samples, name, labels);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}

const OK: RequestOutcome = {
  endpoint: '/v1/chat/completions',
  model: 'gpt-4o-mini',
  provider: 'openai',
  status: 'ok',
  durationMs: 1500,
  ttftMs: 300,
  inputTokens: 120,
  outputTokens: 30,
  costNanos: 36_000,
  stream: true,
  cacheHit: false,
};

describe('createMetrics', () => {
  it('exposes a successful request in the GenAI and Switchyard metrics', async () => {
    const metrics = createMetrics({ enabled: true });
    metrics.recordRequest(OK);
    metrics.recordRequest({ ...OK, durationMs: 30_000, stream: false, ttftMs: undefined, cacheHit: true });
    const samples = parse(await metrics.text());
    const genAi = {
      gen_ai_operation_name: 'chat',
      gen_ai_request_model: 'gpt-4o-mini',
      gen_ai_provider_name: 'openai',
    };

    const durationName = 'gen_ai_client_operation_duration_seconds';
    expect(value(samples, `${durationName}_count`, genAi)).toBe(2);
    expect(value(samples, `${durationName}_sum`, genAi)).toBeCloseTo(31.5, 9);
    expect(value(samples, `${durationName}_bucket`, { ...genAi, le: '1.28' })).toBe(0);
    expect(value(samples, `${durationName}_bucket`, { ...genAi, le: '2.56' })).toBe(1);
    expect(value(samples, `${durationName}_bucket`, { ...genAi, le: '20.48' })).toBe(1);
    expect(value(samples, `${durationName}_bucket`, { ...genAi, le: '40.96' })).toBe(2);
    expect(value(samples, `${durationName}_bucket`, { ...genAi, le: '+Inf' })).toBe(2);
    expect(find(samples, `${durationName}_bucket`, genAi)).toHaveLength(DURATION_BUCKETS.length + 1);
    expect(find(samples, `${durationName}_count`)[0]!.labels).not.toHaveProperty('error_type');

    expect(value(samples, 'gen_ai_client_token_usage_sum', { ...genAi, gen_ai_token_type: 'input' })).toBe(
      240,
    );
    expect(
      value(samples, 'gen_ai_client_token_usage_bucket', { ...genAi, gen_ai_token_type: 'output', le: '16' }),
    ).toBe(0);
    expect(
      value(samples, 'gen_ai_client_token_usage_bucket', { ...genAi, gen_ai_token_type: 'output', le: '64' }),
    ).toBe(2);
    // Only the streamed request has a time to first token.
    expect(value(samples, 'gen_ai_server_time_to_first_token_seconds_count', genAi)).toBe(1);
    expect(value(samples, 'gen_ai_server_time_to_first_token_seconds_sum', genAi)).toBeCloseTo(0.3, 9);

    const requestLabels = {
      endpoint: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      provider: 'openai',
      status: 'ok',
    };
    expect(value(samples, 'switchyard_requests_total', requestLabels)).toBe(2);
    expect(value(samples, 'switchyard_tokens_total', { model: 'gpt-4o-mini', type: 'input' })).toBe(240);
    expect(value(samples, 'switchyard_tokens_total', { model: 'gpt-4o-mini', type: 'output' })).toBe(60);
    expect(
      value(samples, 'switchyard_cost_usd_total', { model: 'gpt-4o-mini', provider: 'openai' }),
    ).toBeCloseTo(0.000072, 12);
    expect(value(samples, 'switchyard_cache_lookups_total', { result: 'hit' })).toBe(1);
    expect(value(samples, 'switchyard_cache_lookups_total', { result: 'miss' })).toBe(1);
  });

  it('labels failures with their error code and leaves out usage that was never reported', async () => {
    const metrics = createMetrics({ enabled: true });
    const failed: RequestOutcome = {
      ...OK,
      status: 'error',
      errorCode: 'TIMEOUT',
      inputTokens: 0,
      outputTokens: 0,
      costNanos: 0,
    };
    metrics.recordRequest(failed);
    metrics.recordRequest({ ...failed, status: 'cancelled', errorCode: undefined });
    metrics.recordRequest({ ...failed, errorCode: undefined });
    const samples = parse(await metrics.text());
    const duration = 'gen_ai_client_operation_duration_seconds_count';
    expect(value(samples, duration, { error_type: 'TIMEOUT' })).toBe(1);
    expect(value(samples, duration, { error_type: 'cancelled' })).toBe(1);
    expect(value(samples, duration, { error_type: '_OTHER' })).toBe(1);
    expect(value(samples, 'switchyard_requests_total', { status: 'error', code: 'TIMEOUT' })).toBe(1);
    expect(value(samples, 'switchyard_requests_total', { status: 'cancelled', code: 'cancelled' })).toBe(1);
    expect(find(samples, 'gen_ai_client_token_usage_count')).toEqual([]);
    expect(find(samples, 'gen_ai_server_time_to_first_token_seconds_count')).toEqual([]);
  });

  it('names the operation after the endpoint with the spec values', () => {
    expect(operationName('/v1/chat/completions')).toBe('chat');
    expect(operationName('/v1/messages')).toBe('chat');
    expect(operationName('/v1/embeddings')).toBe('embeddings');
    expect(operationName('/v1/completions')).toBe('text_completion');
  });

  it('records attempts and the gauges', async () => {
    const metrics = createMetrics({ enabled: true, prefix: 'sy_' });
    metrics.recordAttempt({
      model: 'm',
      provider: 'p',
      deployment: 'p/m#0',
      status: 'error',
      errorCode: 'MODEL_ERROR',
      durationMs: 200,
    });
    metrics.recordAttempt({ model: 'm', provider: 'p', deployment: 'p/m#0', status: 'ok', durationMs: 900 });
    metrics.setCircuitState('p/m#0', 'open');
    metrics.setCircuitState('p/m#1', 'half_open');
    metrics.setCircuitState('p/m#1', 'closed');
    metrics.setQueueDepth(7);
    metrics.setInFlight('p/m#0', 3);
    metrics.setInFlight('p/m#0', 2);
    const samples = parse(await metrics.text());
    expect(
      value(samples, 'sy_attempts_total', { status: 'error', code: 'MODEL_ERROR', deployment: 'p/m#0' }),
    ).toBe(1);
    expect(value(samples, 'sy_attempts_total', { status: 'ok' })).toBe(1);
    expect(value(samples, 'sy_attempt_duration_seconds_count', { status: 'ok' })).toBe(1);
    expect(value(samples, 'sy_circuit_state', { deployment: 'p/m#0' })).toBe(2);
    expect(value(samples, 'sy_circuit_state', { deployment: 'p/m#1' })).toBe(0);
    expect(value(samples, 'sy_queue_depth')).toBe(7);
    expect(value(samples, 'sy_inflight_requests', { deployment: 'p/m#0' })).toBe(2);
    expect(find(samples, 'switchyard_requests_total')).toEqual([]);
  });

  it('caps the label sets of each metric and folds the rest into "other", keeping closed labels', async () => {
    const metrics = createMetrics({ enabled: true, maxSeriesPerMetric: 5 });
    for (let i = 0; i < 200; i++) {
      metrics.recordRequest({
        ...OK,
        model: `model-${i}`,
        status: i % 2 === 0 ? 'ok' : 'error',
        errorCode: 'TIMEOUT',
      });
    }
    const samples = parse(await metrics.text());
    const requests = find(samples, 'switchyard_requests_total');
    expect(requests.length).toBeLessThanOrEqual(5 + 2);
    expect(requests.reduce((sum, s) => sum + s.value, 0)).toBe(200);
    const overflow = find(samples, 'switchyard_requests_total', { model: 'other', provider: 'other' });
    expect(overflow.map((s) => s.labels.status).sort()).toEqual(['error', 'ok']);
    const durationSeries = find(samples, 'gen_ai_client_operation_duration_seconds_count');
    expect(durationSeries.length).toBeLessThanOrEqual(5 + 2);
    expect(durationSeries.reduce((sum, s) => sum + s.value, 0)).toBe(200);
  });

  it('keeps each gateway in its own registry, away from the global one', async () => {
    const a = createMetrics({ enabled: true });
    const b = createMetrics({ enabled: true });
    a.recordRequest(OK);
    expect(value(parse(await a.text()), 'switchyard_requests_total')).toBe(1);
    expect(find(parse(await b.text()), 'switchyard_requests_total')).toEqual([]);
    expect(await globalRegistry.metrics()).not.toContain('switchyard_');
    expect(a.contentType).toContain('text/plain');
  });

  it('starts again from zero after a registry reset', async () => {
    const metrics = createMetrics({ enabled: true });
    const attempt = { model: 'm', provider: 'p', deployment: 'd', status: 'ok', durationMs: 5 } as const;
    metrics.recordRequest(OK);
    metrics.recordAttempt(attempt);
    metrics.registry.resetMetrics();
    metrics.recordRequest(OK);
    metrics.recordAttempt(attempt);
    const samples = parse(await metrics.text());
    expect(value(samples, 'switchyard_requests_total')).toBe(1);
    expect(value(samples, 'switchyard_attempts_total')).toBe(1);
  });

  it('counts each label set apart, whether a request repeats the last one or not', async () => {
    const metrics = createMetrics({ enabled: true });
    const other = { ...OK, model: 'gpt-4o' };
    const failed = { ...OK, status: 'error', errorCode: 'TIMEOUT' } as const;
    for (const outcome of [
      OK,
      OK,
      other,
      OK,
      failed,
      failed,
      { ...failed, errorCode: 'MODEL_ERROR' },
      other,
    ]) {
      metrics.recordRequest(outcome);
      metrics.recordAttempt({
        model: outcome.model,
        provider: outcome.provider,
        deployment: 'd1',
        status: outcome.status,
        ...(outcome.status === 'ok' ? {} : { errorCode: outcome.errorCode }),
        durationMs: 10,
      });
    }
    const samples = parse(await metrics.text());
    const requests = (labels: Record<string, string>) => value(samples, 'switchyard_requests_total', labels);
    expect(requests({ model: 'gpt-4o-mini', status: 'ok' })).toBe(3);
    expect(requests({ model: 'gpt-4o', status: 'ok' })).toBe(2);
    expect(requests({ model: 'gpt-4o-mini', code: 'TIMEOUT' })).toBe(2);
    expect(requests({ model: 'gpt-4o-mini', code: 'MODEL_ERROR' })).toBe(1);
    const attempts = (labels: Record<string, string>) => value(samples, 'switchyard_attempts_total', labels);
    expect(attempts({ model: 'gpt-4o-mini', status: 'ok' })).toBe(3);
    expect(attempts({ model: 'gpt-4o', status: 'ok' })).toBe(2);
    expect(attempts({ model: 'gpt-4o-mini', code: 'TIMEOUT' })).toBe(2);
    expect(attempts({ model: 'gpt-4o-mini', code: 'MODEL_ERROR' })).toBe(1);
  });

  it('does nothing when disabled', async () => {
    const metrics = createMetrics({ enabled: false });
    metrics.recordRequest(OK);
    metrics.setQueueDepth(3);
    expect(await metrics.text()).toBe('');
  });

  it('records a request in well under the hot-path budget', () => {
    const metrics = createMetrics({ enabled: true });
    const outcomes = ['gpt-4o-mini', 'claude-3-5-haiku', 'gemini-2.0-flash'].map((model) => ({
      ...OK,
      model,
    }));
    const rounds = 200_000;
    for (let i = 0; i < rounds; i++) metrics.recordRequest(outcomes[i % 3]!);
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) metrics.recordRequest(outcomes[i % 3]!);
    const nsPerOp = Number(process.hrtime.bigint() - start) / rounds;
    // The target is < 2 µs; the bound is loose so a loaded CI machine does not fail it.
    expect(nsPerOp).toBeLessThan(20_000);
  });
});
