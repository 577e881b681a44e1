import { describe, expect, it } from 'vitest';
import { backoffMs, createRetryBudget, DEFAULT_RETRY_POLICY, sleep } from './retry.js';

describe('backoff', () => {
  it('is full jitter under an exponential ceiling capped at 250 ms', () => {
    const top = () => 0.999999;
    expect(backoffMs(DEFAULT_RETRY_POLICY, 1, undefined, top)).toBe(24);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 2, undefined, top)).toBe(49);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 3, undefined, top)).toBe(99);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 10, undefined, top)).toBe(249);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 3, undefined, () => 0)).toBe(0);
  });

  it('honours an upstream Retry-After', () => {
    expect(backoffMs(DEFAULT_RETRY_POLICY, 1, 3_000)).toBe(3_000);
  });
});

describe('retry budget', () => {
  it('allows retries in flight up to 20% of active requests, floor 3', () => {
    const budget = createRetryBudget(0.2, 3);
    for (let i = 0; i < 10; i++) budget.enter();
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    for (let i = 0; i < 40; i++) budget.enter();
    // 50 active → 10 retries.
    let granted = 3;
    while (budget.tryAcquire()) granted++;
    expect(granted).toBe(10);
    expect(budget.refused).toBe(2);
  });

  it('queues a retry until a permit frees, or gives up after the wait', async () => {
    const budget = createRetryBudget(0.2, 1);
    budget.enter();
    expect(budget.tryAcquire()).toBe(true);
    const waiting = budget.acquire(1_000);
    setTimeout(() => budget.release(), 30);
    expect(await waiting).toBe(true);
    expect(await budget.acquire(40)).toBe(false);
  });

  it('sleep stops early when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('gone')), 20);
    await expect(sleep(5_000, controller.signal)).rejects.toThrow('gone');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
