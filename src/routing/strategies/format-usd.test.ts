import { describe, expect, it } from 'vitest';
import { formatUsd } from './format-usd.js';

/** The format as first written: toFixed with enough digits for two significant ones. */
function reference(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(Math.min(12, -Math.floor(Math.log10(usd)) + 1))}`;
}

/** The doubles `steps` apart from `value`, both ways. */
function neighbours(value: number, steps: number): number[] {
  const bits = new Float64Array([value]);
  const word = new BigInt64Array(bits.buffer);
  const base = word[0]!;
  const out: number[] = [];
  for (let d = -steps; d <= steps; d++) {
    word[0] = base + BigInt(d);
    out.push(bits[0]!);
  }
  return out;
}

describe('formatUsd', () => {
  it('writes small costs with two significant digits and no exponent', () => {
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(0.00015)).toBe('$0.00015');
    expect(formatUsd(0.000084)).toBe('$0.000084');
    expect(formatUsd(0.0123456)).toBe('$0.0123');
    expect(formatUsd(1e-15)).toBe('$0.000000000000');
    expect(formatUsd(12.5)).toBe('$12.5000');
  });

  it('gives what toFixed gives, at powers of ten, at halves and at typical plan costs', () => {
    const values: number[] = [Number.NaN, -0.001, Number.MIN_VALUE, 0.0099999999999999];
    for (let exponent = 2; exponent <= 13; exponent++)
      values.push(...neighbours(Number(`1e-${exponent}`), 40));
    for (let digits = 3; digits <= 12; digits++) {
      for (let k = 0; k < 1000; k++) values.push((k + 0.5) / 10 ** digits, (k + 0.5) * 10 ** -digits);
      values.push(...neighbours(12.5 / 10 ** digits, 20), ...neighbours(99.5 / 10 ** digits, 20));
    }
    // Prompt tokens × input price + expected output × output price, as screening estimates them.
    for (let prompt = 0; prompt < 3000; prompt += 7) {
      for (const [input, output] of [
        [0.15, 0.6],
        [0.4, 1.6],
        [2.5, 10],
        [0.05, 0.1],
      ] as const) {
        for (const out of [1, 256, 512, 1024, 2048])
          values.push(prompt * (input / 1e6) + out * (output / 1e6));
      }
    }
    const wrong = values.filter((v) => formatUsd(v) !== reference(v));
    expect(wrong).toEqual([]);
  });
});
