/**
 * @module accounting/prices
 * Prices of one model per token class, in USD per million tokens (the unit providers publish).
 */

export interface Prices {
  /** Uncached input tokens. */
  inputPerMTok: number;
  outputPerMTok: number;
  /** Cache reads; defaults to the input price when a provider has no discount. */
  cachedInputPerMTok?: number;
  /** Cache writes (Anthropic); defaults to the input price. */
  cacheWritePerMTok?: number;
  /** Reasoning tokens, when priced apart from output; defaults to the output price. */
  reasoningPerMTok?: number;
}
