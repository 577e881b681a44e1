/**
 * @module execution/priority-queue
 * Where requests wait when every eligible deployment of their model is at its concurrency
 * limit. Waiters are woken highest priority first, first come first served within a priority;
 * a waiter that outlives the queue timeout, or whose client leaves, is removed and told why.
 */

import { GatewayError } from '../core/errors.js';

interface Waiter {
  priority: number;
  sequence: number;
  enqueuedAt: number;
  wake: () => void;
}

export interface QueueSnapshot {
  key: string;
  waiting: number;
  oldestWaitMs: number;
}

export interface PriorityQueues {
  /** Waits for a `notify(key)`; rejects with SERVICE_UNAVAILABLE on timeout, or on abort. */
  wait(key: string, priority: number, timeoutMs: number, signal: AbortSignal): Promise<number>;
  /** A slot freed for `key`: wakes the most urgent waiter, if any. */
  notify(key: string): void;
  depth(): number;
  snapshot(now?: number): QueueSnapshot[];
}

export function createPriorityQueues(onDepth: (depth: number) => void = () => {}): PriorityQueues {
  const queues = new Map<string, Waiter[]>();
  let sequence = 0;
  let depth = 0;
  const remove = (key: string, waiter: Waiter) => {
    const queue = queues.get(key);
    if (!queue) return false;
    const index = queue.indexOf(waiter);
    if (index === -1) return false;
    queue.splice(index, 1);
    depth--;
    onDepth(depth);
    return true;
  };
  return {
    wait(key, priority, timeoutMs, signal) {
      return new Promise<number>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const enqueuedAt = Date.now();
        const waiter: Waiter = {
          priority,
          sequence: sequence++,
          enqueuedAt,
          wake: () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            resolve(Date.now() - enqueuedAt);
          },
        };
        const onAbort = () => {
          clearTimeout(timer);
          if (remove(key, waiter)) reject(signal.reason);
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          if (remove(key, waiter)) {
            reject(
              new GatewayError('SERVICE_UNAVAILABLE', `waited ${timeoutMs} ms for a free slot on ${key}`, {
                details: { reason: 'queue timeout', model: key },
              }),
            );
          }
        }, timeoutMs);
        signal.addEventListener('abort', onAbort, { once: true });
        let queue = queues.get(key);
        if (!queue) {
          queue = [];
          queues.set(key, queue);
        }
        // Keep the queue sorted: higher priority first, then arrival order.
        let at = queue.length;
        while (at > 0 && queue[at - 1]!.priority < priority) at--;
        queue.splice(at, 0, waiter);
        depth++;
        onDepth(depth);
      });
    },
    notify(key) {
      const queue = queues.get(key);
      const waiter = queue?.shift();
      if (!waiter) return;
      depth--;
      onDepth(depth);
      waiter.wake();
    },
    depth: () => depth,
    snapshot(now = Date.now()) {
      return [...queues.entries()]
        .filter(([, queue]) => queue.length > 0)
        .map(([key, queue]) => ({
          key,
          waiting: queue.length,
          oldestWaitMs: Math.max(...queue.map((w) => now - w.enqueuedAt)),
        }));
    },
  };
}
