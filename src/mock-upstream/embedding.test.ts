import { describe, expect, it } from 'vitest';
import { embed } from './embedding.js';

describe('embed', () => {
  const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

  it('returns deterministic unit vectors of the asked size', () => {
    const a = embed('The cat sat on the mat', 'e', 64, 0);
    expect(a).toHaveLength(64);
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(embed('The cat sat on the mat', 'e', 64, 0)).toEqual(a);
    expect(embed([1, 2, 3], 'e', 8, 0)).toHaveLength(8);
  });

  it('puts texts that share words closer together', () => {
    const base = embed('the cat sat on the mat', 'e', 256, 0);
    const similar = embed('The cat sat on the mat today', 'e', 256, 0);
    const different = embed('quantum chromodynamics lecture notes', 'e', 256, 0);
    expect(cosine(base, similar)).toBeGreaterThan(0.8);
    expect(cosine(base, similar)).toBeGreaterThan(cosine(base, different) + 0.3);
  });
});
