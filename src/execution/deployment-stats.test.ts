import { describe, expect, it } from 'vitest';
import type { Deployment } from '../registry/registry.js';
import { createDeploymentStats } from './deployment-stats.js';

function deployment(limits: Deployment['limits']): Deployment {
  return { id: 'd', limits } as Deployment;
}

describe('deployment stats', () => {
  it('gives a deployment without limits all its headroom, however busy it is', () => {
    let now = 1_000_000;
    const stats = createDeploymentStats(() => now);
    for (let i = 0; i < 50; i++) stats.begin('d');
    stats.addTokens('d', 10_000);
    expect(stats.headroom(deployment({}), 5_000)).toBe(1);
    now += 30_000;
    expect(stats.headroom(deployment({}))).toBe(1);
  });

  it('counts the tightest quota, this request included, on the stats clock or the time given', () => {
    let now = 1_000_000;
    const stats = createDeploymentStats(() => now);
    for (let i = 0; i < 4; i++) stats.begin('d');
    stats.addTokens('d', 600);
    // rpm: (10 − 4 − 1) / 10 = 0.5; tpm: (1000 − 600 − 100) / 1000 = 0.3.
    expect(stats.headroom(deployment({ rpm: 10 }))).toBe(0.5);
    expect(stats.headroom(deployment({ rpm: 10, tpm: 1_000 }), 100)).toBeCloseTo(0.3, 10);
    expect(stats.headroom(deployment({ tpd: 500 }), 100)).toBe(0);
    // Half way through the next minute, the previous one counts for half: (10 − 2 − 1) / 10.
    expect(stats.headroom(deployment({ rpm: 10 }), 0, now + 50_000)).toBeCloseTo(0.7, 10);
    now += 50_000;
    expect(stats.usage('d')).toEqual({ rpm: 2, rpd: 4, tpm: 300, tpd: 600 });
  });

  it('takes the time of an event when given, as the executor gives its own reading', () => {
    const stats = createDeploymentStats(() => {
      throw new Error('the clock is not read when the time is given');
    });
    stats.begin('d', 1_000);
    stats.addTokens('d', 10, 1_000);
    stats.observeLatency('d', 120, 1_100);
    expect(stats.latency('d', 1_100)).toBe(120);
    expect(stats.usage('d', 1_200)).toEqual({ rpm: 1, rpd: 1, tpm: 10, tpd: 10 });
    expect(stats.headroom(deployment({}), 10)).toBe(1);
  });
});
