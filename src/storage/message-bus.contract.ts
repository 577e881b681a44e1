/**
 * @module storage/message-bus.contract
 * The one test suite every MessageBus backend must pass: a message reaches every other replica
 * on its topic and never its publisher, as a copy (JSON), in publishing order; unsubscribing
 * stops delivery; a handler that throws is reported and does not stop the others; a closed bus
 * neither sends nor receives.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { BusMessage, MessageBus } from './bus-ports.js';

export interface BusMedium {
  /** A new replica on the shared medium (a hub, a Redis prefix). */
  open(options?: { onError?: (error: unknown) => void }): Promise<MessageBus>;
  /** Called after each test, once its buses are closed. */
  cleanup?(): Promise<void>;
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
export async function eventually(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

export function describeMessageBusContract(name: string, createMedium: () => BusMedium): void {
  describe(`MessageBus contract — ${name}`, () => {
    let medium: BusMedium | undefined;
    const buses: MessageBus[] = [];
    const open = async (options?: { onError?: (error: unknown) => void }) => {
      medium ??= createMedium();
      const bus = await medium.open(options);
      buses.push(bus);
      return bus;
    };
    afterEach(async () => {
      await Promise.all(buses.splice(0).map((bus) => bus.close()));
      await medium?.cleanup?.();
      medium = undefined;
    });

    it('delivers to every other replica on the topic, never back to the publisher', async () => {
      const [a, b, c] = [await open(), await open(), await open()];
      expect(new Set([a.replicaId, b.replicaId, c.replicaId]).size).toBe(3);
      const seen: Record<string, BusMessage[]> = { a: [], b: [], c: [], keysOnB: [] };
      a.subscribe('config', (m) => seen.a!.push(m));
      b.subscribe('config', (m) => seen.b!.push(m));
      c.subscribe('config', (m) => seen.c!.push(m));
      b.subscribe('keys', (m) => seen.keysOnB!.push(m));
      await a.publish('config', { digest: 'abc', version: 2 });
      await eventually(() => seen.b!.length === 1 && seen.c!.length === 1);
      await settle();
      expect(seen.a).toEqual([]);
      expect(seen.keysOnB).toEqual([]);
      expect(seen.b![0]).toMatchObject({
        v: 1,
        replica: a.replicaId,
        topic: 'config',
        payload: { digest: 'abc', version: 2 },
      });
      expect(Math.abs(seen.b![0]!.at - Date.now())).toBeLessThan(5_000);
    });

    it('delivers a copy, in publishing order', async () => {
      const [a, b] = [await open(), await open()];
      const got: BusMessage[] = [];
      b.subscribe('circuits', (m) => got.push(m));
      const payload = { deployment: 'd', n: 0 };
      for (let n = 0; n < 50; n++) await a.publish('circuits', { ...payload, n });
      await eventually(() => got.length === 50);
      expect(got.map((m) => m.payload.n)).toEqual([...Array(50).keys()]);
      (got[0]!.payload as { n: number }).n = 99;
      expect(payload.n).toBe(0);
    });

    it('stops delivering to a handler once unsubscribed', async () => {
      const [a, b] = [await open(), await open()];
      const first: unknown[] = [];
      const second: unknown[] = [];
      const stop = b.subscribe('keys', (m) => first.push(m.payload));
      b.subscribe('keys', (m) => second.push(m.payload));
      await a.publish('keys', { id: 'k1' });
      await eventually(() => second.length === 1);
      stop();
      await a.publish('keys', { id: 'k2' });
      await eventually(() => second.length === 2);
      await settle();
      expect(first).toEqual([{ id: 'k1' }]);
    });

    it('reports a handler that throws and still runs the others', async () => {
      const errors: unknown[] = [];
      const a = await open();
      const b = await open({ onError: (error) => errors.push(error) });
      const got: unknown[] = [];
      b.subscribe('config', () => {
        throw new Error('handler broke');
      });
      b.subscribe('config', (m) => got.push(m.payload));
      await a.publish('config', { digest: 'x', version: 1 });
      await eventually(() => got.length === 1);
      expect(errors).toEqual([expect.objectContaining({ message: 'handler broke' })]);
    });

    it('neither sends nor receives once closed', async () => {
      const [a, b] = [await open(), await open()];
      const got: unknown[] = [];
      b.subscribe('config', (m) => got.push(m));
      await b.close();
      await a.publish('config', { digest: 'x', version: 1 });
      await settle();
      expect(got).toEqual([]);
      await expect(b.publish('config', { digest: 'y', version: 1 })).rejects.toThrow(/closed/);
    });
  });
}
