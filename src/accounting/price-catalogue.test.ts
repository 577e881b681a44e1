import { describe, expect, it } from 'vitest';
import { compilePrices, computeCostNanos } from './compute-cost.js';
import { DEFAULT_PRICE_ENTRIES } from './default-prices.js';
import { candidateIds, createPriceCatalogue, fromPer1k } from './price-catalogue.js';

describe('createPriceCatalogue — lookup', () => {
  const catalogue = createPriceCatalogue();

  it('finds a model by its exact id', () => {
    expect(catalogue.lookup('gpt-4o-mini')).toEqual({
      inputPerMTok: 0.15,
      cachedInputPerMTok: 0.075,
      outputPerMTok: 0.6,
    });
    expect(catalogue.lookup('claude-sonnet-4')).toEqual({
      inputPerMTok: 3,
      cacheWritePerMTok: 3.75,
      cachedInputPerMTok: 0.3,
      outputPerMTok: 15,
    });
  });

  it('maps dated snapshots to their family', () => {
    expect(catalogue.lookup('gpt-4o-mini-2024-07-18')).toBe(catalogue.lookup('gpt-4o-mini'));
    expect(catalogue.lookup('gpt-4o-2024-11-20')).toBe(catalogue.lookup('gpt-4o'));
    expect(catalogue.lookup('claude-3-5-sonnet-20241022')).toBe(catalogue.lookup('claude-3-5-sonnet'));
    expect(catalogue.lookup('claude-haiku-4-5-20251001')).toBe(catalogue.lookup('claude-haiku-4-5'));
    expect(catalogue.lookup('gpt-5-mini-2025-08-07')).toBe(catalogue.lookup('gpt-5-mini'));
    expect(catalogue.lookup('mistral-large-2411')).toBe(catalogue.lookup('mistral-large-latest'));
  });

  it('keeps a snapshot priced apart from its family', () => {
    expect(catalogue.lookup('gpt-4o-2024-05-13')).toEqual({ inputPerMTok: 5, outputPerMTok: 15 });
  });

  it('strips router prefixes, cloud decorations and case', () => {
    const sonnet = catalogue.lookup('claude-3-5-sonnet');
    expect(catalogue.lookup('anthropic.claude-3-5-sonnet-20241022-v2:0')).toBe(sonnet);
    expect(catalogue.lookup('us.anthropic.claude-3-5-sonnet-20241022-v2:0')).toBe(sonnet);
    expect(catalogue.lookup('claude-3-5-sonnet-v2@20241022')).toBe(sonnet);
    expect(catalogue.lookup('claude-3-5-sonnet-latest')).toBe(sonnet);
    expect(catalogue.lookup('openai/gpt-4o-mini')).toBe(catalogue.lookup('gpt-4o-mini'));
    expect(catalogue.lookup('models/gemini-2.5-flash')).toBe(catalogue.lookup('gemini-2.5-flash'));
    expect(catalogue.lookup('GPT-4o-Mini')).toBe(catalogue.lookup('gpt-4o-mini'));
    expect(catalogue.lookup('meta-llama/Llama-3.3-70B-Instruct')).toBe(
      catalogue.lookup('llama-3.3-70b-versatile'),
    );
  });

  it('does not guess: unknown models and near misses stay unpriced', () => {
    expect(catalogue.lookup('gpt-4')).toBeUndefined();
    expect(catalogue.lookup('gpt-4-0613')).toBeUndefined();
    expect(catalogue.lookup('o3-pro')).toBeUndefined();
    expect(catalogue.lookup('my-fine-tune')).toBeUndefined();
    expect(catalogue.lookup('')).toBeUndefined();
  });

  it('lists the ids a lookup tries, most specific first', () => {
    expect(candidateIds('us.anthropic.claude-3-5-sonnet-20241022-v2:0')).toEqual([
      'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
      'anthropic.claude-3-5-sonnet-20241022-v2:0',
      'claude-3-5-sonnet-20241022-v2:0',
      'claude-3-5-sonnet-20241022',
      'claude-3-5-sonnet',
    ]);
  });

  it('resolves to the entry with its source', () => {
    const entry = catalogue.resolve('gpt-4o-mini-2024-07-18');
    expect(entry?.model).toBe('gpt-4o-mini');
    expect(entry?.source).toBe('https://platform.openai.com/docs/pricing');
  });
});

