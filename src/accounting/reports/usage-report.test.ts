import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNullLedger } from '../../gateway/null-ledger.js';
import { usageRecords } from '../../storage/ledger.contract.js';
import { createMemoryLedger } from '../../storage/memory/memory-ledger.js';
import type { Ledger } from '../../storage/ports.js';
import { createSqliteLedger } from '../../storage/sqlite/sqlite-ledger.js';
import { parseStrictCsv } from './__fixtures__/strict-csv.js';
import type { AdvisorModel } from './optimizer.js';
import { aggregateUsage, buildCostReport, buildUsageDocument, usageCsv } from './usage-report.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-usage-report-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse('2026-01-05T12:00:00.000Z');

describe.each([
  ['memory', (): Ledger => createMemoryLedger()],
  ['sqlite', (): Ledger => createSqliteLedger({ path: join(dir, `ledger-${files++}.db`) })],
  // A backend without `aggregate`: reported on in memory from `query`.
  [
    'a ledger without aggregate',
    (): Ledger => {
      const { aggregate: _, scan: __, ...plain } = createMemoryLedger();
      return plain;
    },
  ],
])('usage documents from %s', (_, make) => {
  let ledger: Ledger;
  beforeEach(() => {
    ledger = make();
    for (const record of usageRecords()) ledger.append(record);
  });
  afterEach(() => ledger.close());

  it('lists daily rows by model with exact USD strings, and totals', async () => {
    const doc = await buildUsageDocument(
      ledger,
      { filters: {}, period: 'day', by: ['model'], p95: true },
      NOW,
    );
    expect(doc).toMatchObject({ generated_at: '2026-01-05T12:00:00.000Z', period: 'daily', by: ['model'] });
    expect(doc.rows.map((r) => [r.period_start, r.model, r.requests, r.cost_usd])).toEqual([
      ['2025-12-31', null, 1, '0.00'],
      ['2026-01-01', 'gpt-4o-mini', 1, '0.000001'],
      ['2026-01-01', 'gpt-4o', 1, '0.00'],
      ['2026-01-04', 'gpt-4o-mini', 1, '0.0000025'],
      ['2026-01-05', 'gpt-4o', 1, '3.000000007'],
      ['2026-02-01', 'gpt-4o-mini', 1, '0.000000007'],
    ]);
    expect(doc.rows[3]).toMatchObject({
      avg_latency_ms: 200,
      p95_latency_ms: 200,
      rated: 1,
      avg_rating: 5,
      good_share: 1,
    });
    expect(doc.totals).toMatchObject({
      requests: 6,
      errors: 2,
      cost_usd: '3.000003514',
      cost_nanos: 3_000_003_514,
    });
  });

  it('counts totals once even when rows are per tag', async () => {
    const doc = await buildUsageDocument(ledger, { filters: {}, by: ['tag'] }, NOW);
    expect(doc.rows.reduce((n, r) => n + r.requests, 0)).toBe(7);
    expect(doc.totals.requests).toBe(6);
  });

  it('writes the rows as strict RFC 4180 CSV, a tag with a comma included', async () => {
    const doc = await buildUsageDocument(
      ledger,
      { filters: { since: Date.parse('2026-01-01T00:00:00Z') }, period: 'month', by: ['tag'] },
      NOW,
    );
    const [header, ...rows] = parseStrictCsv(usageCsv(doc));
    expect(header).toEqual([
      'period_start',
      'tag',
      'requests',
      'errors',
      'cancelled',
      'cache_hits',
      'input_tokens',
      'output_tokens',
      'cached_input_tokens',
      'cache_write_tokens',
      'reasoning_tokens',
      'cost_usd',
      'avg_latency_ms',
      'rated',
      'avg_rating',
      'graded',
      'good_share',
    ]);
    expect(rows.map((r) => [r[0], r[1], r[2], r[11]])).toEqual([
      ['2026-01-01', '', '2', '3.000002507'],
      ['2026-01-01', 'x', '2', '0.000001'],
      ['2026-01-01', 'y, z', '1', '0.00'],
      ['2026-02-01', 'y, z', '1', '0.000000007'],
    ]);
  });

  it('builds the cost report: periods, breakdown, forecast of the current month, advice', async () => {
    const models = new Map<string, AdvisorModel>([
      [
        'gpt-4o',
        {
          name: 'gpt-4o',
          tier: 'advanced',
          prices: { inputPerMTok: 2.5, outputPerMTok: 10 },
          capabilities: new Set(['chat']),
        },
      ],
    ]);
    const report = await buildCostReport(ledger, models, { filters: {}, by: ['project'] }, NOW);
    expect(report.period).toBe('monthly');
    expect(report.periods.map((r) => [r.period_start, r.cost_usd])).toEqual([
      ['2025-12-01', '0.00'],
      ['2026-01-01', '3.000003507'],
      ['2026-02-01', '0.000000007'],
    ]);
    expect(report.breakdown.map((r) => [r.project, r.requests])).toEqual([
      [null, 2],
      ['p2', 1],
      ['p1', 3],
    ]);
    expect(report.totals.cost_nanos).toBe(3_000_003_514);
    // January 1–4 are complete ($0.000001, 0, 0, $0.0000025): a line of slope 450 nano-dollars a day
    // through them, from half of today (which already spent $3) to the 31st, on top of what is spent.
    expect(report.forecast).toMatchObject({
      month: '2026-01',
      method: 'linear-trend',
      spent_nanos: 3_000_003_507,
      days_elapsed: 4.5,
      forecast_nanos: 3_000_003_507 + 1_000 + 209_950,
    });
    expect(report.advice).toEqual([]);
  });
});

describe('aggregateUsage', () => {
  it('reports nothing from a disabled ledger', async () => {
    expect(await aggregateUsage(createNullLedger(), { period: 'day' })).toEqual([]);
  });
});
