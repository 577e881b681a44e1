import { describe, expect, it } from 'vitest';
import { createRandom } from '../mock-upstream/random.js';
import { fitLogistic } from './logistic.js';

describe('fitLogistic', () => {
  it('recovers the weights of a known logistic model on raw (unstandardised) features', () => {
    const random = createRandom(42);
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const a = random.next() * 4 - 2;
      const b = random.next() * 100; // a large scale, to exercise standardisation
      const p = 1 / (1 + Math.exp(-(0.5 + 2 * a - 0.02 * b)));
      rows.push([a, b]);
      y.push(random.next() < p ? 1 : 0);
    }
    const model = fitLogistic(rows, y, { l2: 0.01 });
    expect(model.weights[0]).toBeCloseTo(0.5, 0);
    expect(model.weights[1]).toBeGreaterThan(1.7);
    expect(model.weights[1]).toBeLessThan(2.3);
    expect(model.weights[2]).toBeCloseTo(-0.02, 2);
    expect(model.predict([1, 0])).toBeGreaterThan(model.predict([0, 0]));
  });

  it('stays finite on separable data and on a constant feature', () => {
    const model = fitLogistic(
      [
        [0, 1],
        [0, 1],
        [1, 1],
        [1, 1],
      ],
      [0, 0, 1, 1],
    );
    expect(model.weights.every(Number.isFinite)).toBe(true);
    expect(model.predict([1, 1])).toBeGreaterThan(0.5);
    expect(model.predict([0, 1])).toBeLessThan(0.5);
  });

  it('predicts the base rate when there are no features', () => {
    const model = fitLogistic([[], [], [], []], [1, 1, 1, 0]);
    expect(model.predict([])).toBeCloseTo(0.75, 6);
  });
});
