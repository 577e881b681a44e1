import { describe, expect, it } from 'vitest';
import { formatSpend, formatUsdExact } from './money.js';

describe('formatUsdExact', () => {
  it.each([
    [0, '0.00'],
    [1, '0.000000001'],
    [435_000, '0.000435'],
    [10_000_000, '0.01'],
    [1_500_000_000, '1.50'],
    [3_000_003_514, '3.000003514'],
    [-250_000_000, '-0.25'],
    [9_007_199_254_740_991, '9007199.254740991'],
  ])('%i nano-dollars → %s', (nanos, text) => {
    expect(formatUsdExact(nanos)).toBe(text);
  });

  it('adds up exactly where floats would not', () => {
    // 0.1 + 0.2 in dollars is 0.30000000000000004 as floats; in nanos it is 300,000,000.
    expect(formatUsdExact(100_000_000 + 200_000_000)).toBe('0.30');
    expect(() => formatUsdExact(0.5)).toThrow(RangeError);
  });
});

describe('formatSpend', () => {
  it.each([
    [0, '$0.00'],
    [7, '$0.000000007'],
    [2_540_642, '$0.002541'],
    [251_500_000, '$0.2515'],
    [1_234_567_890_123, '$1234.57'],
    [-1_500_000_000, '-$1.50'],
  ])('%i → %s', (nanos, text) => {
    expect(formatSpend(nanos)).toBe(text);
  });
});
