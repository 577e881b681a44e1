/**
 * @module storage/memory/memory-bus
 * The replica bus inside one process: a single replica (nobody else to tell) or several gateways
 * in one test sharing a hub. It behaves like the Redis bus where it matters: a message goes out
 * as JSON text and is decoded again (no shared objects), delivery is asynchronous, a replica never
 * hears itself, and a bus that is closed neither sends nor receives.
 */

import {
  type BusMessage,
  type BusTopic,
  createHandlerTable,
  decodeBusMessage,
  encodeBusMessage,
  type MessageBus,
  newReplicaId,
} from '../bus-ports.js';

/** Where the buses of one process meet. */
export interface MemoryBusHub {
  /** Internal: the buses attached now. */
  readonly members: Set<{ replicaId: string; deliver(text: string): void }>;
}

export function createMemoryBusHub(): MemoryBusHub {
  return { members: new Set() };
}

export interface MemoryBusOptions {
  /** Shared with the other replicas of this process; a bus of its own when absent. */
  hub?: MemoryBusHub;
  replicaId?: string;
  /** Told when a handler throws. */
  onError?: (error: unknown) => void;
}

export function createMemoryBus(options: MemoryBusOptions = {}): MessageBus {
  const hub = options.hub ?? createMemoryBusHub();
  const replicaId = options.replicaId ?? newReplicaId();
  const table = createHandlerTable(options.onError ?? (() => {}));
  let closed = false;
  const member = {
    replicaId,
    deliver(text: string) {
      setImmediate(() => {
        if (closed) return;
        const message = decodeBusMessage(text);
        if (message !== undefined && message.replica !== replicaId) table.dispatch(message);
      });
    },
  };
  hub.members.add(member);

  return {
    backend: 'memory',
    replicaId,
    async publish(topic: BusTopic, payload: Record<string, unknown>) {
      if (closed) throw new Error('the message bus is closed');
      const message: BusMessage = { v: 1, replica: replicaId, topic, at: Date.now(), payload };
      const text = encodeBusMessage(message);
      for (const other of hub.members) if (other !== member) other.deliver(text);
    },
    subscribe: (topic, handler) => table.subscribe(topic, handler),
    onGap: (handler) => table.onGap(handler),
    async close() {
      closed = true;
      hub.members.delete(member);
      table.clear();
    },
  };
}
