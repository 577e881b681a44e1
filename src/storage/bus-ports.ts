/**
 * @module storage/bus-ports
 * The `MessageBus` port: how replicas tell each other what cannot wait for a store read — the
 * config file was reloaded, a virtual key was revoked, a deployment's circuit opened or closed.
 * Delivery is at most once and only to replicas listening at that moment (Redis pub/sub), so
 * every message is a hint that makes a replica converge sooner, never the only way it does; a
 * replica whose subscription was re-established is told through `onGap` that it may have missed
 * some. A replica never receives its own messages. Messages are JSON envelopes carrying a format
 * version and the publishing replica's id. Implementations: in-process (tests, single replica)
 * and Redis, held to one contract suite (message-bus.contract.ts).
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const BUS_TOPICS = ['config', 'keys', 'circuits'] as const;
export type BusTopic = (typeof BUS_TOPICS)[number];

/** Format of the envelope; a replica ignores envelopes of a version it does not know. */
export const BUS_MESSAGE_VERSION = 1;

export interface BusMessage {
  v: typeof BUS_MESSAGE_VERSION;
  /** The publishing replica. */
  replica: string;
  topic: BusTopic;
  /** Epoch ms at the publisher. */
  at: number;
  /** Topic-specific; each subscriber validates what it reads. */
  payload: Record<string, unknown>;
}

export type BusHandler = (message: BusMessage) => void;

export interface MessageBus {
  readonly backend: 'memory' | 'redis';
  /** This replica: the messages it publishes carry it, and its own handlers never see them. */
  readonly replicaId: string;
  /** Sends to every other replica listening now; rejects when the bus cannot take it. */
  publish(topic: BusTopic, payload: Record<string, unknown>): Promise<void>;
  /** Handlers run in arrival order; one that throws does not stop the others. Returns the unsubscribe. */
  subscribe(topic: BusTopic, handler: BusHandler): () => void;
  /** Called when messages may have been missed (the connection was lost and is back). */
  onGap(handler: () => void): () => void;
  close(): Promise<void>;
}

/** A replica id that reads well in logs and `/admin/circuits`: host (the pod), pid and 6 random hex digits. */
export function newReplicaId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

const TOPICS = new Set<string>(BUS_TOPICS);

export function encodeBusMessage(message: BusMessage): string {
  return JSON.stringify(message);
}

/** The envelope in `text`, or undefined when it is not one this version understands. */
export function decodeBusMessage(text: string): BusMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as Partial<BusMessage>;
  if (
    message.v !== BUS_MESSAGE_VERSION ||
    typeof message.replica !== 'string' ||
    message.replica === '' ||
    typeof message.topic !== 'string' ||
    !TOPICS.has(message.topic) ||
    typeof message.at !== 'number' ||
    typeof message.payload !== 'object' ||
    message.payload === null ||
    Array.isArray(message.payload)
  ) {
    return undefined;
  }
  return message as BusMessage;
}

/** Topic → handlers, shared by the implementations: runs each handler, reporting (not propagating) throws. */
export function createHandlerTable(onError: (error: unknown) => void) {
  const handlers = new Map<BusTopic, Set<BusHandler>>();
  const gapHandlers = new Set<() => void>();
  const guarded = (run: () => void) => {
    try {
      run();
    } catch (error) {
      onError(error);
    }
  };
  return {
    subscribe(topic: BusTopic, handler: BusHandler): () => void {
      let set = handlers.get(topic);
      if (set === undefined) {
        set = new Set();
        handlers.set(topic, set);
      }
      // Wrapped, so that subscribing the same function twice gives two independent subscriptions.
      const entry: BusHandler = (message) => handler(message);
      set.add(entry);
      return () => set.delete(entry);
    },
    onGap(handler: () => void): () => void {
      const entry = () => handler();
      gapHandlers.add(entry);
      return () => gapHandlers.delete(entry);
    },
    dispatch(message: BusMessage): void {
      for (const handler of handlers.get(message.topic) ?? []) guarded(() => handler(message));
    },
    gap(): void {
      for (const handler of gapHandlers) guarded(handler);
    },
    clear(): void {
      handlers.clear();
      gapHandlers.clear();
    },
  };
}
