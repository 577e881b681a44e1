/**
 * @module storage/ledger.contract
 * The one test suite every Ledger backend must pass (memory, SQLite, and PostgreSQL later). It
 * fixes the semantics the port leaves implicit: records round-trip field for field, attempts
 * included; the first record for a request id wins and later ones are ignored; reads see every
 * record appended before them, flushed or not; `query` filters with `since` inclusive and `until`
 * exclusive, returns newest first with ties broken by request id descending, and `limit` caps
 * the result; feedback is read back with the record; `aggregate` adds up to hand-computed totals
 * per UTC day, Monday week and month and per dimension; `scan` pages oldest first; `close` is
 * idempotent and refuses later appends.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ledger, LedgerRecord, UsageRow } from './ports.js';

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

/**
 * Six requests with hand-picked numbers across a day, week and month boundary (2026-01-01 was a
 * Thursday; 2026-01-05 a Monday), for aggregation tests. Totals are written out in the tests.
 */
export function usageRecords(): LedgerRecord[] {
  const at = (iso: string) => Date.parse(iso);
  const base = (id: string, iso: string): LedgerRecord => ({
    ...minimalRecord(id, at(iso)),
    endpoint: '/v1/chat/completions',
    usageEstimated: false,
  });
  return [
    {
      ...base('u1', '2026-01-01T10:00:00.000Z'),
      model: 'gpt-4o-mini',
      provider: 'openai',
      keyId: 'k1',
      project: 'p1',
      tags: ['x'],
      route: 'auto',
      strategy: 'cheapest',
      status: 'ok',
      httpStatus: 200,
      inputTokens: 100,
      outputTokens: 50,
      cachedInputTokens: 10,
      costNanos: 1_000,
      latencyMs: 100,
      confidence: 0.9,
    },
    {
      ...base('u2', '2026-01-01T23:59:59.999Z'),
      model: 'gpt-4o',
      provider: 'openai',
      keyId: 'k2',
      project: 'p1',
      tags: ['x', 'y, z'],
      route: 'auto',
      strategy: 'cheapest',
      status: 'error',
      errorCode: 'MODEL_ERROR',
      httpStatus: 502,
      inputTokens: 200,
      latencyMs: 300,
      feedback: { rating: 2, comment: 'failed, "again"' },
    },
    {
      ...base('u3', '2026-01-04T12:00:00.000Z'),
      model: 'gpt-4o-mini',
      provider: 'openai',
      keyId: 'k1',
      project: 'p2',
      strategy: 'direct',
      status: 'ok',
      httpStatus: 200,
      inputTokens: 300,
      outputTokens: 100,
      reasoningTokens: 20,
      costNanos: 2_500,
      latencyMs: 200,
      cacheHit: true,
      feedback: { rating: 5 },
    },
    {
      ...base('u4', '2026-01-05T00:00:00.000Z'),
      model: 'gpt-4o',
      provider: 'azure',
      keyId: 'k2',
      tags: [],
      route: 'auto',
      strategy: 'cheapest',
      status: 'cancelled',
      httpStatus: 499,
      inputTokens: 50,
      outputTokens: 10,
      // Over three dollars, to show the sum stays exact to the nano-dollar.
      costNanos: 3_000_000_007,
      latencyMs: 50,
      confidence: 0.5,
    },
    {
      ...base('u5', '2026-02-01T00:00:00.000Z'),
      model: 'gpt-4o-mini',
      provider: 'openai',
      keyId: 'k3',
      project: 'p1',
      tags: ['y, z'],
      strategy: 'direct',
      status: 'ok',
      httpStatus: 200,
      inputTokens: 10,
      outputTokens: 5,
      cacheWriteTokens: 4,
      costNanos: 7,
      latencyMs: 400,
    },
    {
      ...base('u6', '2025-12-31T23:59:59.999Z'),
      status: 'error',
      errorCode: 'UNAUTHORIZED',
      httpStatus: 401,
      latencyMs: 10,
    },
  ];
}

