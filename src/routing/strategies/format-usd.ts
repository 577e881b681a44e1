/**
 * @module routing/strategies/format-usd
 * Costs as plan reasons write them: `$0.000084`, two significant digits and no exponent below a
 * cent, four decimals above. Every plan writes one, so the small case avoids `toFixed` (the
 * dearest step of a reason) where plain arithmetic gives the same digits.
 */

/** `$0.` followed by n zeros, by n (0 … 12). */
const USD_PREFIXES = Array.from({ length: 13 }, (_, n) => `$0.${'0'.repeat(n)}`);
const POWERS_OF_TEN = Array.from({ length: 13 }, (_, n) => 10 ** n);
/** 10^-n by n (0 … 12), the same doubles as the literals `1e-n`. */
const NEGATIVE_POWERS_OF_TEN = Array.from({ length: 13 }, (_, n) => Number(`1e-${n}`));

/** `$0.000084`: enough digits to tell small costs apart, no exponent. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 0.01) return `$${usd.toFixed(4)}`;
  const digits = smallUsdDigits(usd);
  return smallUsd(usd, digits) ?? `$${usd.toFixed(digits)}`;
}

/**
 * `min(12, 1 - floor(log10(usd)))` for usd below 0.01, found by comparing with powers of ten;
 * next to a power of ten (or for a value that is no positive number) Math.log10 decides, as it
 * always has.
 */
function smallUsdDigits(usd: number): number {
  let n = 2;
  while (n < 12 && usd < NEGATIVE_POWERS_OF_TEN[n]!) n++;
  // Now 10^-n <= usd < 10^-(n-1), or n is 12; the digits are n + 1 (at most 12).
  const low = NEGATIVE_POWERS_OF_TEN[n]!;
  const nearPower = Math.abs(usd - low) <= low * 1e-9 || Math.abs(usd - low * 10) <= low * 1e-8;
  if (n < 12 && usd >= low && !nearPower) return n + 1;
  return Math.min(12, -Math.floor(Math.log10(usd)) + 1);
}

/**
 * `usd.toFixed(digits)` with its `$`, without toFixed (the dearest step of a plan's reason), for
 * 0 < usd < 0.01: scaled by 10^digits the value is below 100, so the product is within 1e-14 of
 * the exact one and rounding it gives toFixed's digits — unless it sits near a half, when this
 * answers undefined and toFixed decides.
 */
function smallUsd(usd: number, digits: number): string | undefined {
  if (!(usd > 0) || !(digits >= 1)) return undefined;
  const scaled = usd * POWERS_OF_TEN[digits]!;
  if (Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-6) return undefined;
  const text = String(Math.round(scaled));
  return text.length > digits ? undefined : USD_PREFIXES[digits - text.length]! + text;
}
