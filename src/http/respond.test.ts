import { describe, expect, it } from 'vitest';
import { formatCostHeader } from './respond.js';

/** What the header said before it was computed on integers: fixed nine places, zeros trimmed. */
const byFloat = (nanos: number) => (nanos / 1e9).toFixed(9).replace(/0+$/, '').replace(/\.$/, '.0');

describe('formatCostHeader', () => {
  it('writes nano-dollars as the shortest exact decimal of dollars', () => {
    expect(formatCostHeader(0)).toBe('0.0');
    expect(formatCostHeader(8_400)).toBe('0.0000084');
    expect(formatCostHeader(1)).toBe('0.000000001');
    expect(formatCostHeader(2_000_000_000)).toBe('2.0');
    expect(formatCostHeader(1_234_567_890)).toBe('1.23456789');
    expect(formatCostHeader(100_000_000)).toBe('0.1');
  });

  it('agrees with the float formatting it replaces, for any integer amount', () => {
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 48_271) % 2_147_483_647;
      const nanos = seed % 10 ** (1 + (i % 13));
      expect(formatCostHeader(nanos)).toBe(byFloat(nanos));
    }
  });

  it('still formats amounts that are not whole nano-dollars', () => {
    expect(formatCostHeader(1.5)).toBe(byFloat(1.5));
  });
});
