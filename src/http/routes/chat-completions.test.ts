import { describe, expect, it } from 'vitest';
import { headerSafe } from './chat-completions.js';

describe('headerSafe', () => {
  it('spells the decision traces’ symbols in ASCII and replaces anything else unprintable', () => {
    expect(headerSafe('cheapest: a → b (≥ 0.8 × best, ≤ $1 — ok)')).toBe(
      'cheapest: a -> b (>= 0.8 x best, <= $1 - ok)',
    );
    expect(headerSafe('tab\there, line\nbreak, é')).toBe('tab?here, line?break, ?');
    expect(headerSafe('plain ascii stays as it is')).toBe('plain ascii stays as it is');
  });

  it('bounds the value', () => {
    const long = headerSafe('→'.repeat(1_000), 20);
    expect(long).toBe(`${'->'.repeat(8)}-...`);
    expect(long).toHaveLength(20);
  });
});
