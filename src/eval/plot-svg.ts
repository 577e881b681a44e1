/**
 * @module eval/plot-svg
 * The cost–quality chart of an eval report as a standalone SVG: cost per query on a log axis,
 * accuracy up the side, one series per routing method (its points, joined along its
 * non-decreasing hull), the single models labelled, the oracle, and the target region (at least
 * 95% of the best model's accuracy for at most 70% of its cost) shaded. Hand-written markup: no
 * dependency, and the file opens in any browser.
 */

import type { EvalReport } from './harness.js';
import { type CostQualityPoint, nonDecreasingHull } from './metrics.js';

const WIDTH = 960;
const HEIGHT = 600;
const MARGIN = { left: 76, right: 250, top: 52, bottom: 62 };
const HULL_STEPS = 24;
const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
  );
}

function formatCost(usd: number): string {
  if (usd >= 0.01) return `$${usd.toFixed(2)}`;
  const digits = Math.max(0, -Math.floor(Math.log10(usd)));
  return `$${usd.toFixed(digits)}`;
}

/** The model's name without its organisation prefix, for labels. */
function shortName(model: string): string {
  return model.slice(model.lastIndexOf('/') + 1);
}

/**
 * The hull as drawn on a log-cost axis: mixing two operating points is linear in cost, which is a
 * curve on this axis, so each segment is traced through intermediate points.
 */
function hullPath(
  hull: readonly CostQualityPoint[],
  x: (cost: number) => number,
  y: (quality: number) => number,
): string {
  const coords: string[] = [];
  hull.forEach((p, i) => {
    const previous = hull[i - 1];
    if (previous) {
      for (let k = 1; k < HULL_STEPS; k++) {
        const t = k / HULL_STEPS;
        const cost = previous.cost + t * (p.cost - previous.cost);
        const quality = previous.quality + t * (p.quality - previous.quality);
        coords.push(`${x(cost).toFixed(1)},${y(quality).toFixed(1)}`);
      }
    }
    coords.push(`${x(p.cost).toFixed(1)},${y(p.quality).toFixed(1)}`);
  });
  return coords.join(' ');
}

/** A small label right of a marker, or left of it when it would run past the plot's right edge. */
function label(cx: number, cy: number, text: string, right: number): string {
  const width = text.length * 5.6;
  const before = cx + 7 + width > right;
  const lx = before ? cx - 7 : cx + 7;
  return `<text x="${lx.toFixed(1)}" y="${(cy + 4).toFixed(1)}" font-size="10" fill="#333"${before ? ' text-anchor="end"' : ''}>${escapeXml(text)}</text>`;
}