describe('createPriceCatalogue — overrides', () => {
  it('lets the config override a shipped price, including for its snapshots', () => {
    const catalogue = createPriceCatalogue({ 'gpt-4o-mini': { inputPerMTok: 1, outputPerMTok: 2 } });
    expect(catalogue.lookup('gpt-4o-mini')).toEqual({ inputPerMTok: 1, outputPerMTok: 2 });
    expect(catalogue.lookup('gpt-4o-mini-2024-07-18')).toEqual({ inputPerMTok: 1, outputPerMTok: 2 });
    const entry = catalogue.entries().find((e) => e.model === 'gpt-4o-mini');
    expect(entry?.source).toBe('config');
    expect(entry?.note).toContain('platform.openai.com');
  });

  it('prices an overridden snapshot apart from its family', () => {
    const catalogue = createPriceCatalogue({ 'gpt-4o-2024-11-20': { inputPerMTok: 9, outputPerMTok: 9 } });
    expect(catalogue.lookup('gpt-4o-2024-11-20')).toEqual({ inputPerMTok: 9, outputPerMTok: 9 });
    expect(catalogue.lookup('gpt-4o')?.inputPerMTok).toBe(2.5);
  });

  it('adds models the catalogue does not ship', () => {
    const catalogue = createPriceCatalogue({ 'My-Local-LLM': { inputPerMTok: 0, outputPerMTok: 0 } });
    expect(catalogue.lookup('My-Local-LLM')).toEqual({ inputPerMTok: 0, outputPerMTok: 0 });
    expect(catalogue.lookup('my-local-llm')).toEqual({ inputPerMTok: 0, outputPerMTok: 0 });
    expect(catalogue.entries().some((e) => e.model === 'My-Local-LLM' && e.verification === 'config')).toBe(
      true,
    );
  });
});

describe('shipped catalogue', () => {
  it('says where every figure comes from', () => {
    for (const e of DEFAULT_PRICE_ENTRIES) {
      expect(e.asOf, e.model).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (e.verification === 'unconfirmed') expect(e.source, e.model).toBe('unconfirmed');
      else expect(e.source, e.model).toMatch(/^https:\/\//);
      expect(() => compilePrices(e.prices), e.model).not.toThrow();
    }
  });

  it('covers the families the gateway routes to', () => {
    const catalogue = createPriceCatalogue();
    for (const model of [
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4.1-nano',
      'o3',
      'o4-mini',
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'text-embedding-3-small',
      'text-embedding-3-large',
      'claude-opus-4-5',
      'claude-sonnet-4-5',
      'claude-haiku-4-5',
      'claude-3-5-sonnet',
      'claude-3-5-haiku',
      'gemini-2.5-pro',
      'gemini-2.5-flash',
      'gemini-2.5-flash-lite',
      'llama-3.3-70b',
      'llama-3.1-8b',
      'mixtral-8x7b',
      'mistral-large-latest',
      'qwen3-32b',
    ]) {
      expect(catalogue.lookup(model), model).toBeDefined();
    }
  });

  it('has no alias that points at two models, and every alias resolves to its model', () => {
    const seen = new Map<string, string>();
    const catalogue = createPriceCatalogue();
    for (const e of DEFAULT_PRICE_ENTRIES) {
      for (const id of [e.model, ...(e.aliases ?? [])]) {
        expect(seen.get(id), id).toBeUndefined();
        seen.set(id, e.model);
        expect(catalogue.resolve(id)?.model, id).toBe(e.model);
      }
    }
  });
});

describe('fromPer1k', () => {
  it('converts the seed form exactly', () => {
    expect(fromPer1k({ input: 0.0015, output: 0.002 })).toEqual({ inputPerMTok: 1.5, outputPerMTok: 2 });
    expect(fromPer1k({ input: 0.00015 })).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0 });
    expect(fromPer1k({})).toEqual({ inputPerMTok: 0, outputPerMTok: 0 });
  });

  it('bills 1,000 tokens at exactly the per-1k price', () => {
    // 1,000 input tokens at $0.0015 per 1k = $0.0015 = 1,500,000 nano-dollars.
    expect(computeCostNanos({ inputTokens: 1_000, outputTokens: 0 }, fromPer1k({ input: 0.0015 }))).toBe(
      1_500_000,
    );
  });

  it('rejects negative prices', () => {
    expect(() => fromPer1k({ input: -1 })).toThrow(RangeError);
  });
});
