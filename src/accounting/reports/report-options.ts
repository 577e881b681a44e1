/**
 * @module accounting/reports/report-options
 * The words people use for a report — `--period monthly`, `--since 2026-01-01`, `--since 7d`,
 * `--by model,key` — turned into a UsageQuery, the same way for the CLI and for
 * `GET /admin/usage`. Every problem is a RangeError whose message names the option.
 */

import type { UsageDimension, UsagePeriod } from '../../storage/ports.js';
import { USAGE_DIMENSIONS } from '../../storage/usage-aggregation.js';

const DAY_MS = 86_400_000;

export const PERIOD_NAMES: Readonly<Record<UsagePeriod, string>> = {
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
};

const PERIODS: Readonly<Record<string, UsagePeriod>> = {
  daily: 'day',
  day: 'day',
  weekly: 'week',
  week: 'week',
  monthly: 'month',
  month: 'month',
};

/** `daily|weekly|monthly` (or `day|week|month`); `none`/`total` for one bucket over the range. */
export function parsePeriod(text: string, option = 'period'): UsagePeriod | undefined {
  const name = text.trim().toLowerCase();
  if (name === 'none' || name === 'total') return undefined;
  const period = PERIODS[name];
  if (period === undefined)
    throw new RangeError(`${option}: expected daily, weekly, monthly or none, got "${text}"`);
  return period;
}

const DIMENSION_ALIASES: Readonly<Record<string, UsageDimension>> = {
  key_id: 'key',
  user_id: 'user',
  tags: 'tag',
};

/** A comma-separated list of dimensions: `model`, `key`, `project`, `user`, `tag`, `provider`, `strategy`, `route`. */
export function parseDimensions(text: string, option = 'by'): UsageDimension[] {
  const out: UsageDimension[] = [];
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '') continue;
    const dimension = DIMENSION_ALIASES[name] ?? (name as UsageDimension);
    if (!USAGE_DIMENSIONS.includes(dimension)) {
      throw new RangeError(`${option}: expected one of ${USAGE_DIMENSIONS.join(', ')}, got "${part.trim()}"`);
    }
    if (out.includes(dimension)) throw new RangeError(`${option}: ${dimension} given twice`);
    out.push(dimension);
  }
  return out;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const RELATIVE = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)$/i;
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

/**
 * A time bound. `YYYY-MM-DD` is a UTC day: as `since` its start; as `until` its end, so that
 * `--since 2026-01-01 --until 2026-01-31` is all of January. An ISO 8601 date-time (with a
 * zone; UTC if none) or epoch milliseconds are taken as they are; `7d`, `24h`, `30m`, `2w` count
 * back from `now`; `today` and `month` are the starts of the current UTC day and month.
 */
export function parseTimeBound(
  text: string,
  bound: 'since' | 'until',
  now: number,
  option: string = bound,
): number {
  const value = text.trim();
  const lower = value.toLowerCase();
  if (lower === 'now') return now;
  if (lower === 'today') return Math.floor(now / DAY_MS) * DAY_MS;
  if (lower === 'month') {
    const date = new Date(now);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  const relative = RELATIVE.exec(value);
  if (relative)
    return now - Math.round(Number(relative[1]) * (UNIT_MS[(relative[2] as string).toLowerCase()] ?? 0));
  if (/^\d{10,}$/.test(value)) return Number(value);
  if (DATE_ONLY.test(value)) {
    const start = Date.parse(`${value}T00:00:00.000Z`);
    if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== value) {
      throw new RangeError(`${option}: not a calendar date: "${text}"`);
    }
    return bound === 'until' ? start + DAY_MS : start;
  }
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`;
  const parsed = Date.parse(zoned);
  if (Number.isNaN(parsed)) {
    throw new RangeError(
      `${option}: expected YYYY-MM-DD, an ISO 8601 time, or 7d / 24h / 30m, got "${text}"`,
    );
  }
  return parsed;
}
