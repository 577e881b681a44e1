import { describe, expect, it } from 'vitest';
import {
  compilePrices,
  computeCostNanos,
  computeCostNanosCompiled,
  formatUsd,
  nanosToUsd,
  priceToMicroUnits,
  usdToNanos,
} from './compute-cost.js';
import type { Prices } from './prices.js';

// Prices per million tokens as published on the providers' pricing pages (see default-prices.ts
// for the sources). The expected costs below are worked out by hand, not by the code under test.
const GPT_4O_MINI: Prices = { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 };
const CLAUDE_SONNET_4: Prices = {
  inputPerMTok: 3,
  cacheWritePerMTok: 3.75,
  cachedInputPerMTok: 0.3,
  outputPerMTok: 15,
};
const GEMINI_25_FLASH: Prices = { inputPerMTok: 0.3, cachedInputPerMTok: 0.03, outputPerMTok: 2.5 };

describe('computeCostNanos — worked examples', () => {
  it('gpt-4o-mini: 40 input + 30 output tokens cost $0.000024', () => {
    // 40 × $0.15/1M = $0.000006; 30 × $0.60/1M = $0.000018; total $0.000024 = 24,000 nano-dollars.
    const nanos = computeCostNanos({ inputTokens: 40, outputTokens: 30 }, GPT_4O_MINI);
    expect(nanos).toBe(24_000);
    expect(formatUsd(nanos)).toBe('$0.000024');
  });

  it('gpt-4o-mini: cached prompt tokens are billed at the cached rate, not on top', () => {
    // 1,000 prompt tokens of which 200 cached, 500 completion tokens:
    // 800 × $0.15/1M = $0.00012; 200 × $0.075/1M = $0.000015; 500 × $0.60/1M = $0.0003.
    // Total $0.000435 = 435,000 nano-dollars.
    expect(
      computeCostNanos({ inputTokens: 1_000, cachedInputTokens: 200, outputTokens: 500 }, GPT_4O_MINI),
    ).toBe(435_000);
  });

  it('Claude Sonnet 4: a 5-minute cache write, then a cache hit', () => {
    // Anthropic reports input_tokens 50, cache_creation_input_tokens 10,000, output_tokens 300;
    // canonical usage adds them up: inputTokens 10,050 with cacheWriteTokens 10,000.
    // 50 × $3/1M = $0.00015; 10,000 × $3.75/1M = $0.0375; 300 × $15/1M = $0.0045. Total $0.04215.
    const write = computeCostNanos(
      { inputTokens: 10_050, cacheWriteTokens: 10_000, outputTokens: 300 },
      CLAUDE_SONNET_4,
    );
    expect(write).toBe(42_150_000);
    // Next call reads the cache: 50 × $3/1M = $0.00015; 10,000 × $0.30/1M = $0.003; output $0.0045.
    // Total $0.00765.
    const hit = computeCostNanos(
      { inputTokens: 10_050, cachedInputTokens: 10_000, outputTokens: 300 },
      CLAUDE_SONNET_4,
    );
    expect(hit).toBe(7_650_000);
    expect(formatUsd(hit)).toBe('$0.007650');
  });

  it('Gemini 2.5 Flash: cached context and thinking tokens billed at the output price', () => {
    // promptTokenCount 12,000 with cachedContentTokenCount 8,000; candidates 400 + thoughts 1,600.
    // 4,000 × $0.30/1M = $0.0012; 8,000 × $0.03/1M = $0.00024; 2,000 × $2.50/1M = $0.005
    // ("Output price (including thinking tokens)"). Total $0.00644.
    expect(
      computeCostNanos(
        { inputTokens: 12_000, cachedInputTokens: 8_000, outputTokens: 2_000, reasoningTokens: 1_600 },
        GEMINI_25_FLASH,
      ),
    ).toBe(6_440_000);
  });

  it('prices reasoning apart when a reasoning price is given', () => {
    // 100 output tokens of which 60 reasoning: 40 × $2/1M + 60 × $10/1M = $0.00008 + $0.0006.
    const prices: Prices = { inputPerMTok: 0, outputPerMTok: 2, reasoningPerMTok: 10 };
    expect(computeCostNanos({ inputTokens: 0, outputTokens: 100, reasoningTokens: 60 }, prices)).toBe(
      680_000,
    );
  });
});

