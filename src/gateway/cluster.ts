/**
 * @module gateway/cluster
 * What a gateway tells the other replicas, and does on their word, over the replica bus:
 * circuit transitions (execution/circuit-sync), virtual-key revocations (the other replicas drop
 * the key from their lookup cache at once instead of within `auth.key_cache_ms`) and, through
 * the config reloader, reloads. When the bus reports that messages may have been lost, the key
 * cache is emptied and the config file read again, so a replica converges whatever it missed.
 */

import { z } from 'zod';
import { managedAdmission } from '../admission/create-admission.js';
import { syncCircuits } from '../execution/circuit-sync.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../registry/registry.js';
import type { MessageBus } from '../storage/bus-ports.js';
import type { ConfigReloader } from './config-reloader.js';
import type { ExecutionRuntime } from './execution-runtime.js';
import type { Gateway } from './gateway.js';

const keyMessage = z.object({ id: z.string().min(1).max(256), change: z.enum(['revoked', 'updated']) });

export interface ClusterOptions {
  bus: MessageBus;
  /** The live gateway: its admission and registry are whatever the current configuration built. */
  gateway: Gateway;
  runtime: ExecutionRuntime;
  reloader?: ConfigReloader;
  logger: Logger;
}

/** Tells the other replicas that a key changed, so that they stop trusting their cached lookup of it. */
export function announceKeyChange(
  bus: MessageBus,
  logger: Logger,
  id: string,
  change: 'revoked' | 'updated',
): void {
  bus.publish('keys', { id, change }).catch((error: unknown) => {
    logger.warn('could not tell the other replicas about a key change', { key_id: id, change, error });
  });
}

/** Starts acting on the other replicas' messages; returns the function that stops it. */
export function joinCluster(options: ClusterOptions): () => void {
  const { bus, gateway, runtime, reloader, logger } = options;
  let knownIn: Registry | undefined;
  let known = new Set<string>();
  const knows = (deployment: string): boolean => {
    const registry = gateway.registry;
    if (registry !== knownIn) {
      knownIn = registry;
      known = new Set(registry.deployments().map((d) => d.id));
    }
    return known.has(deployment);
  };

  const stopCircuits = syncCircuits({
    bus,
    breakers: runtime.breakers,
    transitions: (listener) => runtime.onTransition(listener),
    knows,
    onError: (error) => logger.warn('circuit sync: a message could not be sent or read', { error }),
  });

  const stopKeys = bus.subscribe('keys', (message) => {
    const parsed = keyMessage.safeParse(message.payload);
    if (!parsed.success) {
      logger.warn('ignored a malformed key message', { replica: message.replica });
      return;
    }
    managedAdmission(gateway.admission)?.keys.evict(parsed.data.id);
    logger.info('key changed on another replica; its cached lookup is dropped', {
      replica: message.replica,
      key_id: parsed.data.id,
      change: parsed.data.change,
    });
  });

  const stopGap = bus.onGap(() => {
    logger.warn('replica bus reconnected: messages may have been missed; re-reading keys and config');
    managedAdmission(gateway.admission)?.keys.clearCache();
    if (reloader?.file !== undefined) {
      reloader.reload('resync').catch((error: unknown) => {
        logger.warn('re-reading the config file after a bus gap failed', { error });
      });
    }
  });

  return () => {
    stopCircuits();
    stopKeys();
    stopGap();
  };
}
