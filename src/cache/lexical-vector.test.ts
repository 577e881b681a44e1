import { describe, expect, it } from 'vitest';
import { cosine, similarity, vectorise } from './lexical-vector.js';

const sim = (a: string, b: string) => similarity(vectorise(a), vectorise(b));

describe('vectorise and similarity', () => {
  it('gives unit vectors with ascending indices', () => {
    const v = vectorise('The quick brown fox jumps over the lazy dog');
    let norm = 0;
    for (const w of v.weights) norm += w * w;
    expect(norm).toBeCloseTo(1, 5);
    for (let i = 1; i < v.indices.length; i++) expect(v.indices[i]!).toBeGreaterThan(v.indices[i - 1]!);
    expect(cosine(v, v)).toBeCloseTo(1, 5);
  });

  it('ignores case, punctuation and spacing', () => {
    expect(sim('What is the capital of France?', 'what   is the capital of france')).toBeCloseTo(1, 5);
  });

  it('near-duplicates score above the default threshold of 0.9', () => {
    expect(
      sim('Tell me about switchyards in a few words.', 'Please tell me about switchyards, in a few words!'),
    ).toBeGreaterThan(0.9);
    expect(
      sim('Tell me about switchyards in a few words.', 'tell me about switchyards in a few words please'),
    ).toBeGreaterThan(0.9);
  });

  it('different questions with many shared words stay below it', () => {
    expect(sim('What is the capital of France?', 'What is the capital of Germany?')).toBeLessThan(0.85);
    expect(sim('How do I sort a list in Python?', 'How do I sort a list in JavaScript?')).toBeLessThan(0.85);
    expect(sim('Summarise the history of railways in Britain', 'Write a poem about the sea')).toBeLessThan(
      0.3,
    );
  });

  it('the guard: different numbers or negations are never similar', () => {
    expect(sim('What is 2+2?', 'What is 2+3?')).toBe(0);
    expect(sim('What is 2+2?', 'What is 2 + 2 ?')).toBeCloseTo(1, 5);
    expect(sim('Is Paris in France?', 'Is Paris not in France?')).toBe(0);
    expect(sim("Don't use recursion", 'Do use recursion')).toBe(0);
  });

  it('an empty text is similar to nothing', () => {
    expect(sim('', '')).toBe(0);
    expect(sim('...', 'hello')).toBe(0);
  });
});
