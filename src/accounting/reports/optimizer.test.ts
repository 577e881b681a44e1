import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { minimalRecord } from '../../storage/ledger.contract.js';
import { createMemoryLedger } from '../../storage/memory/memory-ledger.js';
import type { Ledger, LedgerRecord } from '../../storage/ports.js';
import { createSqliteLedger } from '../../storage/sqlite/sqlite-ledger.js';
import { type AdvisorModel, adviseCheaperModels } from './optimizer.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-optimizer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chat = new Set(['chat']);
const MODELS = new Map<string, AdvisorModel>(
  (
    [
      { name: 'big', tier: 'advanced', prices: { inputPerMTok: 2.5, outputPerMTok: 10 }, capabilities: chat },
      { name: 'alt', tier: 'advanced', prices: { inputPerMTok: 0.8, outputPerMTok: 4 }, capabilities: chat },
      // Cheapest of the tier, but its answers were rated poorly.
      {
        name: 'alt-worse',
        tier: 'advanced',
        prices: { inputPerMTok: 0.3, outputPerMTok: 1 },
        capabilities: chat,
      },
      // Cheaper, never used: no evidence either way.
      {
        name: 'alt-unused',
        tier: 'advanced',
        prices: { inputPerMTok: 0.5, outputPerMTok: 2 },
        capabilities: chat,
      },
      // Cheaper, and rated as well as any: but another tier.
      {
        name: 'basic',
        tier: 'basic',
        prices: { inputPerMTok: 0.15, outputPerMTok: 0.6 },
        capabilities: chat,
      },
    ] satisfies AdvisorModel[]
  ).map((m) => [m.name, m]),
);

let seq = 0;
/** `n` requests of 1,000 input and 500 output tokens, with the given outcome. */
function requests(
  n: number,
  model: string,
  route: string,
  outcome: { rating?: number; confidence?: number; status?: LedgerRecord['status'] } = {},
): LedgerRecord[] {
  return Array.from({ length: n }, () => ({
    ...minimalRecord(`r${seq++}`, Date.UTC(2026, 0, 10) + seq),
    model,
    route,
    strategy: 'fallback',
    status: outcome.status ?? 'ok',
    httpStatus: outcome.status === 'error' ? 502 : 200,
    inputTokens: 1_000,
    outputTokens: 500,
    costNanos: 1,
    ...(outcome.rating === undefined ? {} : { feedback: { rating: outcome.rating } }),
    ...(outcome.confidence === undefined ? {} : { confidence: outcome.confidence }),
  }));
}

/** The scenario: `big` served route auto well; `alt`, same tier and cheaper, served it as well. */
function scenario(): LedgerRecord[] {
  return [
    ...requests(20, 'big', 'auto', { rating: 5 }),
    ...requests(20, 'big', 'auto', { confidence: 0.9 }),
    ...requests(25, 'alt', 'auto', { rating: 5 }),
    ...requests(5, 'alt', 'auto', { rating: 4 }),
    ...requests(20, 'alt-worse', 'auto', { rating: 2 }),
    ...requests(20, 'basic', 'auto', { rating: 5 }),
  ];
}

async function groups(ledger: Ledger, records: readonly LedgerRecord[]) {
  for (const record of records) ledger.append(record);
  const rows = (await ledger.aggregate?.({ by: ['route', 'model'] })) ?? [];
  await ledger.close();
  return rows;
}

const backends: [string, () => Ledger][] = [
  ['memory', () => createMemoryLedger()],
  ['sqlite', () => createSqliteLedger({ path: join(dir, `ledger-${seq++}.db`) })],
];

describe.each(backends)('adviseCheaperModels on a %s ledger', (_, make) => {
  it('suggests the cheaper same-tier model that had equally good feedback, with the saving and evidence', async () => {
    const advice = adviseCheaperModels(await groups(make(), scenario()), MODELS);
    expect(advice).toHaveLength(1);
    const [suggestion] = advice;
    // 40 requests × (1,000 in, 500 out): 40k × $2.5 + 20k × $10 = $0.30 on big; 40k × $0.8 + 20k × $4 = $0.112 on alt.
    expect(suggestion).toMatchObject({
      route: 'auto',
      model: 'big',
      alternative: 'alt',
      tier: 'advanced',
      requests: 40,
      costNanos: 40,
      estimatedCostNanos: 300_000_000,
      alternativeCostNanos: 112_000_000,
      savingNanos: 188_000_000,
      strength: 'compared',
      current: { scope: 'route', graded: 40, goodShare: 1, rated: 20, avgRating: 5, errorRate: 0 },
      alternativeEvidence: {
        scope: 'route',
        graded: 30,
        goodShare: 1,
        rated: 30,
        avgRating: 4.833333333333333,
      },
    });
    expect(suggestion?.savingShare).toBeCloseTo(188 / 300, 10);
    expect(suggestion?.reason).toMatch(
      /alt \(also advanced\) was judged good on 100% of 30 graded requests on this route/,
    );
  });
});

