/**
 * @module accounting/reports/bar-chart
 * A horizontal bar chart in plain ASCII, for spend per period in a terminal: a column of
 * numbers hides the shape (a spike, a ramp) that a row of bars shows at a glance.
 */

export interface Bar {
  label: string;
  value: number;
  /** What to print after the bar (the formatted value). */
  text: string;
}

/** One line per bar, scaled so the largest value fills `width` characters. */
export function renderBarChart(bars: readonly Bar[], width = 40): string {
  if (bars.length === 0) return '';
  const max = Math.max(0, ...bars.map((bar) => bar.value));
  const labelWidth = Math.max(...bars.map((bar) => bar.label.length));
  return bars
    .map((bar) => {
      const length = max > 0 ? Math.round((Math.max(0, bar.value) / max) * width) : 0;
      // A non-zero value always shows, however small next to the largest.
      const shown = bar.value > 0 ? Math.max(1, length) : 0;
      return `${bar.label.padEnd(labelWidth)} |${'#'.repeat(shown).padEnd(width)} ${bar.text}`;
    })
    .join('\n');
}
