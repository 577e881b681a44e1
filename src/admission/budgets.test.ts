import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import type { VirtualKey } from '../storage/admission-ports.js';
import { budgetPeriod, createBudgetBook, periodOf } from './budgets.js';

describe('periodOf', () => {
  it('cuts UTC days and months, ending at the next midnight UTC', () => {
    const at = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    expect(periodOf('daily', at)).toEqual({ period: '2024-02-29', resetsAt: Date.UTC(2024, 2, 1) });
    expect(periodOf('daily', at + 1)).toEqual({ period: '2024-03-01', resetsAt: Date.UTC(2024, 2, 2) });
    expect(periodOf('monthly', at)).toEqual({ period: '2024-02', resetsAt: Date.UTC(2024, 2, 1) });
    expect(periodOf('monthly', Date.UTC(2025, 11, 31, 12))).toEqual({
      period: '2025-12',
      resetsAt: Date.UTC(2026, 0, 1),
    });
    expect(periodOf('total', at)).toEqual({ period: 'all' });
  });
});

describe('createBudgetBook', () => {
  const { config } = parseConfigObject({
    budgets: {
      daily_limit_usd: 50,
      total_limit_usd: 1_000,
      projects: { search: { monthly_limit_usd: 100 } },
      users: { ann: { daily_limit_usd: 2 } },
    },
  });
  const book = createBudgetBook(config.budgets);
  const key: VirtualKey = {
    id: 'key_1',
    name: 'bot',
    prefix: 'sk-sy-abcd',
    models: [],
    budgetUsd: 5,
    budgetWindow: 'daily',
    admin: false,
    createdBy: 'master',
    createdAt: 0,
  };

  it('orders a caller’s budgets global → project → key → user, each in nano-dollars', () => {
    const limits = book.forCaller({ admin: false, keyId: key.id, key, project: 'search', user: 'ann' });
    expect(limits.map((l) => [l.level, l.name, l.window, l.limitNanos])).toEqual([
      ['global', undefined, 'daily', 50e9],
      ['global', undefined, 'total', 1_000e9],
      ['project', 'search', 'monthly', 100e9],
      ['key', 'key_1', 'daily', 5e9],
      ['user', 'ann', 'daily', 2e9],
    ]);
    expect(book.forCaller({ admin: true }).map((l) => l.level)).toEqual(['global', 'global']);
    expect(book.forCaller({ admin: false, project: 'unknown' })).toHaveLength(2);
  });

  it('follows the caller, not only its key: the same key record with another project or user', () => {
    const levels = (caller: Parameters<typeof book.forCaller>[0]) =>
      book.forCaller(caller).map((l) => `${l.level}:${l.name ?? ''}`);
    expect(levels({ admin: false, key, project: 'search' })).toEqual([
      'global:',
      'global:',
      'project:search',
      'key:key_1',
    ]);
    expect(levels({ admin: false, key, user: 'ann' })).toEqual([
      'global:',
      'global:',
      'key:key_1',
      'user:ann',
    ]);
    expect(levels({ admin: false, key })).toEqual(['global:', 'global:', 'key:key_1']);
    expect(book.forCaller({ admin: false, key })).toBe(book.forCaller({ admin: false, key }));
  });

  it('keys each period’s counter by its window start, so a new day is a new counter', () => {
    const [limit] = book.key(key);
    const today = budgetPeriod(limit!, Date.UTC(2026, 4, 1, 23));
    const tomorrow = budgetPeriod(limit!, Date.UTC(2026, 4, 2, 0));
    expect(today.counterKey).toBe('budget:key:key_1:daily:2026-05-01');
    expect(tomorrow.counterKey).toBe('budget:key:key_1:daily:2026-05-02');
    expect(book.key({ ...key, budgetUsd: undefined })).toEqual([]);
    expect(book.key({ ...key, budgetWindow: undefined })[0]?.window).toBe('total');
  });

  it('builds a limit’s period once per period, and again when the clock leaves it either way', () => {
    const [limit] = book.key(key);
    const morning = budgetPeriod(limit!, Date.UTC(2026, 4, 1, 8));
    expect(budgetPeriod(limit!, Date.UTC(2026, 4, 1, 23, 59))).toBe(morning);
    expect(Object.isFrozen(morning)).toBe(true);
    const next = budgetPeriod(limit!, Date.UTC(2026, 4, 2));
    expect(next.counterKey).toBe('budget:key:key_1:daily:2026-05-02');
    // A clock stepping back to the day before gets that day's counter, not the memo.
    expect(budgetPeriod(limit!, Date.UTC(2026, 4, 1, 12)).counterKey).toBe(morning.counterKey);
    const [total] = book.key({ ...key, budgetWindow: 'total' });
    expect(budgetPeriod(total!, 0)).toBe(budgetPeriod(total!, Date.UTC(2100, 0, 1)));
  });
});
