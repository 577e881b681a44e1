import { describe, expect, it } from 'vitest';
import { type DailySpend, forecastMonthEnd } from './forecast.js';

const DAY = 86_400_000;
const MARCH = Date.UTC(2026, 2, 1);
const USD = 1e9;

function days(values: readonly number[], start = MARCH): DailySpend[] {
  return values.map((costNanos, i) => ({ day: start + i * DAY, costNanos }));
}

describe('forecastMonthEnd', () => {
  it('carries a flat month to its end, counting the rest of today at the trend', () => {
    // Ten full days at $1, half of the 11th gone with $0.50 spent: 31 days at $1.
    const forecast = forecastMonthEnd(days([...Array(10).fill(USD), USD / 2]), MARCH + 10.5 * DAY);
    expect(forecast).toMatchObject({
      month: '2026-03',
      daysInMonth: 31,
      daysElapsed: 10.5,
      spentNanos: 10.5 * USD,
      forecastNanos: 31 * USD,
      method: 'linear-trend',
    });
    // No scatter, no uncertainty.
    expect(forecast.lowNanos).toBe(31 * USD);
    expect(forecast.highNanos).toBe(31 * USD);
  });

  it('follows a ramp instead of averaging it away', () => {
    // $0.10 on the 1st, $0.20 on the 2nd, … : by the 31st, 1+2+…+31 tenths of a dollar.
    const ramp = Array.from({ length: 10 }, (_, x) => (x + 1) * 0.1 * USD);
    const forecast = forecastMonthEnd(days(ramp), MARCH + 10 * DAY);
    expect(forecast.method).toBe('linear-trend');
    expect(forecast.trend?.slopeNanosPerDay).toBeCloseTo(0.1 * USD, 0);
    expect(forecast.forecastNanos).toBe(49.6 * USD);
    // The daily average would have said 31 × $0.55 = $17.05.
    expect(forecast.forecastNanos).toBeGreaterThan(17.05 * USD * 2);
  });

  it('puts a band around a noisy month that holds the truth and never drops below what is spent', () => {
    // $1/day ± up to $0.30, deterministic.
    const noise = [0.3, -0.2, 0.1, -0.3, 0.25, -0.15, 0.05, -0.25, 0.2, -0.1, 0.15, -0.05, 0.3, -0.3];
    const spent = noise.map((n) => Math.round((1 + n) * USD));
    const forecast = forecastMonthEnd(days(spent), MARCH + 14 * DAY);
    const low = forecast.lowNanos ?? Number.NaN;
    const high = forecast.highNanos ?? Number.NaN;
    expect(low).toBeLessThan(forecast.forecastNanos);
    expect(high).toBeGreaterThan(forecast.forecastNanos);
    expect(low).toBeLessThanOrEqual(31 * USD);
    expect(high).toBeGreaterThanOrEqual(31 * USD);
    expect(low).toBeGreaterThanOrEqual(forecast.spentNanos);
    // Wide — the slope of 14 noisy days is uncertain over 17 more — but a band, not a shrug.
    expect(high - low).toBeLessThan(forecast.forecastNanos);
  });

  it('uses the month-to-date average per day before there are three complete days', () => {
    // $2 on the 1st, $1 in the first half of the 2nd: $2/day over 1.5 days → 3 + 2 × 29.5.
    const forecast = forecastMonthEnd(days([2 * USD, USD]), MARCH + 1.5 * DAY);
    expect(forecast).toMatchObject({ method: 'daily-average', spentNanos: 3 * USD, forecastNanos: 62 * USD });
    expect(forecast.lowNanos).toBeUndefined();
    expect(forecast.note).toMatch(/no trend/);
  });

  it('ignores days outside the month, and forecasts zero for a month with no spend', () => {
    const february = days([5 * USD, 5 * USD], Date.UTC(2026, 1, 27));
    const forecast = forecastMonthEnd([...february, ...days([0, 0, 0, 0])], MARCH + 4 * DAY);
    expect(forecast.spentNanos).toBe(0);
    expect(forecast.forecastNanos).toBe(0);
    expect(forecastMonthEnd([], MARCH).forecastNanos).toBe(0);
  });

  it('handles a 28-day February and the last hours of a month', () => {
    const feb = Date.UTC(2026, 1, 1);
    const forecast = forecastMonthEnd(days(Array(27).fill(USD), feb), feb + 27.75 * DAY);
    expect(forecast.daysInMonth).toBe(28);
    expect(forecast.forecastNanos).toBe(27.25 * USD);
  });
});
