/**
 * @module accounting/compute-cost
 * Exact cost of one request in integer nano-dollars (1e-9 USD). Each per-million-token price is
 * turned once into an integer count of micro-units (USD per million tokens × 1e6, exact for prices
 * with up to six decimals), token counts are multiplied by those integers, and the sum is rounded
 * once, half up, to nano-dollars. No float ever touches the money, so a million small requests add
 * up to exactly the sum of their parts and ledgers in any backend agree to the last nano-dollar.
 */

import type { Usage } from '../core/usage.js';
import type { Prices } from './prices.js';

/** Prices of one model in micro-units (USD per million tokens × 1e6), defaults resolved. */
export interface CompiledPrices {
  readonly input: number;
  readonly cachedInput: number;
  readonly cacheWrite: number;
  readonly output: number;
  readonly reasoning: number;
}

const MICRO_UNITS_PER_USD = 1_000_000;
/** tokens × micro-units = USD × 1e12 (per-token price is per million); nano-dollars are USD × 1e9. */
const PRODUCT_UNITS_PER_NANO = 1_000;
const HALF_NANO = PRODUCT_UNITS_PER_NANO / 2;
const NANOS_PER_USD = 1_000_000_000;
/**
 * The largest whole amount in USD that nano-dollar accounting holds exactly (a safe integer of
 * nano-dollars): 9,007,199 USD. Budgets and cost caps above it are refused where they are given.
 */
export const MAX_USD = Math.floor(Number.MAX_SAFE_INTEGER / NANOS_PER_USD);

/**
 * Converts a price in USD per million tokens to integer micro-units. Prices with up to six
 * decimals convert exactly; finer prices are rounded to the nearest micro-unit.
 */
export function priceToMicroUnits(pricePerMTok: number): number {
  if (!Number.isFinite(pricePerMTok) || pricePerMTok < 0) {
    throw new RangeError(`price must be a finite non-negative number, got ${pricePerMTok}`);
  }
  const micro = Math.round(pricePerMTok * MICRO_UNITS_PER_USD);
  if (!Number.isSafeInteger(micro))
    throw new RangeError(`price ${pricePerMTok} per million tokens is too large`);
  return micro;
}

/** Resolves the defaults of `Prices` and converts every class to micro-units. */
export function compilePrices(prices: Prices): CompiledPrices {
  const input = priceToMicroUnits(prices.inputPerMTok);
  const output = priceToMicroUnits(prices.outputPerMTok);
  return Object.freeze({
    input,
    cachedInput:
      prices.cachedInputPerMTok === undefined ? input : priceToMicroUnits(prices.cachedInputPerMTok),
    cacheWrite: prices.cacheWritePerMTok === undefined ? input : priceToMicroUnits(prices.cacheWritePerMTok),
    output,
    reasoning: prices.reasoningPerMTok === undefined ? output : priceToMicroUnits(prices.reasoningPerMTok),
  });
}

// Price objects come from the catalogue or the frozen config and live as long as the process:
// compiling each once keeps float parsing off the per-request path.
const compiledCache = new WeakMap<Prices, CompiledPrices>();

/** Cost of one request in nano-dollars, rounded once, half up. */
export function computeCostNanos(usage: Usage, prices: Prices): number {
  let compiled = compiledCache.get(prices);
  if (compiled === undefined) {
    compiled = compilePrices(prices);
    compiledCache.set(prices, compiled);
  }
  return computeCostNanosCompiled(usage, compiled);
}

/** Cost of one request in nano-dollars with prices already compiled. */
export function computeCostNanosCompiled(usage: Usage, prices: CompiledPrices): number {
  const cached = tokens(usage.cachedInputTokens);
  const cacheWrite = tokens(usage.cacheWriteTokens);
  const reasoning = tokens(usage.reasoningTokens);
  // The subsets can exceed their total when a provider reports inconsistently; the subsets are
  // then billed as reported and the remainder is zero rather than negative.
  const uncachedInput = Math.max(0, tokens(usage.inputTokens) - cached - cacheWrite);
  const plainOutput = Math.max(0, tokens(usage.outputTokens) - reasoning);

  const a = uncachedInput * prices.input;
  const b = cached * prices.cachedInput;
  const c = cacheWrite * prices.cacheWrite;
  const d = plainOutput * prices.output;
  const e = reasoning * prices.reasoning;
  const sum = a + b + c + d + e;
  // Every product is an integer; if each one and their sum stay below 2^53 the float arithmetic
  // above is exact. A product past 2^53 rounds to at least 2^53, so this test cannot be fooled.
  if (sum <= Number.MAX_SAFE_INTEGER - HALF_NANO) {
    return Math.floor((sum + HALF_NANO) / PRODUCT_UNITS_PER_NANO);
  }
  return computeWithBigInt([uncachedInput, cached, cacheWrite, plainOutput, reasoning], prices);
}

function computeWithBigInt(counts: readonly number[], prices: CompiledPrices): number {
  const rates = [prices.input, prices.cachedInput, prices.cacheWrite, prices.output, prices.reasoning];
  let sum = 0n;
  for (let i = 0; i < counts.length; i++) sum += BigInt(counts[i] ?? 0) * BigInt(rates[i] ?? 0);
  const nanos = (sum + BigInt(HALF_NANO)) / BigInt(PRODUCT_UNITS_PER_NANO);
  if (nanos > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('cost exceeds the safe integer range');
  return Number(nanos);
}

function tokens(count: number | undefined): number {
  if (count === undefined) return 0;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`token counts must be non-negative integers, got ${count}`);
  }
  return count;
}

/** Nano-dollars as a USD float, for display and metrics only. */
export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/** USD (e.g. a budget from the config) to nano-dollars, rounded to the nearest nano-dollar. */
export function usdToNanos(usd: number): number {
  if (!Number.isFinite(usd)) throw new RangeError(`amount must be finite, got ${usd}`);
  const nanos = Math.round(usd * NANOS_PER_USD);
  if (!Number.isSafeInteger(nanos)) throw new RangeError(`amount ${usd} USD is too large`);
  return nanos;
}

/**
 * Formats nano-dollars as `$0.000024` with `digits` decimals (0–9), rounding half up, using
 * integer arithmetic only so that what the CLI prints is exactly what the ledger holds.
 */
export function formatUsd(nanos: number, digits = 6): string {
  if (!Number.isSafeInteger(nanos)) throw new RangeError(`nanos must be a safe integer, got ${nanos}`);
  if (!Number.isInteger(digits) || digits < 0 || digits > 9) throw new RangeError('digits must be 0..9');
  const sign = nanos < 0 ? '-' : '';
  const magnitude = Math.abs(nanos);
  const step = 10 ** (9 - digits);
  const rounded = Math.floor((magnitude + step / 2) / step) * step;
  const dollars = Math.floor(rounded / NANOS_PER_USD);
  if (digits === 0) return `${sign}$${dollars}`;
  const fraction = String(rounded % NANOS_PER_USD)
    .padStart(9, '0')
    .slice(0, digits);
  return `${sign}$${dollars}.${fraction}`;
}
