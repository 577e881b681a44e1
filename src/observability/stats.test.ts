import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { nearestRank } from './quantile-sketch.js';
import type { RequestOutcome } from './request-outcome.js';
import { createRequestStats, formatTimeRange, parseTimeRange } from './stats.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.UTC(2025, 0, 1, 12, 0, 0);

function clock(start = START) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

function outcome(overrides: Partial<RequestOutcome> = {}): RequestOutcome {
  return {
    endpoint: '/v1/chat/completions',
    model: 'gpt-4o-mini',
    provider: 'openai',
    status: 'ok',
    durationMs: 100,
    inputTokens: 10,
    outputTokens: 5,
    costNanos: 1_000,
    stream: false,
    ...overrides,
  };
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
}

describe('createRequestStats', () => {
  it('adds up totals, errors and per-model figures', () => {
    const time = clock();
    const stats = createRequestStats({ now: time.now });
    stats.record(outcome({ costNanos: 1_500_000 }));
    stats.record(
      outcome({ status: 'error', errorCode: 'TIMEOUT', durationMs: 30_000, inputTokens: 0, outputTokens: 0 }),
    );
    stats.record(outcome({ model: 'claude-3-5-haiku', provider: 'anthropic', stream: true, ttftMs: 250 }));
    stats.record(outcome({ model: 'claude-3-5-haiku', status: 'cancelled', ttftMs: 400 }));
    const snapshot = stats.query({ timeRangeMs: HOUR });
    expect(snapshot.time_range).toBe('1h');
    expect(snapshot.until).toBe(new Date(START).toISOString());
    expect(snapshot.since).toBe(new Date(START - HOUR).toISOString());
    expect(snapshot.totals).toEqual({
      requests: 4,
      success: 2,
      failed: 1,
      cancelled: 1,
      input_tokens: 30,
      output_tokens: 15,
      cost_usd: 0.001503,
    });
    expect(snapshot.errors).toEqual({ TIMEOUT: 1, CANCELLED: 1 });
    expect(snapshot.latency_ms.avg).toBeCloseTo(7575, 6);
    expect(snapshot.latency_ms.p99).toBeCloseTo(30_000, -3);
    expect(snapshot.ttft_ms.p50).toBeCloseTo(250, -1);
    // With two values, p50 is the smaller (exact minimum) and p95/p99 the larger (exact maximum).
    expect(snapshot.models['gpt-4o-mini']).toEqual({
      requests: 2,
      failed: 1,
      cost_usd: 0.001501,
      latency_ms: { p50: 100, p95: 30_000, p99: 30_000 },
    });
    expect(snapshot.models['claude-3-5-haiku']?.requests).toBe(2);

    const one = stats.query({ timeRangeMs: HOUR, model: 'claude-3-5-haiku' });
    expect(Object.keys(one.models)).toEqual(['claude-3-5-haiku']);
    expect(one.totals.requests).toBe(2);
    expect(one.errors).toEqual({ CANCELLED: 1 });
    expect(one.ttft_ms.p99).toBeCloseTo(400, -1);
  });

  it('reports zeros, not NaN, for a window without traffic', () => {
    const snapshot = createRequestStats({ now: clock().now }).query({ timeRangeMs: HOUR });
    expect(snapshot.totals.requests).toBe(0);
    expect(snapshot.latency_ms).toEqual({ avg: 0, p50: 0, p95: 0, p99: 0 });
    expect(snapshot.models).toEqual({});
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('reads p50/p95/p99 within 2% of the exact values over many minutes of random traffic', () => {
    const time = clock();
    const stats = createRequestStats({ now: time.now });
    const next = random(2024);
    const latencies: number[] = [];
    const ttfts: number[] = [];
    for (let i = 0; i < 30_000; i++) {
      // Log-normal-ish latencies from ~20 ms to minutes, spread over 50 minutes.
      const latency = Math.exp(6 + 1.5 * (next() + next() + next() - 1.5));
      const ttft = latency * (0.05 + 0.2 * next());
      latencies.push(latency);
      ttfts.push(ttft);
      stats.record(outcome({ durationMs: latency, ttftMs: ttft, model: i % 2 === 0 ? 'a' : 'b' }));
      if (i % 600 === 599) time.advance(MINUTE);
    }
    const snapshot = stats.query({ timeRangeMs: HOUR });
    expect(snapshot.totals.requests).toBe(30_000);
    const check = (values: number[], got: { p50: number; p95: number; p99: number }) => {
      const sorted = [...values].sort((x, y) => x - y);
      for (const [q, estimate] of [
        [0.5, got.p50],
        [0.95, got.p95],
        [0.99, got.p99],
      ] as const) {
        const exact = sorted[nearestRank(q, sorted.length) - 1]!;
        // 2% from the sketch, plus the rounding of the output to 0.01 ms.
        expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(0.02 * exact + 0.005);
      }
    };
    check(latencies, snapshot.latency_ms);
    check(ttfts, snapshot.ttft_ms);
    check(
      latencies.filter((_, i) => i % 2 === 0),
      snapshot.models['a']!.latency_ms,
    );
    expect(snapshot.latency_ms.avg).toBeCloseTo(latencies.reduce((s, v) => s + v, 0) / latencies.length, 1);
  });

  it('rolls minutes over: old minutes leave short windows, and slots are reused after the retention', () => {
    const time = clock();
    const stats = createRequestStats({ now: time.now, retentionMs: 10 * MINUTE });
    stats.record(outcome({ model: 'old' }));
    time.advance(2 * MINUTE);
    stats.record(outcome({ model: 'new' }));
    expect(Object.keys(stats.query({ timeRangeMs: MINUTE }).models)).toEqual(['new']);
    expect(Object.keys(stats.query({ timeRangeMs: 5 * MINUTE }).models).sort()).toEqual(['new', 'old']);

    // 11 minutes later the ring slot of "old" holds a new minute: it must not be mixed in.
    time.advance(9 * MINUTE);
    stats.record(outcome({ model: 'newest' }));
    const all = stats.query({ timeRangeMs: HOUR });
    expect(all.time_range).toBe('10m');
    expect(Object.keys(all.models).sort()).toEqual(['new', 'newest']);
    time.advance(20 * MINUTE);
    expect(stats.query({ timeRangeMs: HOUR }).totals.requests).toBe(0);
  });

  it('keeps memory bounded by retention and model count, whatever the traffic', () => {
    const time = clock();
    const retentionMs = 30 * MINUTE;
    const stats = createRequestStats({ now: time.now, retentionMs, maxModelsPerMinute: 8 });
    const next = random(5);
    for (let i = 0; i < 300_000; i++) {
      stats.record(outcome({ model: `model-${i % 50}`, durationMs: 1 + next() * 100_000 }));
      if (i % 1000 === 999) time.advance(MINUTE / 2); // 150 minutes: five times the retention
    }
    const { minutes, hours, series, buckets } = stats.footprint();
    expect(minutes).toBeLessThanOrEqual(31);
    expect(hours).toBeLessThanOrEqual(2);
    expect(series).toBeLessThanOrEqual((31 + 2) * 9);
    // ~630 buckets cover 1 µs to a day; 1 ms to 100 s needs about 290 of them per sketch.
    expect(buckets / series).toBeLessThanOrEqual(512);
    const snapshot = stats.query({ timeRangeMs: HOUR });
    expect(Object.keys(snapshot.models)).toContain('other');
    expect(Object.keys(snapshot.models).length).toBeLessThanOrEqual(50 + 1);
  });
});

describe('parseTimeRange', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 15 * MINUTE],
    ['1h', HOUR],
    ['7d', 7 * 24 * HOUR],
    ['2w', 14 * 24 * HOUR],
    ['500ms', 500],
    [' 24h ', 24 * HOUR],
  ])('reads %s', (input, ms) => {
    expect(parseTimeRange(input)).toBe(ms);
  });

  it.each(['', '1', 'h', '0m', '-5m', '1.5h', '1y', '1H', '10 m', 'abc', '9999999999h'])(
    'rejects %j as an invalid request naming time_range',
    (input) => {
      let thrown: unknown;
      try {
        parseTimeRange(input);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(GatewayError);
      const error = thrown as GatewayError;
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.status).toBe(400);
      expect(error.details).toEqual({ field: 'time_range' });
      expect(error.message).toContain('time_range');
    },
  );

  it('formats ranges in the shortest unit that divides them', () => {
    expect(formatTimeRange(HOUR)).toBe('1h');
    expect(formatTimeRange(90_000)).toBe('90s');
    expect(formatTimeRange(7 * 24 * HOUR)).toBe('7d');
    expect(formatTimeRange(1500)).toBe('1500ms');
  });
});
