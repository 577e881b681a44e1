/**
 * @module admission/budgets
 * Which budgets a request spends from, and where each one's counter lives. The hierarchy is
 * global (config `budgets`) → project (`budgets.projects`) → virtual key → user
 * (`budgets.users`); each level may have a daily, a monthly and a total limit. Windows are UTC
 * calendar periods and every period has its own counter (`budget:key:<id>:daily:2026-01-31`),
 * so a new day starts from zero without anything being reset, and the old period's counter stays
 * readable. Amounts are nano-dollars, like the ledger's.
 */

import { usdToNanos } from '../accounting/compute-cost.js';
import type { Config } from '../config/schema.js';
import type { Caller } from '../gateway/request-context.js';
import type { BudgetWindow, VirtualKey } from '../storage/admission-ports.js';

export type BudgetLevel = 'global' | 'project' | 'key' | 'user';

export const BUDGET_WINDOWS: readonly BudgetWindow[] = ['daily', 'monthly', 'total'];

/** One limit of one budget. */
export interface BudgetLimit {
  level: BudgetLevel;
  /** Project name, key id or user id; undefined for the global budget. */
  name?: string;
  /** What to call it in messages: the key's name rather than its id. */
  label: string;
  window: BudgetWindow;
  limitNanos: number;
}

/** A budget limit in its current period. */
export interface BudgetPeriod extends BudgetLimit {
  /** `2026-01-31`, `2026-01` or `all`. */
  period: string;
  /** Counter holding the period's spend. */
  counterKey: string;
  /** When the period ends (undefined for total budgets). */
  resetsAt?: number;
}

type WindowLimits = Partial<Record<`${BudgetWindow}_limit_usd`, number>>;

function limitsOf(
  level: BudgetLevel,
  name: string | undefined,
  label: string,
  limits: WindowLimits,
): BudgetLimit[] {
  const out: BudgetLimit[] = [];
  for (const window of BUDGET_WINDOWS) {
    const usd = limits[`${window}_limit_usd`];
    if (usd === undefined) continue;
    out.push({ level, name, label, window, limitNanos: usdToNanos(usd) });
  }
  return out;
}

/** The budget limits configuration and keys define, resolved once per config. */
export interface BudgetBook {
  readonly global: readonly BudgetLimit[];
  project(name: string): readonly BudgetLimit[];
  user(name: string): readonly BudgetLimit[];
  key(key: VirtualKey): readonly BudgetLimit[];
  /** Every budget the config names (not keys'), for the admin view. */
  configured(): BudgetLimit[];
  /** The limits a caller's requests spend from, outermost first (shared: do not change it). */
  forCaller(caller: Caller): readonly BudgetLimit[];
}

const NONE: readonly BudgetLimit[] = Object.freeze([]);

interface KeyCallerLimits {
  project: string | undefined;
  user: string | undefined;
  limits: readonly BudgetLimit[];
}

export function createBudgetBook(budgets: Config['budgets']): BudgetBook {
  const global = limitsOf('global', undefined, 'global', budgets);
  const projects = new Map<string, BudgetLimit[]>();
  for (const [name, limits] of Object.entries(budgets.projects ?? {})) {
    projects.set(name, limitsOf('project', name, `project ${name}`, limits));
  }
  const users = new Map<string, BudgetLimit[]>();
  for (const [name, limits] of Object.entries(budgets.users ?? {})) {
    users.set(name, limitsOf('user', name, `user ${name}`, limits));
  }
  // Key records are reused while their lookup is cached: build each one's limits once.
  const byKey = new WeakMap<VirtualKey, readonly BudgetLimit[]>();
  const keyBudget = (key: VirtualKey): readonly BudgetLimit[] => {
    if (key.budgetUsd === undefined) return NONE;
    let limits = byKey.get(key);
    if (limits === undefined) {
      limits = limitsOf('key', key.id, `key "${key.name}"`, {
        [`${key.budgetWindow ?? 'total'}_limit_usd`]: key.budgetUsd,
      });
      byKey.set(key, limits);
    }
    return limits;
  };
  const callerLimits = (caller: Caller): readonly BudgetLimit[] => {
    const project = caller.project === undefined ? NONE : (projects.get(caller.project) ?? NONE);
    const key = caller.key === undefined ? NONE : keyBudget(caller.key);
    const user = caller.user === undefined ? NONE : (users.get(caller.user) ?? NONE);
    if (project.length + key.length + user.length === 0) return global;
    return [...global, ...project, ...key, ...user];
  };
  // A key's callers are the same project and user request after request: their list is built once.
  const byKeyCaller = new WeakMap<VirtualKey, KeyCallerLimits>();
  return {
    global,
    project: (name) => projects.get(name) ?? NONE,
    user: (name) => users.get(name) ?? NONE,
    key: keyBudget,
    configured: () => [...global, ...[...projects.values()].flat(), ...[...users.values()].flat()],
    forCaller(caller) {
      const key = caller.key;
      if (key === undefined) return callerLimits(caller);
      const known = byKeyCaller.get(key);
      if (known !== undefined && known.project === caller.project && known.user === caller.user) {
        return known.limits;
      }
      const limits = callerLimits(caller);
      byKeyCaller.set(key, { project: caller.project, user: caller.user, limits });
      return limits;
    },
  };
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The UTC period `at` falls in, and when it ends. */
export function periodOf(window: BudgetWindow, at: number): { period: string; resetsAt?: number } {
  if (window === 'total') return { period: 'all' };
  const date = new Date(at);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (window === 'monthly') {
    return { period: `${year}-${pad(month + 1)}`, resetsAt: Date.UTC(year, month + 1, 1) };
  }
  const day = date.getUTCDate();
  return {
    period: `${year}-${pad(month + 1)}-${pad(day)}`,
    resetsAt: Date.UTC(year, month, day + 1),
  };
}

interface MemoPeriod {
  /** The period holds for `at` in [from, until). */
  from: number;
  until: number;
  period: BudgetPeriod;
}

// A limit's period changes once a day at most: remembered per limit object (built once per
// config or key record), so that admitting a request builds no date, string or object for it.
const periods = new WeakMap<BudgetLimit, MemoPeriod>();

/** The period of `limit` that `at` falls in (a shared, frozen object: do not change it). */
export function budgetPeriod(limit: BudgetLimit, at: number): BudgetPeriod {
  const memo = periods.get(limit);
  if (memo !== undefined && at >= memo.from && at < memo.until) return memo.period;
  const { period, resetsAt } = periodOf(limit.window, at);
  // A plain literal, no spreads (V8 spreads are slow).
  const built: BudgetPeriod = Object.freeze({
    level: limit.level,
    name: limit.name,
    label: limit.label,
    window: limit.window,
    limitNanos: limit.limitNanos,
    period,
    counterKey: `budget:${limit.level}:${limit.name ?? '-'}:${limit.window}:${period}`,
    resetsAt,
  });
  periods.set(limit, {
    from: periodStartOf(limit.window, at),
    until: resetsAt ?? Number.POSITIVE_INFINITY,
    period: built,
  });
  return built;
}

/** When the UTC period `at` falls in began (the earliest time for a total budget). */
export function periodStartOf(window: BudgetWindow, at: number): number {
  if (window === 'total') return Number.NEGATIVE_INFINITY;
  const date = new Date(at);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return window === 'monthly' ? Date.UTC(year, month, 1) : Date.UTC(year, month, date.getUTCDate());
}

/** The counter that records that a period's alert went out (so it goes out once, across replicas). */
export function alertCounterKey(period: BudgetPeriod): string {
  return `alert:${period.counterKey}`;
}
