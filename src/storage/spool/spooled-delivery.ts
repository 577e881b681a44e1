/**
 * @module storage/spool/spooled-delivery
 * Delivery to a destination that may be unreachable (the PostgreSQL ledger's database), backed
 * by a durable spool. While the destination answers, batches go straight to it. When a delivery
 * fails, that batch and every later one go to the spool instead — in order, so nothing overtakes
 * what is waiting — and a replay loop probes the destination with backoff and feeds the spool
 * back oldest segment first. Once the spool is empty, batches go direct again. The destination
 * must be idempotent: a crash between delivering a segment and removing it delivers it twice.
 */

import type { Spool } from './spool.js';

export interface SpooledDeliveryOptions<T> {
  spool: Spool<T>;
  /** Delivers items; throws when the destination cannot take them now (they are then spooled). */
  deliver: (items: readonly T[]) => Promise<void>;
  /** A cheap check that the destination answers, tried before reading the spool after a failure. */
  probe: () => Promise<void>;
  /** Items per delivery when replaying. */
  batchSize: number;
  /** First and longest wait between replay attempts. */
  retryBaseMs: number;
  retryMaxMs: number;
  report: (err: unknown) => void;
}

export interface SpooledDelivery<T> {
  /** Delivers the batch, or spools it; rejects only if neither took it (the caller keeps it). */
  write(batch: readonly T[]): Promise<void>;
  /** Resolves once everything written so far has been delivered; rejects while the destination is down. */
  drained(): Promise<void>;
  /** Starts the replay: for a spool left by a previous process, or a destination down at start. */
  replay(afterFailure: boolean): void;
  /** Stops replaying; whatever is still spooled stays for the next process. */
  stop(): Promise<void>;
}

interface DrainWaiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createSpooledDelivery<T>(options: SpooledDeliveryOptions<T>): SpooledDelivery<T> {
  const { spool, deliver, probe, report } = options;
  // `direct`: batches go to the destination. `spooling`: they go to the spool, and the loop drains it.
  let mode: 'direct' | 'spooling' = 'direct';
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let stopped = false;
  const drainWaiters: DrainWaiter[] = [];

  function startReplay(afterFailure: boolean): void {
    mode = 'spooling';
    if (loop !== undefined || stopped) return;
    loop = replayLoop(afterFailure).finally(() => {
      loop = undefined;
    });
  }

  async function replayLoop(afterFailure: boolean): Promise<void> {
    let failures = afterFailure ? 1 : 0;
    if (afterFailure) await pause(retryDelay(failures));
    while (!stopped) {
      try {
        // Reading (and sealing) a segment is pointless while the destination is still down.
        if (failures > 0) await probe();
        const segment = await spool.oldest();
        if (segment === undefined) {
          // An append may have started since: it must be replayed before going direct.
          if (!spool.isEmpty()) continue;
          mode = 'direct';
          for (const waiter of drainWaiters.splice(0)) waiter.resolve();
          return;
        }
        for (let i = 0; i < segment.items.length; i += options.batchSize) {
          await deliver(segment.items.slice(i, i + options.batchSize));
        }
        await spool.remove(segment);
        if (segment.corrupt > 0) {
          report(
            new Error(
              `spool ${segment.file}: ${segment.corrupt} unreadable lines; the file is kept as ${segment.file}.corrupt`,
            ),
          );
        }
        failures = 0;
      } catch (err) {
        failures++;
        report(err);
        for (const waiter of drainWaiters.splice(0)) waiter.reject(err);
        if (!stopped) await pause(retryDelay(failures));
      }
    }
  }

  function retryDelay(failures: number): number {
    const ms = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, failures - 1));
    return ms / 2 + Math.random() * (ms / 2);
  }

  /** A backoff sleep that a reader (or stop) can cut short. */
  function pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(sleeping);
        wake = undefined;
        resolve();
      };
      const sleeping = setTimeout(done, ms);
      sleeping.unref();
      wake = done;
    });
  }

  return {
    async write(batch) {
      if (mode === 'direct') {
        try {
          await deliver(batch);
          return;
        } catch (err) {
          report(err);
          startReplay(true);
        }
      }
      // No await between the mode check and this call: the loop's "spool is empty, back to
      // direct" decision always sees this append.
      await spool.append(batch);
    },

    drained() {
      if (mode === 'direct') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        if (stopped) {
          reject(new Error('delivery stopped with items still spooled'));
          return;
        }
        drainWaiters.push({ resolve, reject });
        // A reader is waiting: try now rather than at the end of the backoff.
        if (loop === undefined) startReplay(false);
        else wake?.();
      });
    },

    replay: startReplay,

    async stop() {
      stopped = true;
      wake?.();
      await loop;
      for (const waiter of drainWaiters.splice(0)) waiter.reject(new Error('delivery stopped'));
    },
  };
}
