import { describe, expect, it } from 'vitest';
import { aiq, apgr, cpt, hullQualityAt, nonDecreasingHull, pgr } from './metrics.js';

const points = [
  { cost: 1, quality: 0.5 },
  { cost: 2, quality: 0.8 },
  { cost: 3, quality: 0.7 }, // dearer and worse than (2, 0.8): off the hull
  { cost: 4, quality: 0.9 },
  { cost: 3.5, quality: 0.82 }, // under the segment (2, 0.8)–(4, 0.9): off the hull
];

describe('nonDecreasingHull', () => {
  it('keeps the upper-left frontier, cheapest first', () => {
    expect(nonDecreasingHull(points)).toEqual([
      { cost: 1, quality: 0.5 },
      { cost: 2, quality: 0.8 },
      { cost: 4, quality: 0.9 },
    ]);
  });

  it('drops a point that lies under a segment of the hull', () => {
    const hull = nonDecreasingHull([
      { cost: 0, quality: 0 },
      { cost: 1, quality: 0.4 },
      { cost: 2, quality: 1 },
    ]);
    expect(hull.map((p) => p.cost)).toEqual([0, 2]);
  });

  it('interpolates on the hull, flat after its last point, zero before its first', () => {
    const hull = nonDecreasingHull(points);
    expect(hullQualityAt(hull, 3)).toBeCloseTo(0.85, 12);
    expect(hullQualityAt(hull, 10)).toBe(0.9);
    expect(hullQualityAt(hull, 0.5)).toBe(0);
  });
});

describe('aiq', () => {
  it('is the area under the hull over its own cost range, divided by the width', () => {
    // (1→2): (0.5 + 0.8) / 2 = 0.65; (2→4): (0.8 + 0.9) / 2 × 2 = 1.7; total 2.35 over a width of 3.
    expect(aiq(points)).toBeCloseTo(2.35 / 3, 12);
  });

  it('counts nothing before the cheapest point and extends the best flat to the range end', () => {
    // Over [0, 5]: 0 on [0, 1), then 2.35 on [1, 4], then 0.9 × 1 on [4, 5].
    expect(aiq(points, { min: 0, max: 5 })).toBeCloseTo((2.35 + 0.9) / 5, 12);
  });
});

describe('two-model metrics', () => {
  // Weak 0.5, strong 0.9. PGR at the router's points: 0.5, 0.75.
  const router = [
    { strongShare: 0.2, quality: 0.7 },
    { strongShare: 0.5, quality: 0.8 },
  ];

  it('PGR is the share of the gap recovered', () => {
    expect(pgr(0.7, 0.5, 0.9)).toBeCloseTo(0.5, 12);
    expect(pgr(0.9, 0.5, 0.9)).toBeCloseTo(1, 12);
  });

  it('APGR averages PGR over the strong-call share, anchored at 0 and 1', () => {
    // 0.2 × (0 + 0.5)/2 + 0.3 × (0.5 + 0.75)/2 + 0.5 × (0.75 + 1)/2 = 0.05 + 0.1875 + 0.4375
    expect(apgr(router, 0.5, 0.9)).toBeCloseTo(0.675, 12);
  });

  it('CPT is the smallest strong-call share reaching a PGR', () => {
    expect(cpt(router, 0.5, 0.9, 0.5)).toBeCloseTo(0.2, 12);
    // Between (0.5, 0.75) and (1, 1): 0.8 is reached at 0.5 + 0.5 × 0.05 / 0.25 = 0.6.
    expect(cpt(router, 0.5, 0.9, 0.8)).toBeCloseTo(0.6, 12);
  });

  it("keeps a router's own end points: paying for every strong call without using them recovers nothing", () => {
    const wasteful = [
      { strongShare: 0, quality: 0.5 },
      { strongShare: 1, quality: 0.5 },
    ];
    expect(apgr(wasteful, 0.5, 0.9)).toBe(0);
    expect(cpt(wasteful, 0.5, 0.9, 0.5)).toBeNull();
  });

  it('a random router has APGR 0.5', () => {
    const random = [0.25, 0.5, 0.75].map((s) => ({ strongShare: s, quality: 0.5 + 0.4 * s }));
    expect(apgr(random, 0.5, 0.9)).toBeCloseTo(0.5, 12);
    expect(cpt(random, 0.5, 0.9, 0.5)).toBeCloseTo(0.5, 12);
  });
});
