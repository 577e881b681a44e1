/**
 * @module accounting/reports/money
 * Nano-dollars as text. The ledger keeps money as integer nano-dollars so that sums are exact;
 * turning them into dollars with a float division would give that back on the last digit, so
 * the exact form is built from the integer's digits instead.
 */

import { formatUsd } from '../compute-cost.js';

const NANOS_PER_USD = 1_000_000_000;
const NANOS_PER_CENT = 10_000_000;
const NANOS_PER_MICRO = 1_000;

/** Exact decimal dollars, at least two decimals, no trailing zeros past them: 435000 → "0.000435". */
export function formatUsdExact(nanos: number): string {
  if (!Number.isSafeInteger(nanos)) throw new RangeError(`not an integer count of nano-dollars: ${nanos}`);
  const digits = String(Math.abs(nanos)).padStart(10, '0');
  let end = digits.length;
  while (end > digits.length - 7 && digits.charCodeAt(end - 1) === 48) end--;
  return `${nanos < 0 ? '-' : ''}${digits.slice(0, -9)}.${digits.slice(-9, end)}`;
}

/**
 * Dollars for people: cents from a dollar up, four decimals from a cent up, six below that
 * ($0.002541), and the exact amount under a micro-dollar — never a misleading "$0.00" for
 * money that was spent.
 */
export function formatSpend(nanos: number): string {
  const abs = Math.abs(nanos);
  if (abs >= NANOS_PER_USD) return formatUsd(nanos, 2);
  if (abs >= NANOS_PER_CENT) return formatUsd(nanos, 4);
  if (abs >= NANOS_PER_MICRO) return formatUsd(nanos, 6);
  return `${nanos < 0 ? '-' : ''}$${formatUsdExact(abs)}`;
}
