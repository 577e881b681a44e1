/**
 * @module admission/reseed-budgets
 * Rebuilds budget spend from the ledger. The ledger is the record of what was spent; budget
 * counters are a fast copy of it. When the counter store loses its state — a Redis that ran
 * without persistence restarts empty — every budget would silently start again from zero, so
 * the spend of each budget's current period is summed from the ledger and its counter raised
 * to it. Raising (never adding) makes a second re-seed, by another replica, change nothing.
 *
 * Records still in a replica's write-behind queue (at most the ledger's flush interval old) are
 * not yet in the ledger and are missed; the caller flushes its own ledger first.
 */

import type { BudgetWindow, KeyStore } from '../storage/admission-ports.js';
import type { Ledger, UsageDimension, UsageRow } from '../storage/ports.js';
import {
  type BudgetBook,
  type BudgetLevel,
  type BudgetLimit,
  budgetPeriod,
  periodStartOf,
} from './budgets.js';

export interface ReseedInput {
  /** Raises a counter's settled amount to at least `used` (the failover store's `seedUsed`). */
  seed: (key: string, used: number) => Promise<unknown>;
  keys: KeyStore;
  book: BudgetBook;
  ledger: Ledger;
  now: number;
}

export interface ReseedResult {
  /** Budget counters raised to their spend. */
  counters: number;
  /** The spend they were raised to, in all (nano-dollars). */
  nanos: number;
}

const DIMENSION: Record<Exclude<BudgetLevel, 'global'>, UsageDimension> = {
  key: 'key',
  project: 'project',
  user: 'user',
};

/** Where the ledger sum of a budget's current period starts: the period's start, 0 for total budgets. */
export function periodStart(window: BudgetWindow, at: number): number {
  return Math.max(0, periodStartOf(window, at));
}

/** Every budget limit that has a counter: the configured ones and those of live keys. */
async function allLimits(book: BudgetBook, keys: KeyStore): Promise<BudgetLimit[]> {
  const limits = book.configured();
  for (const key of await keys.list()) {
    if (key.revokedAt === undefined) limits.push(...book.key(key));
  }
  return limits;
}

export async function reseedBudgets(input: ReseedInput): Promise<ReseedResult> {
  const { ledger, now } = input;
  if (ledger.aggregate === undefined)
    throw new Error('the ledger cannot sum usage; budgets cannot be re-seeded');
  const limits = await allLimits(input.book, input.keys);
  // One aggregate per (level, window): the sums of every name at that level.
  const sums = new Map<string, Map<string | undefined, number>>();
  for (const limit of limits) {
    const group = `${limit.level}:${limit.window}`;
    if (sums.has(group)) continue;
    const by = limit.level === 'global' ? [] : [DIMENSION[limit.level]];
    const rows: UsageRow[] = await ledger.aggregate({ since: periodStart(limit.window, now), by });
    const byName = new Map<string | undefined, number>();
    for (const row of rows) {
      const name = limit.level === 'global' ? undefined : row.group[DIMENSION[limit.level]];
      if (name === null) continue;
      byName.set(name, (byName.get(name) ?? 0) + row.costNanos);
    }
    sums.set(group, byName);
  }
  let charged = 0;
  let nanos = 0;
  for (const limit of limits) {
    const spent = sums.get(`${limit.level}:${limit.window}`)?.get(limit.name) ?? 0;
    if (spent <= 0) continue;
    await input.seed(budgetPeriod(limit, now).counterKey, spent);
    charged++;
    nanos += spent;
  }
  return { counters: charged, nanos };
}
