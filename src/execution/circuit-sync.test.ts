import { afterEach, describe, expect, it } from 'vitest';
import type { MessageBus } from '../storage/bus-ports.js';
import { createMemoryBus, createMemoryBusHub } from '../storage/memory/memory-bus.js';
import { eventually } from '../storage/message-bus.contract.js';
import { type CircuitOptions, createCircuitBreakers, type Transition } from './circuit-breaker.js';
import { circuitMessageOf, syncCircuits } from './circuit-sync.js';

const options: CircuitOptions = {
  failureRate: 0.5,
  windowMs: 10_000,
  minCalls: 100,
  consecutiveFailures: 2,
  openMs: 1_000,
  maxOpenMs: 8_000,
  halfOpenProbes: 1,
  probeTimeoutMs: 500,
};

/** One replica: its breakers, the transitions it saw, and everything it published. */
function replica(hub: ReturnType<typeof createMemoryBusHub>, clock: { t: number }, name: string) {
  const bus = createMemoryBus({ hub, replicaId: name });
  const listeners = new Set<(t: Transition) => void>();
  const transitions: Transition[] = [];
  const breakers = createCircuitBreakers(
    options,
    (t) => {
      transitions.push(t);
      for (const listener of listeners) listener(t);
    },
    () => clock.t,
  );
  const published: unknown[] = [];
  bus.subscribe('circuits', () => {}); // keep the bus honest: own messages never come back
  const tap = createMemoryBus({ hub, replicaId: `${name}-tap` });
  tap.subscribe('circuits', (m) => {
    if (m.replica === name) published.push(m.payload);
  });
  const stop = syncCircuits({
    bus,
    breakers,
    transitions: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    knows: (id) => id !== 'unknown',
    now: () => clock.t,
  });
  return {
    bus,
    breakers,
    transitions,
    published,
    fail(id: string) {
      const breaker = breakers.get(id);
      breaker.onFailure(breaker.tryAcquire()!);
    },
    async close() {
      stop();
      await Promise.all([bus.close(), tap.close()]);
    },
  };
}

describe('circuit sync', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  const setup = () => {
    const hub = createMemoryBusHub();
    const clock = { t: 1_000_000 };
    const a = replica(hub, clock, 'a');
    const b = replica(hub, clock, 'b');
    open.push(a, b);
    return { a, b, clock };
  };

  it('opens the other replicas\u2019 breaker until the opener\u2019s open period ends, without echo', async () => {
    const { a, b, clock } = setup();
    a.fail('d');
    a.fail('d');
    expect(a.breakers.get('d').state).toBe('open');
    await eventually(() => b.breakers.get('d').state === 'open');
    const snapshot = b.breakers.get('d').snapshot();
    expect(snapshot.openUntil).toBe(clock.t + 1_000);
    expect(snapshot.remote).toMatchObject({ replica: 'a', reason: 'opened on a: 2 consecutive failures' });
    expect(b.transitions).toEqual([expect.objectContaining({ to: 'open', replica: 'a' })]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(a.published).toEqual([
      expect.objectContaining({
        deployment: 'd',
        state: 'open',
        open_ms: 1_000,
        reason: '2 consecutive failures',
      }),
    ]);
    expect(b.published).toEqual([]); // the forced transition was not sent on
    clock.t += 1_000;
    expect(b.breakers.get('d').state).toBe('half_open'); // then b probes on its own
  });

  it('closes a breaker held open on another replica\u2019s word when that replica sees the deployment recover', async () => {
    const { a, b } = setup();
    a.fail('d');
    a.fail('d');
    await eventually(() => b.breakers.get('d').state === 'open');
    a.breakers.get('d').force('closed', 'health check passed');
    await eventually(() => b.breakers.get('d').state === 'closed');
    expect(b.transitions.at(-1)).toMatchObject({
      to: 'closed',
      replica: 'a',
      reason: 'closed on a: health check passed',
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(b.published).toEqual([]);
  });

  it('keeps a breaker that opened on its own failures open when another replica recovers', async () => {
    const { a, b } = setup();
    b.fail('d');
    b.fail('d');
    a.breakers.get('d').force('open', 'health check failed');
    a.breakers.get('d').force('closed', 'health check passed');
    await eventually(() => a.published.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(b.breakers.get('d').state).toBe('open');
    expect(b.breakers.get('d').snapshot().remote).toBeNull();
  });

  it('ignores deployments it does not serve and malformed messages', async () => {
    const errors: unknown[] = [];
    const hub = createMemoryBusHub();
    const clock = { t: 0 };
    const breakers = createCircuitBreakers(
      options,
      () => {},
      () => clock.t,
    );
    const bus: MessageBus = createMemoryBus({ hub, replicaId: 'c' });
    const sender = createMemoryBus({ hub, replicaId: 'x' });
    const stop = syncCircuits({
      bus,
      breakers,
      transitions: () => () => {},
      knows: (id) => id !== 'unknown',
      onError: (error) => errors.push(error),
      now: () => clock.t,
    });
    await sender.publish('circuits', { deployment: 'unknown', state: 'open', open_ms: 5_000, reason: 'r' });
    await sender.publish('circuits', { deployment: 'd', state: 'open', open_ms: -3, reason: 'r' });
    await sender.publish('circuits', { deployment: 'd', state: 'sideways', reason: 'r' });
    await eventually(() => errors.length === 2);
    expect(breakers.all()).toEqual([]);
    stop();
    await Promise.all([bus.close(), sender.close()]);
  });

  it('announces only what the breaker decided itself', () => {
    const base = { deployment: 'd', at: 0 };
    expect(
      circuitMessageOf(
        { ...base, from: 'closed', to: 'open', reason: 'x; open for 5000 ms', openUntil: 5_000 },
        1_000,
      ),
    ).toEqual({
      deployment: 'd',
      state: 'open',
      open_ms: 4_000,
      open_until: 5_000,
      reason: 'x',
    });
    expect(
      circuitMessageOf({ ...base, from: 'open', to: 'half_open', reason: 'open period elapsed' }, 0),
    ).toBeUndefined();
    expect(
      circuitMessageOf({ ...base, from: 'closed', to: 'open', reason: 'y', openUntil: 9, replica: 'a' }, 0),
    ).toBeUndefined();
  });
});
