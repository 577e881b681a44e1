/**
 * @module storage/ledger.contract
 * The one test suite every Ledger backend must pass (memory, SQLite, and PostgreSQL later). It
 * fixes the semantics the port leaves implicit: records round-trip field for field, attempts
 * included; the first record for a request id wins and later ones are ignored; reads see every
 * record appended before them, flushed or not; `query` filters with `since` inclusive and `until`
 * exclusive, returns newest first with ties broken by request id descending, and `limit` caps
 * the result; `close` is idempotent and refuses later appends.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ledger, LedgerRecord } from './ports.js';

const T0 = Date.UTC(2026, 0, 1);

/** A record with every field set, two attempts (the first failed), distinct per `i`. */
export function fullRecord(i: number, overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    requestId: `req-${String(i).padStart(5, '0')}`,
    timestamp: T0 + i * 1_000,
    endpoint: '/v1/chat/completions',
    keyId: `key-${i % 3}`,
    project: 'alpha',
    user: 'user-7',
    tags: ['batch', `n${i}`],
    route: 'reliable',
    strategy: 'fallback',
    model: i % 2 === 0 ? 'gpt-4o-mini' : 'claude-3-5-haiku',
    provider: i % 2 === 0 ? 'openai' : 'anthropic',
    deployment: 'primary',
    status: 'ok',
    httpStatus: 200,
    stream: i % 2 === 1,
    inputTokens: 1_000 + i,
    outputTokens: 500,
    cachedInputTokens: 200,
    cacheWriteTokens: 10,
    reasoningTokens: 50,
    usageEstimated: false,
    costNanos: 435_000 + i,
    latencyMs: 812.5,
    ttftMs: 120.25,
    cacheHit: false,
    confidence: 0.875,
    routeTrace: 'fallback: gpt-4o-mini timed out → claude-3-5-haiku',
    attempts: [
      {
        attempt: 1,
        model: 'gpt-4o-mini',
        provider: 'openai',
        deployment: 'primary',
        status: 'error',
        errorCode: 'TIMEOUT',
        httpStatus: 504,
        latencyMs: 300,
        inputTokens: 0,
        outputTokens: 0,
        costNanos: 0,
      },
      {
        attempt: 2,
        model: 'claude-3-5-haiku',
        provider: 'anthropic',
        deployment: 'primary',
        status: 'ok',
        latencyMs: 512.5,
        inputTokens: 1_000 + i,
        outputTokens: 500,
        costNanos: 435_000 + i,
      },
    ],
    ...overrides,
  };
}

const ids = (records: readonly LedgerRecord[]): string[] => records.map((r) => r.requestId);

/** A record with only the required fields. */
export function minimalRecord(requestId: string, timestamp: number): LedgerRecord {
  return {
    requestId,
    timestamp,
    endpoint: '/v1/embeddings',
    strategy: 'direct',
    status: 'error',
    httpStatus: 400,
    stream: false,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    usageEstimated: true,
    costNanos: 0,
    latencyMs: 0,
    cacheHit: false,
    attempts: [],
  };
}

