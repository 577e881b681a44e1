import { describe, expect, it } from 'vitest';
import type { Deployment } from '../registry/registry.js';
import { createDeploymentStats } from './deployment-stats.js';
import { createLoadBalancer } from './load-balancer.js';

function deployments(weights: number[], extra: Partial<Deployment>[] = []): Deployment[] {
  return weights.map(
    (weight, index) =>
      ({
        id: `m@p${index}`,
        weight,
        limits: {},
        prices: { inputPerMTok: 1, outputPerMTok: 1 },
        ...extra[index],
      }) as Deployment,
  );
}

function picks(n: number, pick: () => Deployment): string[] {
  return Array.from({ length: n }, () => pick().id);
}

describe('load balancer policies', () => {
  it('round-robin takes each in turn, ignoring weights', () => {
    const b = createLoadBalancer('round-robin', { stats: createDeploymentStats() });
    const d = deployments([5, 1, 1]);
    expect(picks(6, () => b.pick('m', d, 0))).toEqual(['m@p0', 'm@p1', 'm@p2', 'm@p0', 'm@p1', 'm@p2']);
  });

  it('weighted gives each its share without bursts (smooth WRR)', () => {
    const b = createLoadBalancer('weighted', { stats: createDeploymentStats() });
    const d = deployments([5, 1, 1]);
    expect(picks(7, () => b.pick('m', d, 0))).toEqual([
      'm@p0',
      'm@p0',
      'm@p1',
      'm@p0',
      'm@p2',
      'm@p0',
      'm@p0',
    ]);
  });

  it('least-busy picks the fewest in flight per unit of weight', () => {
    const stats = createDeploymentStats();
    const b = createLoadBalancer('least-busy', { stats });
    const d = deployments([1, 1, 2]);
    stats.begin('m@p0');
    stats.begin('m@p2');
    stats.begin('m@p2');
    expect(b.pick('m', d, 0).id).toBe('m@p1');
    stats.begin('m@p1');
    stats.begin('m@p1');
    // p0: (1+1)/1 = 2, p1: (2+1)/1 = 3, p2: (2+1)/2 = 1.5
    expect(b.pick('m', d, 0).id).toBe('m@p2');
  });

  it('lowest-latency tries unmeasured deployments first, then prefers the faster, and follows a swap', () => {
    let now = 0;
    const stats = createDeploymentStats(() => now);
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const b = createLoadBalancer('lowest-latency', { stats, random });
    const d = deployments([1, 1]);
    const first = b.pick('m', d, 0).id;
    stats.observeLatency(first, first === 'm@p0' ? 20 : 200, now);
    const second = b.pick('m', d, 0).id;
    expect(second).not.toBe(first);
    stats.observeLatency(second, second === 'm@p0' ? 20 : 200, now);
    const latency = { 'm@p0': 20, 'm@p1': 200 };
    const run = (n: number) => {
      const counts: Record<string, number> = { 'm@p0': 0, 'm@p1': 0 };
      for (let i = 0; i < n; i++) {
        now += 50;
        const id = b.pick('m', d, 0).id;
        counts[id]!++;
        stats.observeLatency(id, latency[id as keyof typeof latency], now);
      }
      return counts;
    };
    const before = run(200);
    expect(before['m@p0']).toBeGreaterThan(180);
    latency['m@p0'] = 200;
    latency['m@p1'] = 20;
    const after = run(400);
    expect(after['m@p1']).toBeGreaterThan(after['m@p0']! * 3);
  });

  it('lowest-cost picks the cheapest deployment', () => {
    const b = createLoadBalancer('lowest-cost', {
      stats: createDeploymentStats(),
      priceOf: (d) => d.prices.inputPerMTok,
    });
    const d = deployments([1, 1, 1], [{}, { prices: { inputPerMTok: 0.5, outputPerMTok: 1 } }, {}]);
    expect(b.pick('m', d, 0).id).toBe('m@p1');
  });

  it('quota-aware picks the deployment furthest from its limits', () => {
    let now = 0;
    const stats = createDeploymentStats(() => now);
    const b = createLoadBalancer('quota-aware', { stats });
    const d = deployments([1, 1], [{ limits: { rpm: 10 } }, { limits: { rpm: 100 } }]);
    for (let i = 0; i < 5; i++) stats.begin('m@p0', now);
    for (let i = 0; i < 60; i++) stats.begin('m@p1', now);
    // p0 has 4/10 left after this one, p1 39/100.
    expect(b.pick('m', d, 0).id).toBe('m@p0');
    for (let i = 0; i < 3; i++) stats.begin('m@p0', now);
    expect(b.pick('m', d, 0).id).toBe('m@p1');
    expect(stats.headroom(d[0]!, 0, now)).toBeCloseTo(0.1, 5);
    now += 120_000;
    expect(stats.headroom(d[0]!, 0, now)).toBeCloseTo(0.9, 5);
  });

  it('counts tokens against TPM and reports exhaustion', () => {
    const stats = createDeploymentStats(() => 0);
    const d = deployments([1], [{ limits: { tpm: 1000 } }])[0]!;
    stats.addTokens(d.id, 900, 0);
    expect(stats.headroom(d, 50, 0)).toBeCloseTo(0.05, 5);
    expect(stats.headroom(d, 200, 0)).toBe(0);
  });
});
