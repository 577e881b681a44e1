import { describe, expect, it } from 'vitest';
import { createMemoryCacheStore, ENTRY_OVERHEAD_BYTES } from './memory-cache-store.js';

const HOUR = 3_600_000;

describe('createMemoryCacheStore — bounded by bytes', () => {
  it('evicts least recently used entries to stay within maxBytes', async () => {
    const entryBytes = 1 + 100 + ENTRY_OVERHEAD_BYTES;
    const store = createMemoryCacheStore({ maxEntries: 100, maxBytes: entryBytes * 3 });
    for (const key of ['a', 'b', 'c']) await store.set(key, 'x'.repeat(100), HOUR);
    await store.get('a');
    await store.set('d', 'x'.repeat(100), HOUR);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    // One value as large as the whole budget pushes out everything else.
    const big = 'y'.repeat(entryBytes * 3 - 1 - ENTRY_OVERHEAD_BYTES);
    expect(await store.set('e', big, HOUR)).toBe(true);
    expect(await store.get('a')).toBeUndefined();
    expect((await store.get('e'))?.byteLength).toBe(big.length);
    // Larger than the budget: refused.
    expect(await store.set('f', `${big}z`, HOUR)).toBe(false);
    expect(await store.get('e')).toBeDefined();
  });

  it('replacing an entry gives its bytes back', async () => {
    const store = createMemoryCacheStore({ maxEntries: 10, maxBytes: (1 + 50 + ENTRY_OVERHEAD_BYTES) * 2 });
    await store.set('a', 'x'.repeat(50), HOUR);
    for (let i = 0; i < 10; i++) await store.set('b', 'y'.repeat(50), HOUR);
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('b')).toBeDefined();
  });

  it('hands out copies: changing a returned buffer changes nothing stored', async () => {
    const store = createMemoryCacheStore();
    await store.set('k', 'abc', HOUR);
    const first = await store.get('k');
    first?.fill(0);
    expect((await store.get('k'))?.toString()).toBe('abc');
  });
});
