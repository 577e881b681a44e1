import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import { fullRecord } from '../storage/ledger.contract.js';
import { createMemoryKeyStore } from '../storage/memory/memory-key-store.js';
import { createMemoryLedger } from '../storage/memory/memory-ledger.js';
import { budgetPeriod, createBudgetBook } from './budgets.js';
import { periodStart, reseedBudgets } from './reseed-budgets.js';

const NOW = Date.UTC(2026, 10, 25, 15, 0, 0);
const YESTERDAY = Date.UTC(2026, 10, 24, 10, 0, 0);
const LAST_MONTH = Date.UTC(2026, 9, 30, 10, 0, 0);

function storedKey(id: string, budgetUsd: number | undefined, revokedAt?: number) {
  return {
    id,
    name: id,
    prefix: 'sk-sy-abcd',
    models: [],
    ...(budgetUsd === undefined ? {} : { budgetUsd, budgetWindow: 'monthly' as const }),
    admin: false,
    createdBy: 'master',
    createdAt: 0,
    ...(revokedAt === undefined ? {} : { revokedAt }),
    hash: `hash-${id}`,
  };
}

describe('periodStart', () => {
  it('is the UTC start of the day, the month, or 0', () => {
    expect(periodStart('daily', NOW)).toBe(Date.UTC(2026, 10, 25));
    expect(periodStart('monthly', NOW)).toBe(Date.UTC(2026, 10, 1));
    expect(periodStart('total', NOW)).toBe(0);
  });
});

describe('reseedBudgets', () => {
  it("charges each budget counter its current period's spend from the ledger, and nothing else", async () => {
    const { config } = parseConfigObject({
      budgets: { daily_limit_usd: 10, total_limit_usd: 100, projects: { alpha: { monthly_limit_usd: 5 } } },
    });
    const book = createBudgetBook(config.budgets);
    const ledger = createMemoryLedger();
    const record = (i: number, timestamp: number, keyId: string, costNanos: number) =>
      ledger.append(fullRecord(i, { timestamp, keyId, project: 'alpha', costNanos, attempts: [] }));
    record(1, NOW - 1_000, 'k1', 1_000);
    record(2, NOW - 2_000, 'k2', 20_000);
    record(3, YESTERDAY, 'k1', 300_000);
    record(4, LAST_MONTH, 'k1', 4_000_000);
    await ledger.flush();
    const keys = createMemoryKeyStore();
    await keys.create(storedKey('k1', 1));
    await keys.create(storedKey('k2', undefined));
    await keys.create(storedKey('k3', 1, NOW - 5));
    const seeded = new Map<string, number>();
    const seed = async (key: string, used: number) => {
      seeded.set(key, Math.max(seeded.get(key) ?? 0, used));
    };

    const result = await reseedBudgets({ seed, keys, book, ledger, now: NOW });

    const used = async (limit: Parameters<typeof budgetPeriod>[0]) =>
      seeded.get(budgetPeriod(limit, NOW).counterKey);
    const [daily, total] = book.global;
    expect(await used(daily!)).toBe(21_000);
    expect(await used(total!)).toBe(4_321_000);
    expect(await used(book.project('alpha')[0]!)).toBe(321_000);
    const k1 = (await keys.get('k1'))!;
    expect(await used(book.key(k1)[0]!)).toBe(301_000);
    expect(result).toEqual({ counters: 4, nanos: 21_000 + 4_321_000 + 321_000 + 301_000 });
    // Only budgets with spend are touched: the revoked key and the key without a budget are not.
    expect(seeded.size).toBe(4);
  });
});
