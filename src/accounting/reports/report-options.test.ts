import { describe, expect, it } from 'vitest';
import { parseDimensions, parsePeriod, parseTimeBound } from './report-options.js';

const NOW = Date.parse('2026-03-15T12:30:00.000Z');

describe('parsePeriod', () => {
  it('takes the CLI words and the short forms', () => {
    expect(parsePeriod('daily')).toBe('day');
    expect(parsePeriod('Weekly')).toBe('week');
    expect(parsePeriod('month')).toBe('month');
    expect(parsePeriod('none')).toBeUndefined();
    expect(() => parsePeriod('hourly', '--period')).toThrow(
      /--period: expected daily, weekly, monthly or none/,
    );
  });
});

describe('parseDimensions', () => {
  it('parses a comma list, with aliases, and refuses unknowns and repeats', () => {
    expect(parseDimensions('model')).toEqual(['model']);
    expect(parseDimensions('route, model,key_id')).toEqual(['route', 'model', 'key']);
    expect(() => parseDimensions('model,colour')).toThrow(/by: expected one of model, key/);
    expect(() => parseDimensions('tag,tags')).toThrow(/tag given twice/);
  });
});

describe('parseTimeBound', () => {
  it('reads a date as a whole UTC day: its start as since, its end as until', () => {
    expect(parseTimeBound('2026-01-01', 'since', NOW)).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(parseTimeBound('2026-01-31', 'until', NOW)).toBe(Date.parse('2026-02-01T00:00:00Z'));
    expect(() => parseTimeBound('2026-02-30', 'since', NOW)).toThrow(/not a calendar date/);
  });

  it('reads ISO times (UTC when no zone), epoch milliseconds and durations back from now', () => {
    expect(parseTimeBound('2026-01-01T06:00:00+02:00', 'since', NOW)).toBe(
      Date.parse('2026-01-01T04:00:00Z'),
    );
    expect(parseTimeBound('2026-01-01T06:00', 'since', NOW)).toBe(Date.parse('2026-01-01T06:00:00Z'));
    expect(parseTimeBound('1767225600000', 'until', NOW)).toBe(1_767_225_600_000);
    expect(parseTimeBound('7d', 'since', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTimeBound('24h', 'since', NOW)).toBe(NOW - 86_400_000);
    expect(parseTimeBound('30m', 'since', NOW)).toBe(NOW - 1_800_000);
    expect(parseTimeBound('today', 'since', NOW)).toBe(Date.parse('2026-03-15T00:00:00Z'));
    expect(parseTimeBound('month', 'since', NOW)).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(() => parseTimeBound('last tuesday', 'since', NOW, '--since')).toThrow(/^--since: expected/);
  });
});
