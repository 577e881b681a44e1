import { describe, expect, it } from 'vitest';
import { ClientAbort } from './cancellation.js';

describe('ClientAbort', () => {
  it('calls each watcher once on abort, not the ones that stopped watching', () => {
    const abort = new ClientAbort();
    const seen: string[] = [];
    const a = () => seen.push('a');
    const b = () => seen.push('b');
    abort.watch(a);
    abort.watch(b);
    abort.unwatch(a);
    expect(abort.aborted).toBe(false);
    expect(abort.reason).toBeUndefined();
    abort.abort();
    abort.abort();
    expect(seen).toEqual(['b']);
    expect(abort.aborted).toBe(true);
    expect(abort.reason).toBeInstanceOf(DOMException);
    expect((abort.reason as DOMException).name).toBe('AbortError');
  });

  it('makes its signal on first use: aborted already when asked for late, with the same reason', () => {
    const abort = new ClientAbort();
    abort.abort();
    const { signal } = abort;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(abort.reason);
    expect(abort.signal).toBe(signal);
  });

  it('aborts a signal made before the abort, firing its listeners', () => {
    const abort = new ClientAbort();
    const { signal } = abort;
    let fired = 0;
    signal.addEventListener('abort', () => fired++);
    abort.abort();
    expect(fired).toBe(1);
    expect(signal.reason).toBe(abort.reason);
  });
});
