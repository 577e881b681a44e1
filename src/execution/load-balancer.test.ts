import { describe, expect, it } from 'vitest';
import type { Deployment, ModelEntry } from '../registry/registry.js';
import { createRoundRobinBalancer } from './load-balancer.js';

function model(weights: number[]): ModelEntry {
  const deployments = weights.map((weight, index) => ({ id: `m@p${index}`, weight }) as Deployment);
  return { name: 'm', deployments } as ModelEntry;
}

describe('round-robin balancer', () => {
  it('spreads evenly across equal weights', () => {
    const balancer = createRoundRobinBalancer();
    const m = model([1, 1, 1]);
    const picks = Array.from({ length: 6 }, () => balancer.pick(m, new Set())?.id);
    expect(picks).toEqual(['m@p0', 'm@p1', 'm@p2', 'm@p0', 'm@p1', 'm@p2']);
  });

  it('gives each deployment its weight share without bursts', () => {
    const balancer = createRoundRobinBalancer();
    const m = model([5, 1, 1]);
    const picks = Array.from({ length: 7 }, () => balancer.pick(m, new Set())?.id);
    expect(picks.filter((id) => id === 'm@p0')).toHaveLength(5);
    expect(picks).toEqual(['m@p0', 'm@p0', 'm@p1', 'm@p0', 'm@p2', 'm@p0', 'm@p0']);
  });

  it('skips excluded and zero-weight deployments and returns undefined when none is left', () => {
    const balancer = createRoundRobinBalancer();
    const m = model([1, 0, 1]);
    expect(balancer.pick(m, new Set(['m@p0']))?.id).toBe('m@p2');
    expect(balancer.pick(m, new Set(['m@p0', 'm@p2']))).toBeUndefined();
    expect(balancer.pick(model([1]), new Set(['m@p0']))).toBeUndefined();
  });
});
