import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  type CircuitOptions,
  createCircuitBreakers,
  type Transition,
} from './circuit-breaker.js';

const options: CircuitOptions = {
  failureRate: 0.5,
  windowMs: 10_000,
  minCalls: 4,
  consecutiveFailures: 3,
  openMs: 1_000,
  maxOpenMs: 8_000,
  halfOpenProbes: 2,
  probeTimeoutMs: 500,
};

function setup() {
  let t = 0;
  const transitions: Transition[] = [];
  const breaker = new CircuitBreaker(
    'd',
    options,
    (tr) => transitions.push(tr),
    () => t,
  );
  return {
    breaker,
    transitions,
    advance: (ms: number) => {
      t += ms;
    },
    succeed: () => breaker.onSuccess(breaker.tryAcquire()!),
    fail: () => breaker.onFailure(breaker.tryAcquire()!),
  };
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures', () => {
    const c = setup();
    c.fail();
    c.fail();
    expect(c.breaker.state).toBe('closed');
    c.fail();
    expect(c.breaker.state).toBe('open');
    expect(c.breaker.tryAcquire()).toBeUndefined();
    expect(c.transitions[0]).toMatchObject({ from: 'closed', to: 'open' });
  });

  it('opens on the failure rate once the window holds enough calls, not before', () => {
    const c = setup();
    c.fail();
    c.succeed();
    c.fail();
    expect(c.breaker.state).toBe('closed'); // 3 calls < minCalls
    c.succeed();
    c.fail(); // 3 of 5 failed, 60% ≥ 50%
    expect(c.breaker.state).toBe('open');
  });

  it('forgets failures that slide out of the window', () => {
    const c = setup();
    c.fail();
    c.fail();
    c.succeed();
    c.advance(11_000);
    c.succeed();
    c.succeed();
    c.fail();
    // Remembering the old calls would make it 3 failures in 6 (50%): the circuit would open.
    expect(c.breaker.state).toBe('closed');
    expect(c.breaker.snapshot()).toMatchObject({ windowCalls: 3, windowFailures: 1 });
  });

  it('half-opens after the open period, admits limited probes, and closes on their success', () => {
    const c = setup();
    for (let i = 0; i < 3; i++) c.fail();
    c.advance(1_000);
    expect(c.breaker.state).toBe('half_open');
    const p1 = c.breaker.tryAcquire(30_000)!;
    const p2 = c.breaker.tryAcquire(30_000)!;
    expect(p1.probe).toBe(true);
    expect(p1.timeoutMs).toBe(500); // probes get the short probe timeout
    expect(c.breaker.tryAcquire()).toBeUndefined();
    c.breaker.onSuccess(p1);
    expect(c.breaker.state).toBe('half_open');
    c.breaker.onSuccess(p2);
    expect(c.breaker.state).toBe('closed');
  });

  it('re-opens on a failed probe for twice as long, and on a probe that times out', () => {
    const c = setup();
    for (let i = 0; i < 3; i++) c.fail();
    c.advance(1_000);
    c.breaker.onFailure(c.breaker.tryAcquire()!);
    expect(c.breaker.state).toBe('open');
    c.advance(1_999);
    expect(c.breaker.state).toBe('open');
    c.advance(1);
    expect(c.breaker.state).toBe('half_open');
    c.breaker.tryAcquire(); // a probe that never answers
    c.advance(500);
    expect(c.breaker.state).toBe('open');
    expect(c.breaker.snapshot().openings).toBe(3);
    c.advance(4_000);
    expect(c.breaker.state).toBe('half_open');
  });

  it('caps the open period and lets the memory of openings decay while healthy', () => {
    const c = setup();
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 3; i++) c.fail();
      c.advance(8_000);
      c.succeed();
      c.succeed();
    }
    expect(c.breaker.state).toBe('closed');
    const before = c.breaker.snapshot().openings;
    expect(before).toBeGreaterThanOrEqual(4);
    c.advance(40_000);
    for (let i = 0; i < 3; i++) c.fail();
    const snapshot = c.breaker.snapshot();
    expect(snapshot.openings).toBeLessThan(before);
    expect(snapshot.openUntil! - 6 * 8_000 - 40_000).toBeLessThanOrEqual(8_000);
  });

  it('frees a probe slot for an attempt abandoned by the client', () => {
    const c = setup();
    for (let i = 0; i < 3; i++) c.fail();
    c.advance(1_000);
    const p1 = c.breaker.tryAcquire()!;
    c.breaker.tryAcquire();
    expect(c.breaker.tryAcquire()).toBeUndefined();
    c.breaker.onAbandon(p1);
    expect(c.breaker.tryAcquire()).toBeDefined();
  });

  it('can be forced open and closed by health checks', () => {
    const c = setup();
    c.breaker.force('open', 'health check failed 3 times');
    expect(c.breaker.state).toBe('open');
    c.breaker.force('closed', 'health check passed');
    expect(c.breaker.state).toBe('closed');
    expect(c.transitions.map((t) => t.to)).toEqual(['open', 'closed']);
  });

  it('is forced open by another replica until its open period ends, then probes on its own', () => {
    const c = setup();
    expect(c.breaker.forceOpen(2_500, '5 consecutive failures', 'replica-a')).toBe(true);
    expect(c.breaker.state).toBe('open');
    expect(c.breaker.tryAcquire()).toBeUndefined();
    expect(c.transitions).toEqual([
      expect.objectContaining({ from: 'closed', to: 'open', replica: 'replica-a' }),
    ]);
    const snapshot = c.breaker.snapshot();
    expect(snapshot.openUntil).toBe(2_500);
    expect(snapshot.remote).toEqual({ replica: 'replica-a', reason: '5 consecutive failures', at: 0 });
    expect(snapshot.openings).toBe(0); // not this breaker's own opening
    c.advance(2_499);
    expect(c.breaker.state).toBe('open');
    c.advance(1);
    expect(c.breaker.state).toBe('half_open');
    expect(c.breaker.snapshot().remote).toBeNull();
    expect(c.transitions.at(-1)).not.toHaveProperty('replica');
    // Its own probes decide from here; a failed one opens it for its own first period.
    c.breaker.onFailure(c.breaker.tryAcquire()!);
    expect(c.breaker.snapshot()).toMatchObject({ state: 'open', openUntil: 2_500 + 1_000, openings: 1 });
    expect(c.transitions.at(-1)).not.toHaveProperty('replica');
  });

  it('keeps a longer open period, extends a shorter one, and ignores one already over', () => {
    const c = setup();
    for (let i = 0; i < 3; i++) c.fail(); // open until 1,000 on its own
    expect(c.breaker.forceOpen(500, 'x', 'b')).toBe(false);
    expect(c.breaker.snapshot()).toMatchObject({ openUntil: 1_000, remote: null });
    expect(c.breaker.forceOpen(4_000, 'y', 'b')).toBe(true);
    expect(c.breaker.snapshot()).toMatchObject({ state: 'open', openUntil: 4_000, remote: { replica: 'b' } });
    expect(c.transitions).toHaveLength(1); // extended, not re-opened
    c.advance(5_000);
    expect(c.breaker.forceOpen(4_500, 'stale message', 'b')).toBe(false);
    expect(c.breaker.state).toBe('half_open');
  });

  it('is closed again by the replica that saw the deployment recover, only if it opened it', () => {
    const c = setup();
    c.breaker.forceOpen(10_000, 'failures', 'a');
    expect(c.breaker.releaseRemote('probes succeeded', 'a')).toBe(true);
    expect(c.breaker.state).toBe('closed');
    expect(c.transitions.at(-1)).toMatchObject({ to: 'closed', replica: 'a' });
    for (let i = 0; i < 3; i++) c.fail();
    expect(c.breaker.releaseRemote('probes succeeded', 'a')).toBe(false);
    expect(c.breaker.state).toBe('open');
  });

  it('takes new settings without losing state, and forgets removed deployments', () => {
    const transitions: Transition[] = [];
    const breakers = createCircuitBreakers(
      options,
      (t) => transitions.push(t),
      () => 0,
    );
    const kept = breakers.get('kept');
    kept.onFailure(kept.tryAcquire()!);
    breakers.get('gone');
    breakers.configure({ ...options, consecutiveFailures: 2 });
    kept.onFailure(kept.tryAcquire()!);
    expect(kept.state).toBe('open'); // two in a row now suffice, and the first was remembered
    breakers.retain(['kept']);
    expect(breakers.all().map((b) => b.deployment)).toEqual(['kept']);
    expect(breakers.get('kept')).toBe(kept);
  });
});
