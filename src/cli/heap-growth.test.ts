import { describe, expect, it } from 'vitest';
import { heapGrowthFlag, SERVING_HEAP_GROWING_PERCENT } from './heap-growth.js';

describe('heapGrowthFlag', () => {
  it('limits the growth when node was given no setting of its own', () => {
    expect(heapGrowthFlag(['--enable-source-maps'], '--max-old-space-size=4096')).toBe(
      `--heap-growing-percent=${SERVING_HEAP_GROWING_PERCENT}`,
    );
  });

  it('leaves an explicit setting alone, on the command line or in NODE_OPTIONS, in either spelling', () => {
    expect(heapGrowthFlag(['--heap-growing-percent=200'], '')).toBeUndefined();
    expect(heapGrowthFlag([], '--trace-gc --heap_growing_percent=10')).toBeUndefined();
  });

  it('is not fooled by a flag that only starts the same way', () => {
    expect(heapGrowthFlag(['--heap-growing-percentage=1'], '')).toBeDefined();
  });
});
