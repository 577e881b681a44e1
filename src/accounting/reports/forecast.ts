/**
 * @module accounting/reports/forecast
 * Month-end spend from the month so far. With at least three complete days, a least-squares line
 * through the daily totals carries the trend to the end of the month (so a ramp-up is not
 * mistaken for a flat month), with an approximate 95% band from the day-to-day scatter and the
 * uncertainty of the line itself. Before that, the month-to-date average per day is all there is
 * to go on. Each forecast says which method it used.
 */

const DAY_MS = 86_400_000;
/** Complete days needed before a trend is fitted; two points always fit a line perfectly. */
const MIN_TREND_DAYS = 3;
const Z_95 = 1.96;

export interface DailySpend {
  /** UTC midnight of the day, epoch ms. */
  day: number;
  costNanos: number;
}

export interface MonthForecast {
  /** `YYYY-MM`, UTC. */
  month: string;
  monthStart: number;
  monthEnd: number;
  daysInMonth: number;
  /** Days since the month began, fractional. */
  daysElapsed: number;
  spentNanos: number;
  forecastNanos: number;
  /** Approximate 95% band (linear trend only); never below what is already spent. */
  lowNanos?: number;
  highNanos?: number;
  method: 'linear-trend' | 'daily-average';
  /** The fitted line (nano-dollars per day) when the trend was used. */
  trend?: { interceptNanos: number; slopeNanosPerDay: number; days: number };
  note: string;
}

/** Forecasts the month holding `now` from daily totals (days outside the month are ignored). */
export function forecastMonthEnd(daily: readonly DailySpend[], now: number): MonthForecast {
  const date = new Date(now);
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const monthEnd = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  const daysInMonth = Math.round((monthEnd - monthStart) / DAY_MS);
  const daysElapsed = Math.max(0, (now - monthStart) / DAY_MS);
  const completeDays = Math.floor(daysElapsed);

  const perDay = new Array<number>(daysInMonth).fill(0);
  let spent = 0;
  for (const { day, costNanos } of daily) {
    if (day < monthStart || day >= monthEnd || day > now) continue;
    const index = Math.floor((day - monthStart) / DAY_MS);
    perDay[index] = (perDay[index] ?? 0) + costNanos;
    spent += costNanos;
  }
  const base = {
    month: new Date(monthStart).toISOString().slice(0, 7),
    monthStart,
    monthEnd,
    daysInMonth,
    daysElapsed,
    spentNanos: spent,
  };

  if (completeDays < MIN_TREND_DAYS) {
    const rate = daysElapsed > 0 ? spent / daysElapsed : 0;
    return {
      ...base,
      forecastNanos: Math.round(spent + rate * (daysInMonth - daysElapsed)),
      method: 'daily-average',
      note:
        `month-to-date spend / ${daysElapsed.toFixed(1)} days elapsed × ${daysInMonth} days; ` +
        `fewer than ${MIN_TREND_DAYS} complete days, so no trend and no band`,
    };
  }

  // Least squares over the complete days x = 0 … k-1, centred so intercept and slope are independent.
  const k = completeDays;
  const meanX = (k - 1) / 2;
  let meanY = 0;
  for (let x = 0; x < k; x++) meanY += perDay[x] ?? 0;
  meanY /= k;
  let sxx = 0;
  let sxy = 0;
  for (let x = 0; x < k; x++) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * ((perDay[x] ?? 0) - meanY);
  }
  const slope = sxy / sxx;
  const predict = (x: number) => meanY + slope * (x - meanX);
  let ssr = 0;
  for (let x = 0; x < k; x++) ssr += ((perDay[x] ?? 0) - predict(x)) ** 2;
  const residualVariance = k > 2 ? ssr / (k - 2) : 0;

  // What is left: the rest of today, then every later day, each weighted by how much of it is left.
  let remaining = 0;
  let sumW = 0;
  let sumW2 = 0;
  let sumWdx = 0;
  for (let x = k; x < daysInMonth; x++) {
    const w = x === k ? 1 - (daysElapsed - k) : 1;
    remaining += w * Math.max(0, predict(x));
    sumW += w;
    sumW2 += w * w;
    sumWdx += w * (x - meanX);
  }
  // Var of the sum = noise of each day left + uncertainty of the line's level and slope.
  const variance = residualVariance * (sumW2 + (sumW * sumW) / k + (sumWdx * sumWdx) / sxx);
  const forecast = spent + remaining;
  const margin = Z_95 * Math.sqrt(variance);
  return {
    ...base,
    forecastNanos: Math.round(forecast),
    lowNanos: Math.round(Math.max(spent, forecast - margin)),
    highNanos: Math.round(forecast + margin),
    method: 'linear-trend',
    trend: { interceptNanos: predict(0), slopeNanosPerDay: slope, days: k },
    note:
      `least-squares line through the daily totals of ${k} complete days, carried to month end ` +
      '(negative days count as zero); band ≈95% from the day-to-day scatter and the fit',
  };
}
