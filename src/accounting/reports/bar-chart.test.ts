import { describe, expect, it } from 'vitest';
import { renderBarChart } from './bar-chart.js';

describe('renderBarChart', () => {
  it('scales bars to the largest value and keeps tiny non-zero values visible', () => {
    const chart = renderBarChart(
      [
        { label: '2026-01', value: 100, text: '$1.00' },
        { label: '2026-02', value: 50, text: '$0.50' },
        { label: '2026-03', value: 0.1, text: '$0.001' },
        { label: '2026-04', value: 0, text: '$0.00' },
      ],
      10,
    );
    expect(chart.split('\n')).toEqual([
      '2026-01 |########## $1.00',
      '2026-02 |#####      $0.50',
      '2026-03 |#          $0.001',
      '2026-04 |           $0.00',
    ]);
    expect(renderBarChart([])).toBe('');
  });
});