describe('adviseCheaperModels', () => {
  const rowsOf = (records: readonly LedgerRecord[]) => groups(createMemoryLedger(), records);

  it('suggests nothing when the cheaper model was judged worse, erred more, or has no record', async () => {
    const worse = [
      ...requests(20, 'big', 'auto', { rating: 5 }),
      ...requests(20, 'alt', 'auto', { rating: 3 }),
    ];
    expect(adviseCheaperModels(await rowsOf(worse), MODELS)).toEqual([]);

    const erring = [
      ...requests(20, 'big', 'auto', { rating: 5 }),
      ...requests(20, 'alt', 'auto', { rating: 5 }),
      ...requests(5, 'alt', 'auto', { status: 'error' }),
    ];
    expect(adviseCheaperModels(await rowsOf(erring), MODELS)).toEqual([]);

    const unused = requests(20, 'big', 'auto', { rating: 5 });
    expect(adviseCheaperModels(await rowsOf(unused), MODELS)).toEqual([]);

    // Nine good grades are not ten.
    const thin = [
      ...requests(20, 'big', 'auto', { rating: 5 }),
      ...requests(9, 'alt', 'auto', { rating: 5 }),
    ];
    expect(adviseCheaperModels(await rowsOf(thin), MODELS)).toEqual([]);
  });

  it('takes the cheaper model’s record from other routes when it has none on this one', async () => {
    const records = [
      ...requests(20, 'big', 'auto', { rating: 5 }),
      ...requests(12, 'alt', 'batch', { confidence: 0.95 }),
    ];
    const [suggestion] = adviseCheaperModels(await rowsOf(records), MODELS);
    expect(suggestion).toMatchObject({
      model: 'big',
      alternative: 'alt',
      alternativeEvidence: { scope: 'all-routes', graded: 12 },
    });
  });

  it('holds the cheaper model to a floor when the expensive one has too few grades', async () => {
    const ungraded = [...requests(20, 'big', 'auto'), ...requests(10, 'alt', 'auto', { rating: 5 })];
    const [suggestion] = adviseCheaperModels(await rowsOf(ungraded), MODELS);
    expect(suggestion).toMatchObject({ strength: 'floor', current: { graded: 0, goodShare: null } });
    expect(suggestion?.reason).toMatch(/too few graded requests/);

    const mediocre = [
      ...requests(20, 'big', 'auto'),
      ...requests(10, 'alt', 'auto', { confidence: 0.75 }),
      ...requests(5, 'alt', 'auto', { confidence: 0.2 }),
    ];
    expect(adviseCheaperModels(await rowsOf(mediocre), MODELS)).toEqual([]);
  });

  it('never crosses tiers or drops a capability, and skips unpriced models', async () => {
    const seeing = new Map(MODELS);
    seeing.set('big', { ...(MODELS.get('big') as AdvisorModel), capabilities: new Set(['chat', 'vision']) });
    const records = [
      ...requests(20, 'big', 'auto', { rating: 5 }),
      ...requests(20, 'alt', 'auto', { rating: 5 }),
    ];
    const rows = await rowsOf(records);
    expect(adviseCheaperModels(rows, seeing)).toEqual([]);
    const unpriced = new Map(MODELS);
    unpriced.set('big', { ...(MODELS.get('big') as AdvisorModel), priced: false });
    expect(adviseCheaperModels(rows, unpriced)).toEqual([]);
    // `basic` is cheaper and rated as well as anything, but it is another tier.
    const basicOnly = [
      ...requests(20, 'big', 'auto', { rating: 5 }),
      ...requests(20, 'basic', 'auto', { rating: 5 }),
    ];
    expect(adviseCheaperModels(await rowsOf(basicOnly), MODELS)).toEqual([]);
  });

  it('lists the largest savings first, at most `top`', async () => {
    const records = [
      ...requests(10, 'big', 'small-route', { rating: 5 }),
      ...requests(30, 'big', 'large-route', { rating: 5 }),
      ...requests(20, 'alt', 'other', { rating: 5 }),
    ];
    const advice = adviseCheaperModels(await rowsOf(records), MODELS);
    expect(advice.map((a) => a.route)).toEqual(['large-route', 'small-route']);
    expect(adviseCheaperModels(await rowsOf(records), MODELS, { top: 1 })).toHaveLength(1);
  });
});
