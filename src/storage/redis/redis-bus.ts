/**
 * @module storage/redis/redis-bus
 * The replica bus on Redis pub/sub: one channel per topic (`switchyard:config`, `:keys`,
 * `:circuits`, under `storage.redis_prefix`, so that several gateways — or test runs — can share
 * one Redis). Publishing goes through the ordinary connection; receiving needs a connection of
 * its own, because a subscribed Redis connection can do nothing else. ioredis reconnects both
 * and re-subscribes by itself; since pub/sub keeps nothing for a replica that was away, the
 * return of the subscription is reported as a gap, so the gateway can re-read what it may have
 * missed. Envelopes that do not decode, and this replica's own, are dropped.
 */

import { Redis } from 'ioredis';
import {
  BUS_TOPICS,
  type BusMessage,
  type BusTopic,
  createHandlerTable,
  decodeBusMessage,
  encodeBusMessage,
  type MessageBus,
  newReplicaId,
} from '../bus-ports.js';

export interface RedisBusOptions {
  /** Redis to connect to when `publisher` is not given. */
  url?: string;
  /** The gateway's ordinary connection, to publish on (and to duplicate for the subscriber); not closed by the bus. */
  publisher?: Redis;
  /** Prepended to the topic to name its channel; default `switchyard:` (channels `switchyard:config`, …). */
  prefix?: string;
  replicaId?: string;
  /** Connection errors, undecodable messages and handlers that throw; the bus carries on. */
  onError?: (error: unknown) => void;
  /**
   * How long creation waits for the subscription (default 5 s). Past it the bus is returned
   * anyway and subscribes once Redis answers: a replica starts without Redis, it only hears
   * nothing until then.
   */
  connectTimeoutMs?: number;
}

/** The channel of a topic under a prefix. */
export function busChannel(prefix: string, topic: BusTopic): string {
  return `${prefix}${topic}`;
}

export async function createRedisBus(options: RedisBusOptions): Promise<MessageBus> {
  const prefix = options.prefix ?? 'switchyard:';
  const replicaId = options.replicaId ?? newReplicaId();
  const onError = options.onError ?? (() => {});
  const ownsPublisher = options.publisher === undefined;
  const publisher =
    options.publisher ??
    new Redis(options.url ?? 'redis://127.0.0.1:6379', {
      // A publish during an outage fails after a short wait instead of piling up.
      maxRetriesPerRequest: 2,
      lazyConnect: false,
    });
  if (ownsPublisher) publisher.on('error', onError);
  // Named, so that `CLIENT LIST` shows which replica a subscription belongs to.
  const subscriber = publisher.duplicate({
    maxRetriesPerRequest: null,
    lazyConnect: false,
    connectionName: `switchyard-bus:${replicaId}`,
  });
  subscriber.on('error', onError);

  const table = createHandlerTable(onError);
  const byChannel = new Map<string, BusTopic>(BUS_TOPICS.map((topic) => [busChannel(prefix, topic), topic]));
  let closed = false;
  let subscribed = false;
  let lost = false;

  subscriber.on('message', (channel: string, text: string) => {
    if (closed || !byChannel.has(channel)) return;
    const message = decodeBusMessage(text);
    if (message === undefined) {
      onError(new Error(`message bus: dropped a message on ${channel} that is not a switchyard envelope`));
      return;
    }
    if (message.replica !== replicaId) table.dispatch(message);
  });
  subscriber.on('close', () => {
    if (subscribed) lost = true;
  });
  subscriber.on('ready', () => {
    if (!lost || closed) return;
    lost = false;
    // ioredis re-subscribes right after 'ready'; tell the handlers once that has been sent.
    setImmediate(() => {
      if (!closed) table.gap();
    });
  });

  const subscription = subscriber.subscribe(...byChannel.keys()).then(() => {
    subscribed = true;
  });
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([subscription, timedOut]);
    if (outcome === 'timeout') {
      onError(
        new Error(`message bus: Redis did not answer within ${timeoutMs} ms; subscribing when it does`),
      );
      subscription.catch(onError);
    }
  } catch (error) {
    onError(error);
  } finally {
    clearTimeout(timer);
  }

  return {
    backend: 'redis',
    replicaId,
    async publish(topic, payload) {
      if (closed) throw new Error('the message bus is closed');
      const message: BusMessage = { v: 1, replica: replicaId, topic, at: Date.now(), payload };
      await publisher.publish(busChannel(prefix, topic), encodeBusMessage(message));
    },
    subscribe: (topic, handler) => table.subscribe(topic, handler),
    onGap: (handler) => table.onGap(handler),
    async close() {
      if (closed) return;
      closed = true;
      table.clear();
      await disconnect(subscriber);
      if (ownsPublisher) await disconnect(publisher);
    },
  };
}

/** QUIT when connected (replies already sent are read), otherwise just drop the connection. */
async function disconnect(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  } catch {
    // Already gone.
  }
  // Whatever QUIT achieved, no reconnection may follow.
  redis.disconnect();
}
