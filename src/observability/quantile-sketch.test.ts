import { describe, expect, it } from 'vitest';
import {
  MAX_BUCKETS,
  MergedQuantiles,
  nearestRank,
  QuantileSketch,
  RELATIVE_ACCURACY,
} from './quantile-sketch.js';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
}

function exactQuantile(sorted: number[], q: number): number {
  return sorted[nearestRank(q, sorted.length) - 1]!;
}

const QS = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

describe('QuantileSketch', () => {
  it.each([
    ['log-uniform 0.01 ms … 10 min', (r: () => number) => 10 ** (-2 + r() * 7.8)],
    ['uniform 50 … 5000 ms', (r: () => number) => 50 + r() * 4950],
    ['exponential, mean 800 ms', (r: () => number) => -800 * Math.log(r())],
    [
      'bimodal cache hits and slow calls',
      (r: () => number) => (r() < 0.3 ? 0.2 + r() : 20_000 + r() * 40_000),
    ],
  ])('estimates every quantile within 2%% of the exact one: %s', (_name, draw) => {
    const next = random(99);
    const values: number[] = [];
    const sketches = Array.from({ length: 7 }, () => new QuantileSketch());
    for (let i = 0; i < 20_000; i++) {
      const value = draw(next);
      values.push(value);
      sketches[i % sketches.length]!.add(value);
    }
    const merged = new MergedQuantiles();
    for (const sketch of sketches) merged.merge(sketch);
    values.sort((a, b) => a - b);
    const estimates = merged.quantiles(QS);
    QS.forEach((q, i) => {
      const exact = exactQuantile(values, q);
      expect(Math.abs(estimates[i]! - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-12);
    });
    expect(merged.count).toBe(values.length);
    expect(merged.min).toBe(values[0]);
    expect(merged.max).toBe(values[values.length - 1]);
  });

  it('returns the exact value when all values are equal, and zeros when empty', () => {
    const sketch = new QuantileSketch();
    for (let i = 0; i < 100; i++) sketch.add(123.4);
    const merged = new MergedQuantiles();
    merged.merge(sketch);
    expect(merged.quantiles([0.5, 0.99])).toEqual([123.4, 123.4]);
    expect(new MergedQuantiles().quantiles([0.5])).toEqual([0]);
  });

  it('keeps zero, sub-microsecond, huge and non-finite values from breaking it', () => {
    const sketch = new QuantileSketch();
    for (const value of [0, 0, 1e-9, 5, 1e12, Number.NaN, Number.POSITIVE_INFINITY]) sketch.add(value);
    const merged = new MergedQuantiles();
    merged.merge(sketch);
    expect(merged.count).toBe(5);
    expect(merged.quantiles([0.2, 0.8, 1])).toEqual([0, expect.closeTo(5, 0) as number, 1e12]);
    expect(sketch.buckets).toBeLessThanOrEqual(MAX_BUCKETS + 1);
  });

  it('stores only the range of buckets it has seen', () => {
    const sketch = new QuantileSketch();
    const next = random(3);
    for (let i = 0; i < 10_000; i++) sketch.add(800 + next() * 400);
    // 800–1200 ms spans ln(1.5)/ln(γ) ≈ 10 buckets: the initial allocation holds them.
    expect(sketch.buckets).toBeLessThanOrEqual(32);
  });
});
