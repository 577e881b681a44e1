/**
 * @module execution/circuit-sync
 * Circuit breakers shared across replicas. When this replica's breaker of a deployment opens,
 * the others hear of it on the bus and hold theirs open for the rest of that open period, so a
 * failing upstream is spared N replicas' worth of failed calls; afterwards each probes half-open
 * on its own. When a breaker closes here (its probes succeeded, or a health check passed), the
 * replicas holding theirs open on this one's word close them too. Only what a breaker decided
 * itself is published: a transition forced from the bus names its replica and is never sent on,
 * so no message echoes between replicas. The open period travels as a duration, not an instant,
 * so replicas need not agree on the time.
 */

import { z } from 'zod';
import type { MessageBus } from '../storage/bus-ports.js';
import type { CircuitBreakers, Transition } from './circuit-breaker.js';

/** Longest open period a message may ask for; anything longer is not a breaker's doing. */
const MAX_REMOTE_OPEN_MS = 24 * 3_600_000;

const circuitMessage = z.object({
  deployment: z.string().min(1).max(512),
  state: z.enum(['open', 'closed']),
  /** Milliseconds the publisher's circuit stays open from when it published (open only). */
  open_ms: z.number().int().min(0).max(MAX_REMOTE_OPEN_MS).optional(),
  /** The same as an instant, for people reading the channel. */
  open_until: z.number().optional(),
  reason: z.string().max(2_000),
});
export type CircuitMessage = z.infer<typeof circuitMessage>;

export interface CircuitSyncOptions {
  bus: MessageBus;
  breakers: CircuitBreakers;
  /** Subscribes to this replica's breaker transitions; returns the unsubscribe. */
  transitions(listener: (transition: Transition) => void): () => void;
  /** Whether this replica serves the deployment; messages about others are ignored. */
  knows(deployment: string): boolean;
  /** Told when a publish fails or a message is malformed. */
  onError?: (error: unknown) => void;
  now?: () => number;
}

/** The message announcing a transition this breaker decided, or undefined for one not to announce. */
export function circuitMessageOf(transition: Transition, now: number): CircuitMessage | undefined {
  if (transition.replica !== undefined) return undefined;
  const reason = transition.reason.replace(/; open for \d+ ms$/, '');
  if (transition.to === 'closed') return { deployment: transition.deployment, state: 'closed', reason };
  if (transition.to !== 'open' || transition.openUntil === undefined) return undefined;
  return {
    deployment: transition.deployment,
    state: 'open',
    open_ms: Math.max(0, Math.round(transition.openUntil - now)),
    open_until: transition.openUntil,
    reason,
  };
}

/** Starts sharing; returns the function that stops it. */
export function syncCircuits(options: CircuitSyncOptions): () => void {
  const { bus, breakers } = options;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => {});

  const stopPublishing = options.transitions((transition) => {
    const message = circuitMessageOf(transition, now());
    if (message !== undefined) bus.publish('circuits', message).catch(onError);
  });

  const stopListening = bus.subscribe('circuits', (envelope) => {
    const parsed = circuitMessage.safeParse(envelope.payload);
    if (!parsed.success) {
      onError(new Error(`circuit message from ${envelope.replica} is malformed: ${parsed.error.message}`));
      return;
    }
    const message = parsed.data;
    if (!options.knows(message.deployment)) return;
    const breaker = breakers.get(message.deployment);
    if (message.state === 'open') {
      if (message.open_ms === undefined || message.open_ms === 0) return;
      breaker.forceOpen(
        now() + message.open_ms,
        `opened on ${envelope.replica}: ${message.reason}`,
        envelope.replica,
      );
    } else {
      breaker.releaseRemote(`closed on ${envelope.replica}: ${message.reason}`, envelope.replica);
    }
  });

  return () => {
    stopPublishing();
    stopListening();
  };
}
