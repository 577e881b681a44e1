import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys } from '../../../test/helpers/redis.js';
import type { JobQueue, JobQueueSettings } from '../job-ports.js';
import { describeJobQueueContract } from '../job-queue.contract.js';
import { createBullmqJobQueue } from './bullmq-job-queue.js';

const REDIS_URL = process.env.REDIS_URL;
const skip = REDIS_URL === undefined || REDIS_URL === '';

/** Deletes every key of the queues under a BullMQ prefix (`prefix:…`): the Redis server outlives the test run. */
const deleteKeys = (prefix: string) => deleteRedisKeys(REDIS_URL!, `${prefix}:`);

async function openIsolated(settings: JobQueueSettings): Promise<JobQueue> {
  const prefix = `switchyard-test-${randomUUID()}`;
  const queue = await createBullmqJobQueue({ url: REDIS_URL!, prefix, stalledIntervalMs: 100, ...settings });
  return {
    ...queue,
    async close() {
      await queue.close();
      await deleteKeys(prefix);
    },
  };
}

describeJobQueueContract('bullmq', openIsolated, { skip, leaseSlackMs: 500 });

describe.skipIf(skip)('bullmq job queue', () => {
  const prefix = `switchyard-test-${randomUUID()}`;
  afterAll(async () => {
    await deleteKeys(prefix);
  });

  it('leaves no keys behind once its keys are deleted', async () => {
    const queue = await createBullmqJobQueue({ url: REDIS_URL!, prefix });
    const id = await queue.enqueue({ kind: 'k', payload: { a: 1 } });
    await queue.claim('w', 10_000);
    expect(await queue.complete(id, 'w', 'ok')).toBe(true);
    await queue.close();
    expect(await deleteKeys(prefix)).toBeGreaterThan(0);
    expect(await deleteKeys(prefix)).toBe(0);
  });
});