describe('computeCostNanos — rounding and exactness', () => {
  const SUB_NANO: Prices = { inputPerMTok: 0.0125, outputPerMTok: 0.0125 };

  it('rounds half up to the nano-dollar', () => {
    // One token at $0.0125/1M is 12.5 nano-dollars.
    expect(computeCostNanos({ inputTokens: 1, outputTokens: 0 }, SUB_NANO)).toBe(13);
    expect(computeCostNanos({ inputTokens: 3, outputTokens: 0 }, SUB_NANO)).toBe(38); // 37.5
  });

  it('rounds once per request, not once per token class', () => {
    // 12.5 + 12.5 = 25 exactly; rounding each class first would give 26.
    expect(computeCostNanos({ inputTokens: 1, outputTokens: 1 }, SUB_NANO)).toBe(25);
  });

  it('never bills a negative remainder when subsets exceed their totals', () => {
    const usage = { inputTokens: 10, cachedInputTokens: 20, outputTokens: 5, reasoningTokens: 8 };
    // 20 cached × 75 + 8 reasoning × 600 micro-units, nothing else: (1,500,000 + 4,800,000) / 1000.
    expect(computeCostNanos(usage, GPT_4O_MINI)).toBe(6_300);
  });

  it('switches to BigInt when a product would pass 2^53, and stays exact', () => {
    // 10^10 tokens at $600/1M is $6,000,000 = 6e15 nano-dollars; 10^10 × 6e8 micro-units overflows.
    const prices: Prices = { inputPerMTok: 600, outputPerMTok: 600 };
    expect(computeCostNanos({ inputTokens: 10_000_000_000, outputTokens: 0 }, prices)).toBe(
      6_000_000_000_000_000,
    );
    expect(computeCostNanos({ inputTokens: 10_000_000_000, outputTokens: 1 }, prices)).toBe(
      6_000_000_000_600_000,
    );
  });

  it('summing 1,000,000 small request costs gives exactly the integer total', () => {
    const compiled = compilePrices(GPT_4O_MINI);
    let total = 0;
    let totalUncached = 0;
    let totalCached = 0;
    let totalOutput = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const input = 20 + (i % 97);
      const cached = i % 3 === 0 ? 16 : 0;
      const output = 1 + (i % 41);
      total += computeCostNanosCompiled(
        { inputTokens: input, cachedInputTokens: cached, outputTokens: output },
        compiled,
      );
      totalUncached += input - cached;
      totalCached += cached;
      totalOutput += output;
    }
    // Per token: 150 nano-dollars uncached, 75 cached, 600 output — the closed form must match.
    expect(total).toBe(totalUncached * 150 + totalCached * 75 + totalOutput * 600);
    expect(Number.isSafeInteger(total)).toBe(true);
  });

  it('rejects negative or fractional token counts', () => {
    expect(() => computeCostNanos({ inputTokens: -1, outputTokens: 0 }, GPT_4O_MINI)).toThrow(RangeError);
    expect(() => computeCostNanos({ inputTokens: 1.5, outputTokens: 0 }, GPT_4O_MINI)).toThrow(RangeError);
  });
});

describe('price compilation', () => {
  it('converts prices with up to six decimals exactly', () => {
    expect(priceToMicroUnits(0.075)).toBe(75_000);
    expect(priceToMicroUnits(18.75)).toBe(18_750_000);
    expect(priceToMicroUnits(0.000001)).toBe(1);
    expect(priceToMicroUnits(0.03)).toBe(30_000);
  });

  it('rejects negative and non-finite prices', () => {
    expect(() => priceToMicroUnits(-0.1)).toThrow(RangeError);
    expect(() => priceToMicroUnits(Number.NaN)).toThrow(RangeError);
    expect(() => priceToMicroUnits(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('defaults cached and cache-write to input, reasoning to output', () => {
    expect(compilePrices({ inputPerMTok: 1, outputPerMTok: 4 })).toEqual({
      input: 1_000_000,
      cachedInput: 1_000_000,
      cacheWrite: 1_000_000,
      output: 4_000_000,
      reasoning: 4_000_000,
    });
  });
});

describe('USD conversions and formatting', () => {
  it('converts between USD and nano-dollars', () => {
    expect(usdToNanos(50)).toBe(50_000_000_000);
    expect(usdToNanos(0.000024)).toBe(24_000);
    expect(nanosToUsd(24_000)).toBeCloseTo(0.000024, 12);
  });

  it('formats with integer arithmetic and rounds half up', () => {
    expect(formatUsd(0)).toBe('$0.000000');
    expect(formatUsd(42_150_000)).toBe('$0.042150');
    expect(formatUsd(1_500_000_000, 2)).toBe('$1.50');
    expect(formatUsd(999_999_999)).toBe('$1.000000');
    expect(formatUsd(1_234_567_891, 9)).toBe('$1.234567891');
    expect(formatUsd(2_500_000_000, 0)).toBe('$3');
    expect(formatUsd(-24_000)).toBe('-$0.000024');
  });
});
