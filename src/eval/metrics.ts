/**
 * @module eval/metrics
 * Cost–quality metrics of routers, as the RouterBench and RouteLLM papers define them.
 * - Non-decreasing convex hull: a router can be mixed at random with another, so every point on a
 *   segment between two of its operating points is reachable, and paying more never has to buy
 *   less; the hull is the upper-left frontier of those mixtures.
 * - AIQ: the area under that hull over a cost range, divided by the range's width (a mean quality).
 * - Two-model case (one weak, one strong): PGR = share of the weak→strong quality gap recovered;
 *   APGR = PGR averaged over the share of calls sent to the strong model; CPT(x) = the smallest
 *   strong-call share that recovers x of the gap.
 */

export interface CostQualityPoint {
  cost: number;
  quality: number;
}

/** Mean of the values; 0 for none. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function cross(o: CostQualityPoint, a: CostQualityPoint, b: CostQualityPoint): number {
  return (a.cost - o.cost) * (b.quality - o.quality) - (a.quality - o.quality) * (b.cost - o.cost);
}

/**
 * The non-decreasing convex hull of the points, cheapest first: each hull point costs more and is
 * better than the one before, and no point lies above a segment between two hull points.
 */
export function nonDecreasingHull<P extends CostQualityPoint>(points: readonly P[]): P[] {
  const sorted = [...points]
    .filter((p) => Number.isFinite(p.cost) && Number.isFinite(p.quality))
    .sort((a, b) => a.cost - b.cost || b.quality - a.quality);
  const frontier: P[] = [];
  for (const p of sorted) {
    const last = frontier[frontier.length - 1];
    if (last && p.quality <= last.quality) continue; // costs as much or more and is no better
    frontier.push(p);
  }
  const hull: P[] = [];
  for (const p of frontier) {
    // Drop the middle point while it lies on or under the segment from its predecessor to p.
    while (hull.length >= 2 && cross(hull[hull.length - 2]!, hull[hull.length - 1]!, p) >= 0) hull.pop();
    hull.push(p);
  }
  return hull;
}

/** The hull's quality at `cost`: interpolated between hull points, flat after the last, 0 before the first. */
export function hullQualityAt(hull: readonly CostQualityPoint[], cost: number): number {
  const first = hull[0];
  if (!first || cost < first.cost) return 0;
  for (let i = 1; i < hull.length; i++) {
    const a = hull[i - 1]!;
    const b = hull[i]!;
    if (cost <= b.cost) return a.quality + ((b.quality - a.quality) * (cost - a.cost)) / (b.cost - a.cost);
  }
  return hull[hull.length - 1]!.quality;
}

/**
 * Average improvement in quality: the area under the non-decreasing hull between `range.min` and
 * `range.max` (default: the points' own cheapest and dearest), divided by the width. Below the
 * router's cheapest point nothing is reachable, so that stretch counts as quality 0.
 */
export function aiq(points: readonly CostQualityPoint[], range?: { min: number; max: number }): number {
  const hull = nonDecreasingHull(points);
  if (hull.length === 0) return 0;
  const min = range?.min ?? hull[0]!.cost;
  const max = range?.max ?? Math.max(...points.map((p) => p.cost));
  if (max <= min) return hullQualityAt(hull, max);
  // The hull is linear between its own costs, so trapezoids between those breakpoints are exact.
  const first = hull[0]!;
  const xs = [min, ...hull.map((p) => p.cost).filter((c) => c > min && c < max), max];
  let area = 0;
  for (let i = 1; i < xs.length; i++) {
    const b = xs[i]!;
    if (b <= first.cost) continue;
    const a = Math.max(xs[i - 1]!, first.cost);
    area += ((hullQualityAt(hull, a) + hullQualityAt(hull, b)) / 2) * (b - a);
  }
  return area / (max - min);
}

/** A router's operating point in the two-model case: share of calls to the strong model, quality. */
export interface StrongSharePoint {
  strongShare: number;
  quality: number;
}

/** Performance gap recovered: (q − q_weak) / (q_strong − q_weak). */
export function pgr(quality: number, weak: number, strong: number): number {
  return strong === weak ? 1 : (quality - weak) / (strong - weak);
}

/**
 * The PGR curve over strong-call share 0..1: the router's points (the best one where several share
 * a strong-call share), anchored at all-weak (0) and all-strong (1) where the router has no point.
 */
function pgrCurve(points: readonly StrongSharePoint[], weak: number, strong: number): StrongSharePoint[] {
  const best = new Map<number, number>();
  for (const p of points) {
    const share = Math.min(1, Math.max(0, p.strongShare));
    const value = pgr(p.quality, weak, strong);
    best.set(share, Math.max(best.get(share) ?? Number.NEGATIVE_INFINITY, value));
  }
  if (!best.has(0)) best.set(0, 0);
  if (!best.has(1)) best.set(1, 1);
  return [...best]
    .map(([strongShare, quality]) => ({ strongShare, quality }))
    .sort((a, b) => a.strongShare - b.strongShare);
}

/** Average PGR over strong-call share from 0 to 1 (trapezoids between the router's points). */
export function apgr(points: readonly StrongSharePoint[], weak: number, strong: number): number {
  const curve = pgrCurve(points, weak, strong);
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    area += ((a.quality + b.quality) / 2) * (b.strongShare - a.strongShare);
  }
  return area;
}

/**
 * Call-performance threshold: the smallest share of strong calls at which the router recovers
 * `target` (e.g. 0.5) of the gap, interpolating between its points; null if it never does.
 */
export function cpt(
  points: readonly StrongSharePoint[],
  weak: number,
  strong: number,
  target: number,
): number | null {
  const curve = pgrCurve(points, weak, strong);
  if (curve[0]!.quality >= target) return 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    if (b.quality >= target) {
      if (b.quality === a.quality) return b.strongShare;
      return (
        a.strongShare + ((target - a.quality) * (b.strongShare - a.strongShare)) / (b.quality - a.quality)
      );
    }
  }
  return null;
}
