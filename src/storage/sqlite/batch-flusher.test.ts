import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createBatchFlusher } from './batch-flusher.js';

/** A flusher over a list of pending numbers, writing into `written` unless `failing` is set. */
function rig(flushMs = 5) {
  let pending: number[] = [];
  const written: number[][] = [];
  const errors: unknown[] = [];
  const state = { failing: false };
  const flusher = createBatchFlusher<number[]>({
    flushMs,
    take() {
      if (pending.length === 0) return undefined;
      const batch = pending;
      pending = [];
      return batch;
    },
    write(batch) {
      if (state.failing) throw new Error('disk full');
      written.push(batch);
    },
    restore(batch) {
      pending = [...batch, ...pending];
    },
    onError: (error) => errors.push(error),
  });
  const change = (n: number) => {
    pending.push(n);
    flusher.schedule();
  };
  return { flusher, change, written, errors, state, pending: () => pending };
}

describe('createBatchFlusher', () => {
  it('writes nothing on the caller’s stack, then every change of the interval in one batch', async () => {
    const { change, written } = rig();
    change(1);
    change(2);
    change(3);
    expect(written).toEqual([]);
    await sleep(30);
    expect(written).toEqual([[1, 2, 3]]);
  });

  it('puts a failed batch back under newer changes, reports it, and writes both with the next batch', async () => {
    const { change, written, errors, state, pending } = rig();
    state.failing = true;
    change(1);
    await sleep(20);
    expect(written).toEqual([]);
    expect(errors.map(String)).toContain('Error: disk full');
    change(2);
    expect(pending()).toEqual([1, 2]);
    state.failing = false;
    await sleep(30);
    expect(written).toEqual([[1, 2]]);
  });

  it('close writes what is pending at once and leaves no timer behind, even when that write fails', async () => {
    const ok = rig(60_000);
    ok.change(7);
    ok.flusher.close();
    expect(ok.written).toEqual([[7]]);

    const failing = rig(5);
    failing.state.failing = true;
    failing.change(8);
    failing.flusher.close();
    const errors = failing.errors.length;
    expect(errors).toBe(1);
    await sleep(30);
    // No retry ran after close.
    expect(failing.errors.length).toBe(errors);
    expect(failing.pending()).toEqual([8]);
  });
});