export function describeLedgerContract(name: string, make: () => Promise<Ledger> | Ledger): void {
  describe(`Ledger contract: ${name}`, () => {
    let ledger: Ledger;

    beforeEach(async () => {
      ledger = await make();
    });

    afterEach(async () => {
      await ledger.close();
    });

    describe('append and get', () => {
      it('round-trips every field, attempts included', async () => {
        const record = fullRecord(1);
        ledger.append(record);
        await ledger.flush();
        expect(await ledger.get(record.requestId)).toStrictEqual(record);
      });

      it('round-trips a record with only the required fields', async () => {
        const record = minimalRecord('req-min', T0);
        ledger.append(record);
        await ledger.flush();
        expect(await ledger.get('req-min')).toStrictEqual(record);
      });

      it('keeps what was recorded when the caller changes its objects afterwards', async () => {
        const record = fullRecord(2);
        ledger.append(record);
        record.costNanos = 1;
        record.tags?.push('mutated');
        const first = record.attempts[0];
        if (first !== undefined) first.status = 'ok';
        await ledger.flush();
        const stored = await ledger.get(record.requestId);
        expect(stored).toStrictEqual(fullRecord(2));
        if (stored !== undefined) stored.costNanos = 2;
        expect((await ledger.get(record.requestId))?.costNanos).toBe(fullRecord(2).costNanos);
      });

      it('answers undefined for an unknown request', async () => {
        expect(await ledger.get('nope')).toBeUndefined();
      });

      it('sees appended records before any flush', async () => {
        ledger.append(fullRecord(3));
        expect(await ledger.get(fullRecord(3).requestId)).toStrictEqual(fullRecord(3));
        expect(await ledger.count()).toBe(1);
        expect(await ledger.query({})).toStrictEqual([fullRecord(3)]);
      });
    });

    describe('idempotency on request id', () => {
      it('ignores a second record with the same id, before and after a flush', async () => {
        const original = fullRecord(4);
        ledger.append(original);
        ledger.append(fullRecord(4, { model: 'other', costNanos: 999, attempts: [] }));
        expect(await ledger.get(original.requestId)).toStrictEqual(original);
        await ledger.flush();
        ledger.append(fullRecord(4, { status: 'cancelled', attempts: [] }));
        expect(await ledger.get(original.requestId)).toStrictEqual(original);
        await ledger.flush();
        expect(await ledger.get(original.requestId)).toStrictEqual(original);
        expect(await ledger.count()).toBe(1);
      });
    });

    describe('flush', () => {
      it('resolves at once when nothing is pending', async () => {
        await ledger.flush();
        expect(await ledger.count()).toBe(0);
      });

      it('makes everything appended before it readable', async () => {
        for (let i = 0; i < 50; i++) ledger.append(fullRecord(i));
        await ledger.flush();
        expect(await ledger.count()).toBe(50);
        for (let i = 0; i < 50; i++)
          expect(await ledger.get(fullRecord(i).requestId)).toStrictEqual(fullRecord(i));
      });

      it('lets concurrent flushes all resolve', async () => {
        ledger.append(fullRecord(1));
        const first = ledger.flush();
        ledger.append(fullRecord(2));
        const second = ledger.flush();
        await Promise.all([first, second, ledger.flush()]);
        expect(await ledger.count()).toBe(2);
      });
    });

    describe('query', () => {
      beforeEach(async () => {
        // Appended out of order, as requests finish in a different order than they start.
        for (const i of [5, 2, 9, 0, 7, 3, 8, 1, 6, 4]) ledger.append(fullRecord(i));
        await ledger.flush();
      });

      it('returns everything newest first, attempts included', async () => {
        const all = await ledger.query({});
        expect(ids(all)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => fullRecord(i).requestId));
        expect(all[0]).toStrictEqual(fullRecord(9));
      });

      it('filters by time range, since inclusive and until exclusive', async () => {
        const range = await ledger.query({ since: T0 + 3_000, until: T0 + 6_000 });
        expect(ids(range)).toEqual([5, 4, 3].map((i) => fullRecord(i).requestId));
        expect(await ledger.query({ since: T0 + 100_000 })).toEqual([]);
      });

      it('filters by model and by key', async () => {
        expect(ids(await ledger.query({ model: 'claude-3-5-haiku' }))).toEqual(
          [9, 7, 5, 3, 1].map((i) => fullRecord(i).requestId),
        );
        expect(ids(await ledger.query({ keyId: 'key-0' }))).toEqual(
          [9, 6, 3, 0].map((i) => fullRecord(i).requestId),
        );
        expect(await ledger.query({ model: 'unknown-model' })).toEqual([]);
      });

      it('combines filters and caps with limit', async () => {
        const result = await ledger.query({ model: 'gpt-4o-mini', since: T0 + 1_000, limit: 2 });
        expect(ids(result)).toEqual([8, 6].map((i) => fullRecord(i).requestId));
        expect(await ledger.query({ limit: 0 })).toEqual([]);
        expect(await ledger.query({ limit: 3 })).toHaveLength(3);
      });

      it('breaks timestamp ties by request id, descending', async () => {
        ledger.append(fullRecord(20, { requestId: 'tie-a', timestamp: T0 + 50_000 }));
        ledger.append(fullRecord(21, { requestId: 'tie-c', timestamp: T0 + 50_000 }));
        ledger.append(fullRecord(22, { requestId: 'tie-b', timestamp: T0 + 50_000 }));
        expect(ids(await ledger.query({ since: T0 + 50_000 }))).toEqual(['tie-c', 'tie-b', 'tie-a']);
      });
    });

    describe('count', () => {
      it('counts each request once', async () => {
        expect(await ledger.count()).toBe(0);
        ledger.append(fullRecord(1));
        ledger.append(fullRecord(1));
        ledger.append(fullRecord(2));
        expect(await ledger.count()).toBe(2);
      });
    });

    describe('setFeedback', () => {
      it('answers true for a recorded request, flushed or not, and false for an unknown one', async () => {
        ledger.append(fullRecord(1));
        expect(await ledger.setFeedback(fullRecord(1).requestId, 5, 'great answer')).toBe(true);
        await ledger.flush();
        expect(await ledger.setFeedback(fullRecord(1).requestId, 1)).toBe(true);
        expect(await ledger.setFeedback('unknown', 3)).toBe(false);
        // Feedback does not alter the recorded request.
        expect(await ledger.get(fullRecord(1).requestId)).toStrictEqual(fullRecord(1));
      });
    });

    describe('concurrency', () => {
      it('keeps 1,000 concurrent appends (each sent twice) exactly once', async () => {
        await Promise.all(
          Array.from({ length: 2_000 }, async (_, n) => {
            await Promise.resolve();
            ledger.append(fullRecord(n % 1_000));
          }),
        );
        await ledger.flush();
        expect(await ledger.count()).toBe(1_000);
        const all = await ledger.query({});
        expect(all).toHaveLength(1_000);
        expect(new Set(ids(all)).size).toBe(1_000);
        for (const i of [0, 1, 499, 998, 999]) {
          expect(await ledger.get(fullRecord(i).requestId)).toStrictEqual(fullRecord(i));
        }
      });
    });

    describe('close', () => {
      it('closes idempotently and refuses later appends', async () => {
        ledger.append(fullRecord(1));
        await ledger.close();
        await ledger.close();
        expect(() => ledger.append(fullRecord(2))).toThrow(/closed/);
      });
    });
  });
}
