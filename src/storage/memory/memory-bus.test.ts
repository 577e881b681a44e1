import { describe, expect, it } from 'vitest';
import { describeMessageBusContract } from '../message-bus.contract.js';
import { createMemoryBus, createMemoryBusHub } from './memory-bus.js';

describeMessageBusContract('memory', () => {
  const hub = createMemoryBusHub();
  return { open: async (options) => createMemoryBus({ hub, ...options }) };
});

describe('memory bus', () => {
  it('is a bus of its own without a hub: nobody else hears it', async () => {
    const alone = createMemoryBus();
    const other = createMemoryBus();
    const got: unknown[] = [];
    other.subscribe('config', (m) => got.push(m));
    await alone.publish('config', { digest: 'x', version: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(got).toEqual([]);
    await Promise.all([alone.close(), other.close()]);
  });
});