export function renderPlotSvg(report: EvalReport): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = [
    ...report.points.map((p) => ({ cost: p.cost_per_query, accuracy: p.accuracy })),
    { cost: report.oracle.cost_per_query, accuracy: report.oracle.accuracy },
  ].filter((p) => p.cost > 0 && Number.isFinite(p.cost));
  // A dataset without costs still plots, on a nominal axis.
  const minCost = all.length > 0 ? Math.min(...all.map((p) => p.cost)) : 1e-6;
  const maxCost = all.length > 0 ? Math.max(...all.map((p) => p.cost)) : 1e-3;
  const logMin = Math.floor(Math.log10(minCost) * 4) / 4;
  const logMax = Math.ceil(Math.log10(maxCost) * 4) / 4 + (maxCost === minCost ? 0.25 : 0);
  const accuracies = [...report.points.map((p) => p.accuracy), report.oracle.accuracy];
  const yMin = Math.max(0, Math.floor(Math.min(...accuracies) * 10) / 10 - 0.02);
  const yMax = Math.min(1.02, Math.ceil(Math.max(...accuracies) * 20) / 20 + 0.02);
  const x = (cost: number) =>
    MARGIN.left + ((Math.log10(Math.max(cost, 10 ** logMin)) - logMin) / (logMax - logMin)) * plotW;
  const y = (accuracy: number) => MARGIN.top + (1 - (accuracy - yMin) / (yMax - yMin)) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="16" font-weight="bold">${escapeXml(`Cost vs accuracy — ${report.dataset.name}`)}</text>`,
    `<text x="${MARGIN.left}" y="40" fill="#555">${escapeXml(`${report.dataset.evaluated_rows} prompts, ${report.dataset.protocol}`)}</text>`,
  );

  // Target region: at least 95% of the best model's accuracy, at most 70% of its cost.
  const target = report.summary.target;
  const tx = x(target.cost_per_query);
  const ty = y(Math.min(yMax, target.accuracy));
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${Math.max(0, tx - MARGIN.left).toFixed(1)}" height="${Math.max(0, ty - MARGIN.top).toFixed(1)}" fill="#2ca02c" fill-opacity="0.08" stroke="#2ca02c" stroke-opacity="0.4" stroke-dasharray="4 3"/>`,
    `<text x="${MARGIN.left + 6}" y="${Math.max(MARGIN.top + 15, ty - 6).toFixed(1)}" fill="#2a7a2a">${escapeXml(`target: ≥${Math.round(target.accuracy_share * 100)}% of the best model's accuracy at ≤${Math.round(target.cost_share * 100)}% of its cost`)}</text>`,
  );

  // Axes, grid and ticks.
  out.push(`<g stroke="#ddd">`);
  const xTicks: { cost: number; label: boolean }[] = [];
  for (let e = Math.floor(logMin); e <= Math.ceil(logMax); e++) {
    for (const m of [1, 2, 5]) {
      const cost = m * 10 ** e;
      const l = Math.log10(cost);
      if (l >= logMin - 1e-9 && l <= logMax + 1e-9)
        xTicks.push({ cost, label: m === 1 || logMax - logMin <= 2 });
    }
  }
  for (const tick of xTicks)
    out.push(
      `<line x1="${x(tick.cost).toFixed(1)}" y1="${MARGIN.top}" x2="${x(tick.cost).toFixed(1)}" y2="${MARGIN.top + plotH}"/>`,
    );
  const yTicks: number[] = [];
  const step = yMax - yMin > 0.5 ? 0.1 : 0.05;
  for (let v = Math.ceil(yMin / step) * step; v <= yMax + 1e-9; v += step)
    yTicks.push(Math.round(v * 100) / 100);
  for (const v of yTicks)
    out.push(
      `<line x1="${MARGIN.left}" y1="${y(v).toFixed(1)}" x2="${MARGIN.left + plotW}" y2="${y(v).toFixed(1)}"/>`,
    );
  out.push(`</g>`);
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
  );
  for (const tick of xTicks) {
    if (!tick.label) continue;
    out.push(
      `<text x="${x(tick.cost).toFixed(1)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${formatCost(tick.cost)}</text>`,
    );
  }
  for (const v of yTicks) {
    out.push(
      `<text x="${MARGIN.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(2)}</text>`,
    );
  }
  out.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 18}" text-anchor="middle" font-size="13">cost per query (USD, log scale)</text>`,
    `<text transform="translate(20 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="13">accuracy</text>`,
  );

  // One series per method: its hull as a line, every point as a dot.
  // The random router goes last, so its dashed line stays visible where another method's hull matches it.
  const strategies = [...new Set(report.points.map((p) => p.strategy))]
    .filter((s) => s !== 'single' && s !== 'oracle')
    .sort((a, b) => Number(a === 'random') - Number(b === 'random'));
  const legend: string[] = [];
  strategies.forEach((strategy, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points = report.points.filter((p) => p.strategy === strategy);
    const hull = nonDecreasingHull(points.map((p) => ({ cost: p.cost_per_query, quality: p.accuracy })));
    const dash = strategy === 'random' ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${hullPath(hull, x, y)}"/>`,
    );
    for (const p of points) {
      out.push(
        `<circle cx="${x(p.cost_per_query).toFixed(1)}" cy="${y(p.accuracy).toFixed(1)}" r="3.2" fill="${color}"><title>${escapeXml(`${strategy} ${p.setting}: ${p.accuracy.toFixed(3)} at ${formatCost(p.cost_per_query)}`)}</title></circle>`,
      );
    }
    const summary = report.summary.strategies.find((s) => s.strategy === strategy);
    // Ring the point that meets the target, when there is one.
    if (summary?.pass && summary.best_point) {
      const p = summary.best_point;
      out.push(
        `<circle cx="${x(p.cost_per_query).toFixed(1)}" cy="${y(p.accuracy).toFixed(1)}" r="7" fill="none" stroke="${color}" stroke-width="2"/>`,
      );
    }
    const verdict = summary ? (summary.pass ? ' ✓' : '') : '';
    legend.push(
      `<line x1="0" y1="${i * 20}" x2="22" y2="${i * 20}" stroke="${color}" stroke-width="2"${dash}/><circle cx="11" cy="${i * 20}" r="3.2" fill="${color}"/><text x="30" y="${i * 20 + 4}">${escapeXml(strategy + verdict)}</text>`,
    );
  });

  // Single models and the oracle.
  for (const single of report.single_models) {
    const cx = x(single.cost_per_query);
    const cy = y(single.accuracy);
    out.push(
      `<rect x="${(cx - 4).toFixed(1)}" y="${(cy - 4).toFixed(1)}" width="8" height="8" fill="#333"><title>${escapeXml(`${single.model}: ${single.accuracy.toFixed(3)} at ${formatCost(single.cost_per_query)}`)}</title></rect>`,
      label(cx, cy, shortName(single.model), MARGIN.left + plotW),
    );
  }
  const ox = x(report.oracle.cost_per_query);
  const oy = y(report.oracle.accuracy);
  out.push(
    `<path d="M ${ox.toFixed(1)} ${(oy - 7).toFixed(1)} L ${(ox + 6).toFixed(1)} ${(oy + 5).toFixed(1)} L ${(ox - 6).toFixed(1)} ${(oy + 5).toFixed(1)} Z" fill="#000"><title>oracle: ${report.oracle.accuracy.toFixed(3)} at ${formatCost(report.oracle.cost_per_query)}</title></path>`,
    `<text x="${(ox + 9).toFixed(1)}" y="${(oy + 4).toFixed(1)}" font-size="10">oracle</text>`,
  );

  const legendX = MARGIN.left + plotW + 24;
  out.push(`<g transform="translate(${legendX} ${MARGIN.top + 10})">`, ...legend);
  const base = strategies.length * 20 + 10;
  out.push(
    `<rect x="7" y="${base - 4}" width="8" height="8" fill="#333"/><text x="30" y="${base + 4}">single model</text>`,
    `<path d="M 11 ${base + 13} L 17 ${base + 25} L 5 ${base + 25} Z" fill="#000"/><text x="30" y="${base + 24}">oracle</text>`,
    `<rect x="2" y="${base + 34}" width="18" height="12" fill="#2ca02c" fill-opacity="0.08" stroke="#2ca02c" stroke-opacity="0.4" stroke-dasharray="4 3"/><text x="30" y="${base + 44}">target region</text>`,
    `<text x="0" y="${base + 70}" fill="#555" font-size="11">✓ = reaches the target</text>`,
    `</g>`,
    `</svg>`,
  );
  return out.join('\n');
}