/** A usage row with the given fields and zero elsewhere. */
export function usageRow(fields: Partial<UsageRow>): UsageRow {
  return {
    group: {},
    requests: 0,
    errors: 0,
    cancelled: 0,
    cacheHits: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: 0,
    latencyMsSum: 0,
    rated: 0,
    ratingSum: 0,
    graded: 0,
    gradedGood: 0,
    ...fields,
  };
}

const day = (iso: string) => Date.parse(`${iso}T00:00:00.000Z`);

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
        // The latest feedback is read back with the record; nothing else about it changes.
        expect(await ledger.get(fullRecord(1).requestId)).toStrictEqual({
          ...fullRecord(1),
          feedback: { rating: 1 },
        });
        expect(await ledger.setFeedback(fullRecord(1).requestId, 4.5, 'better, "now"')).toBe(true);
        const [queried] = await ledger.query({ since: fullRecord(1).timestamp });
        expect(queried?.feedback).toStrictEqual({ rating: 4.5, comment: 'better, "now"' });
      });

      it('round-trips a record appended with feedback already on it', async () => {
        const record = fullRecord(2, { feedback: { rating: 3, comment: 'ok' } });
        ledger.append(record);
        await ledger.flush();
        expect(await ledger.get(record.requestId)).toStrictEqual(record);
      });
    });

    describe('query by project', () => {
      it('filters by project', async () => {
        ledger.append(fullRecord(1));
        ledger.append(fullRecord(2, { project: 'beta' }));
        ledger.append(fullRecord(3, { project: undefined }));
        expect(ids(await ledger.query({ project: 'beta' }))).toEqual([fullRecord(2).requestId]);
        expect(ids(await ledger.query({ project: 'alpha' }))).toEqual([fullRecord(1).requestId]);
      });
    });

    describe('aggregate', () => {
      const aggregate = (query: Parameters<NonNullable<Ledger['aggregate']>>[0]) => {
        if (ledger.aggregate === undefined) throw new Error('this backend has no aggregate');
        return ledger.aggregate(query);
      };

      beforeEach(async () => {
        for (const record of usageRecords()) ledger.append(record);
        // u2 arrives with feedback; u3 gets it afterwards, as through POST /v1/feedback.
        await ledger.flush();
      });

      it('answers one row for everything, with exact sums, when not grouped', async () => {
        expect(await aggregate({})).toStrictEqual([
          usageRow({
            requests: 6,
            errors: 2,
            cancelled: 1,
            cacheHits: 1,
            inputTokens: 660,
            outputTokens: 165,
            cachedInputTokens: 10,
            cacheWriteTokens: 4,
            reasoningTokens: 20,
            costNanos: 3_000_003_514,
            latencyMsSum: 1_060,
            rated: 2,
            ratingSum: 7,
            graded: 4,
            gradedGood: 2,
          }),
        ]);
        expect(await aggregate({ since: day('2027-01-01') })).toStrictEqual([]);
      });

      it('groups by UTC day, Monday week and month', async () => {
        const days = await aggregate({ period: 'day' });
        expect(
          days.map((r) => [new Date(r.periodStart ?? 0).toISOString().slice(0, 10), r.requests]),
        ).toEqual([
          ['2025-12-31', 1],
          ['2026-01-01', 2],
          ['2026-01-04', 1],
          ['2026-01-05', 1],
          ['2026-02-01', 1],
        ]);
        expect(days[1]).toStrictEqual(
          usageRow({
            periodStart: day('2026-01-01'),
            requests: 2,
            errors: 1,
            inputTokens: 300,
            outputTokens: 50,
            cachedInputTokens: 10,
            costNanos: 1_000,
            latencyMsSum: 400,
            rated: 1,
            ratingSum: 2,
            graded: 2,
            gradedGood: 1,
          }),
        );
        const weeks = await aggregate({ period: 'week' });
        expect(weeks.map((r) => [r.periodStart, r.requests, r.costNanos])).toEqual([
          [day('2025-12-29'), 4, 3_500],
          [day('2026-01-05'), 1, 3_000_000_007],
          [day('2026-01-26'), 1, 7],
        ]);
        const months = await aggregate({ period: 'month' });
        expect(months.map((r) => [r.periodStart, r.requests, r.costNanos])).toEqual([
          [day('2025-12-01'), 1, 0],
          [day('2026-01-01'), 4, 3_000_003_507],
          [day('2026-02-01'), 1, 7],
        ]);
        // Month buckets inside an explicit range, too.
        const january = await aggregate({
          period: 'month',
          since: day('2026-01-01'),
          until: day('2026-02-01'),
        });
        expect(january.map((r) => [r.periodStart, r.requests])).toEqual([[day('2026-01-01'), 4]]);
      });

      it('groups by model, most expensive first, with the 95th-percentile latency when asked', async () => {
        expect(await aggregate({ by: ['model'], p95: true })).toStrictEqual([
          usageRow({
            group: { model: 'gpt-4o' },
            requests: 2,
            errors: 1,
            cancelled: 1,
            inputTokens: 250,
            outputTokens: 10,
            costNanos: 3_000_000_007,
            latencyMsSum: 350,
            p95LatencyMs: 300,
            rated: 1,
            ratingSum: 2,
            graded: 2,
            gradedGood: 0,
          }),
          usageRow({
            group: { model: 'gpt-4o-mini' },
            requests: 3,
            cacheHits: 1,
            inputTokens: 410,
            outputTokens: 155,
            cachedInputTokens: 10,
            cacheWriteTokens: 4,
            reasoningTokens: 20,
            costNanos: 3_507,
            latencyMsSum: 700,
            p95LatencyMs: 400,
            rated: 1,
            ratingSum: 5,
            graded: 2,
            gradedGood: 2,
          }),
          usageRow({
            group: { model: null },
            requests: 1,
            errors: 1,
            latencyMsSum: 10,
            p95LatencyMs: 10,
          }),
        ]);
      });

      it('groups by key, project, provider, strategy, route and user', async () => {
        const summary = async (by: 'key' | 'project' | 'provider' | 'strategy' | 'route' | 'user') =>
          (await aggregate({ by: [by] })).map((r) => [r.group[by], r.requests, r.costNanos]);
        expect(await summary('key')).toEqual([
          ['k2', 2, 3_000_000_007],
          ['k1', 2, 3_500],
          ['k3', 1, 7],
          [null, 1, 0],
        ]);
        expect(await summary('project')).toEqual([
          [null, 2, 3_000_000_007],
          ['p2', 1, 2_500],
          ['p1', 3, 1_007],
        ]);
        expect(await summary('provider')).toEqual([
          ['azure', 1, 3_000_000_007],
          ['openai', 4, 3_507],
          [null, 1, 0],
        ]);
        expect(await summary('strategy')).toEqual([
          ['cheapest', 3, 3_000_001_007],
          ['direct', 3, 2_507],
        ]);
        expect(await summary('route')).toEqual([
          ['auto', 3, 3_000_001_007],
          [null, 3, 2_507],
        ]);
        expect(await summary('user')).toEqual([[null, 6, 3_000_003_514]]);
      });

      it('counts a request under each of its tags, and untagged ones under null', async () => {
        const rows = await aggregate({ by: ['tag'] });
        expect(rows.map((r) => [r.group.tag, r.requests, r.costNanos, r.inputTokens])).toEqual([
          [null, 3, 3_000_002_507, 350],
          ['x', 2, 1_000, 300],
          ['y, z', 2, 7, 210],
        ]);
      });

      it('groups by period and several dimensions at once', async () => {
        const rows = await aggregate({ period: 'month', by: ['route', 'model'] });
        expect(rows.map((r) => [r.periodStart, r.group, r.requests, r.costNanos])).toEqual([
          [day('2025-12-01'), { route: null, model: null }, 1, 0],
          [day('2026-01-01'), { route: 'auto', model: 'gpt-4o' }, 2, 3_000_000_007],
          [day('2026-01-01'), { route: null, model: 'gpt-4o-mini' }, 1, 2_500],
          [day('2026-01-01'), { route: 'auto', model: 'gpt-4o-mini' }, 1, 1_000],
          [day('2026-02-01'), { route: null, model: 'gpt-4o-mini' }, 1, 7],
        ]);
      });

      it('filters by time range, model, key, project and tag', async () => {
        const one = async (query: Parameters<typeof aggregate>[0]) => {
          const rows = await aggregate(query);
          return rows.map((r) => [r.requests, r.costNanos]);
        };
        expect(
          await one({ since: day('2026-01-01'), until: day('2026-02-01'), model: 'gpt-4o-mini' }),
        ).toEqual([[2, 3_500]]);
        expect(await one({ keyId: 'k2' })).toEqual([[2, 3_000_000_007]]);
        expect(await one({ project: 'p1' })).toEqual([[3, 1_007]]);
        expect(await one({ tag: 'y, z' })).toEqual([[2, 7]]);
        expect(await one({ tag: 'nope' })).toEqual([]);
        // since inclusive, until exclusive, to the millisecond.
        expect(await one({ since: day('2026-01-05'), until: day('2026-02-01') })).toEqual([
          [1, 3_000_000_007],
        ]);
      });

      it('reads feedback set after the record, and lets feedback outrank confidence', async () => {
        // u1 was confident (0.9: good); a poor rating now outranks that.
        await ledger.setFeedback('u1', 1);
        const [row] = await aggregate({ model: 'gpt-4o-mini' });
        expect(row).toMatchObject({ rated: 2, ratingSum: 6, graded: 2, gradedGood: 1 });
        const [strict] = await aggregate({ model: 'gpt-4o-mini', good: { rating: 6, confidence: 0 } });
        expect(strict).toMatchObject({ graded: 2, gradedGood: 0 });
      });

      it('refuses an unknown dimension', async () => {
        await expect(aggregate({ by: ['colour' as 'model'] })).rejects.toThrow(/unknown usage dimension/);
      });
    });

    describe('scan', () => {
      const scanAll = async (query: Parameters<NonNullable<Ledger['scan']>>[0]) => {
        if (ledger.scan === undefined) throw new Error('this backend has no scan');
        const out: LedgerRecord[] = [];
        for await (const record of ledger.scan(query)) out.push(record);
        return out;
      };

      it('yields every record oldest first, ties by request id, across pages', async () => {
        // 2,500 records on 500 distinct timestamps: pages of any size split runs of ties.
        const records = Array.from({ length: 2_500 }, (_, n) =>
          fullRecord(n, {
            requestId: `s-${String((n * 7919) % 2_500).padStart(5, '0')}`,
            timestamp: T0 + (n % 500),
          }),
        );
        for (const record of records) ledger.append(record);
        const all = await scanAll({});
        expect(all).toHaveLength(2_500);
        const expected = [...records].sort((a, b) =>
          a.timestamp !== b.timestamp ? a.timestamp - b.timestamp : a.requestId < b.requestId ? -1 : 1,
        );
        expect(ids(all)).toEqual(ids(expected));
        expect(all[1_234]).toStrictEqual(expected[1_234]);
        expect(await scanAll({ limit: 1_001 })).toHaveLength(1_001);
        expect(ids(await scanAll({ since: T0 + 498 }))).toEqual(ids(expected.slice(-10)));
      });

      it('filters like query', async () => {
        for (const record of usageRecords()) ledger.append(record);
        expect(ids(await scanAll({ model: 'gpt-4o-mini' }))).toEqual(['u1', 'u3', 'u5']);
        expect(ids(await scanAll({ keyId: 'k2', until: day('2026-01-05') }))).toEqual(['u2']);
        expect(ids(await scanAll({ project: 'p1' }))).toEqual(['u1', 'u2', 'u5']);
        expect(await scanAll({ since: day('2030-01-01') })).toEqual([]);
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
