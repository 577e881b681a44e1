import { describe, expect, it } from 'vitest';
import { createTestClock } from '../storage/counter-store.contract.js';
import { vectorise } from './lexical-vector.js';
import { createSemanticIndex } from './semantic-index.js';

const HOUR = 3_600_000;

describe('createSemanticIndex', () => {
  it('finds the most similar entry of the same partition at or above the threshold', () => {
    const index = createSemanticIndex({ maxEntries: 100 });
    index.add('p', 'k1', vectorise('Tell me about switchyards in a few words.'), Date.now() + HOUR);
    index.add('p', 'k2', vectorise('Tell me about railways in a few words.'), Date.now() + HOUR);
    index.add('q', 'k3', vectorise('Tell me about switchyards in a few words please'), Date.now() + HOUR);
    const query = vectorise('tell me about switchyards in a few words please');
    expect(index.search('p', query, 0.9)).toMatchObject({ key: 'k1' });
    expect(index.search('p', query, 0.9)?.similarity).toBeGreaterThan(0.9);
    expect(index.search('q', query, 0.9)).toMatchObject({ key: 'k3' });
    expect(index.search('p', vectorise('Write a poem about the sea'), 0.9)).toBeUndefined();
    expect(index.search('other', query, 0.1)).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const index = createSemanticIndex({ maxEntries: 2 });
    index.add('p', 'a', vectorise('alpha beta gamma'), Date.now() + HOUR);
    index.add('p', 'b', vectorise('delta epsilon zeta'), Date.now() + HOUR);
    index.add('p', 'c', vectorise('eta theta iota'), Date.now() + HOUR);
    expect(index.size).toBe(2);
    expect(index.search('p', vectorise('alpha beta gamma'), 0.9)).toBeUndefined();
    expect(index.search('p', vectorise('eta theta iota'), 0.9)).toMatchObject({ key: 'c' });
    // Re-adding a key replaces it rather than duplicating it.
    index.add('p', 'c', vectorise('kappa lambda mu'), Date.now() + HOUR);
    expect(index.size).toBe(2);
    expect(index.search('p', vectorise('eta theta iota'), 0.9)).toBeUndefined();
  });

  it('forgets expired and removed entries', () => {
    const clock = createTestClock();
    const index = createSemanticIndex({ maxEntries: 10, now: clock.now });
    index.add('p', 'a', vectorise('alpha beta gamma'), clock.now() + 1_000);
    index.add('p', 'b', vectorise('delta epsilon zeta'), clock.now() + HOUR);
    clock.advance(1_000);
    expect(index.search('p', vectorise('alpha beta gamma'), 0.5)).toBeUndefined();
    expect(index.size).toBe(1);
    index.remove('b');
    expect(index.size).toBe(0);
    expect(index.search('p', vectorise('delta epsilon zeta'), 0.5)).toBeUndefined();
  });

  it('scores only candidates that share a rare word with the query', () => {
    // Ten candidates at most: were the common words' postings probed, the target would be missed.
    const index = createSemanticIndex({ maxEntries: 5_000, probeWords: 2, maxCandidates: 10 });
    for (let i = 0; i < 2_000; i++) {
      index.add('p', `filler${i}`, vectorise(`the question number ${i}`), Date.now() + HOUR);
    }
    index.add('p', 'target', vectorise('the zebra crossing question'), Date.now() + HOUR);
    expect(index.search('p', vectorise('the zebra crossing question?'), 0.9)).toMatchObject({
      key: 'target',
    });
  });
});
