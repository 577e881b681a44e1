/**
 * @module accounting/default-prices
 * The shipped price catalogue: standard (non-batch, non-priority) prices per million tokens, each
 * with the page it was read from and the date that page attests. `verification` says how far to
 * trust a figure: `official` was read on the provider's own pricing page (through the reference
 * corpus, which holds snapshots that may lag the live page); `secondary` is a third party quoting
 * the provider's page, cross-checked against at least one other copy; `unconfirmed` could not be
 * traced to the provider and carries `source: 'unconfirmed'` — override it in the config before
 * billing anyone by it. Tiered prices (long-context surcharges, audio input, 1-hour cache writes,
 * cache storage per hour) do not fit `Prices` and are named in each entry's note instead.
 */

import type { Prices } from './prices.js';

export type PriceVerification = 'official' | 'secondary' | 'unconfirmed';

export interface PriceEntry {
  /** Canonical model id, as the provider's API names it. */
  readonly model: string;
  readonly provider: string;
  readonly prices: Readonly<Prices>;
  /** Other ids that bill the same (dated snapshots that cannot be derived, marketing names). */
  readonly aliases?: readonly string[];
  /** The page the figures were read from, or `unconfirmed`. */
  readonly source: string;
  /** YYYY-MM-DD: when the source showed these figures. */
  readonly asOf: string;
  readonly verification: PriceVerification;
  readonly note?: string;
}

const OPENAI = 'https://platform.openai.com/docs/pricing';
const OPENAI_NOTE =
  "Read from a transcription of OpenAI's pricing page (hex.pm package openai_responses, lib/responses/pricing.ex, " +
  'citing platform.openai.com/docs/pricing, 2025-06-03) and agreeing third-party tables; ' +
  "OpenAI's page itself was not in the reference corpus. Cache writes are free on OpenAI.";
const ANTHROPIC = 'https://platform.claude.com/docs/en/about-claude/pricing';
const ANTHROPIC_NOTE =
  "Official 'Model pricing' table (undated snapshot read 2026-11-25). cacheWrite is the 5-minute write " +
  '(1.25× input); 1-hour writes bill 2× input.';
const GEMINI = 'https://ai.google.dev/gemini-api/docs/pricing';
const GEMINI_NOTE =
  'Official paid tier, Standard (snapshot carrying the Veo 3.1 launch banner, October 2025). Output price ' +
  'includes thinking tokens. Context-cache storage ($ per million tokens per hour) is not modelled.';
const GROQ = 'https://groq.com/pricing';
const GROQ_NOTE =
  "Groq's list price, as quoted from groq.com/pricing (fetched 2026-07-27) by several public repositories; " +
  'other hosts charge differently — override per deployment.';

const entry = (e: PriceEntry): PriceEntry => Object.freeze({ ...e, prices: Object.freeze({ ...e.prices }) });

export const DEFAULT_PRICE_ENTRIES: readonly PriceEntry[] = Object.freeze([
  // OpenAI
  entry({
    model: 'gpt-4o',
    provider: 'openai',
    prices: { inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 },
    aliases: ['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20'],
    source: OPENAI,
    asOf: '2025-06-03',
    verification: 'secondary',
    note: OPENAI_NOTE,
  }),
  entry({
    // The first gpt-4o snapshot kept its launch price; it must not fall back to `gpt-4o`.
    model: 'gpt-4o-2024-05-13',
    provider: 'openai',
    prices: { inputPerMTok: 5, outputPerMTok: 15 },
    source: OPENAI,
    asOf: '2025-06-03',
    verification: 'secondary',
    note: `${OPENAI_NOTE} No cached-input discount listed for this snapshot.`,
  }),
  entry({
    model: 'gpt-4o-mini',
    provider: 'openai',
    prices: { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 },
    aliases: ['gpt-4o-mini-2024-07-18'],
    source: OPENAI,
    asOf: '2025-06-03',
    verification: 'secondary',
    note: OPENAI_NOTE,
  }),
  entry({
    model: 'gpt-4.1',
    provider: 'openai',
    prices: { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 },
    aliases: ['gpt-4.1-2025-04-14'],
    source: OPENAI,
    asOf: '2025-06-03',
    verification: 'secondary',
    note: OPENAI_NOTE,
  }),
  entry({
    model: 'gpt-4.1-mini',
    provider: 'openai',
    prices: { inputPerMTok: 0.4, cachedInputPerMTok: 0.1, outputPerMTok: 1.6 },
    aliases: ['gpt-4.1-mini-2025-04-14'],
    source: OPENAI,
    asOf: '2025-06-03',
    verification: 'secondary',
    note: OPENAI_NOTE,
  }),
  entry({
    model: 'gpt-4.1-nano',
    provider: 'openai',
    prices: { inputPerMTok: 0.1, cachedInputPerMTok: 0.025, outputPerMTok: 0.4 },
    aliases: ['gpt-4.1-nano-2025-04-14'],
    source: OPENAI,
    asOf: '2025-06-03',
    verification: 'secondary',
    note: OPENAI_NOTE,
  }),
  entry({
    model: 'o3',
    provider: 'openai',
    prices: { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 },
    aliases: ['o3-2025-04-16'],
    source: OPENAI,
    asOf: '2025-06-03',
    verification: 'secondary',
    note: `${OPENAI_NOTE} Reasoning tokens bill as output. Older copies show o3's launch price ($10 / $40).`,
  }),
  entry({
    model: 'o3-mini',
    provider: 'openai',
    prices: { inputPerMTok: 1.1, cachedInputPerMTok: 0.55, outputPerMTok: 4.4 },
    aliases: ['o3-mini-2025-01-31'],
    source: OPENAI,
    asOf: '2025-06-03',
    verification: 'secondary',
    note: `${OPENAI_NOTE} Reasoning tokens bill as output.`,
  }),
  entry({
    model: 'o4-mini',
    provider: 'openai',
    prices: { inputPerMTok: 1.1, cachedInputPerMTok: 0.275, outputPerMTok: 4.4 },
    aliases: ['o4-mini-2025-04-16'],
    source: OPENAI,
    asOf: '2025-06-03',
    verification: 'secondary',
    note: `${OPENAI_NOTE} Reasoning tokens bill as output.`,
  }),
  entry({
    model: 'gpt-5',
    provider: 'openai',
    prices: { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
    aliases: ['gpt-5-2025-08-07', 'gpt-5-chat-latest'],
    source: OPENAI,
    asOf: '2025-08-07',
    verification: 'secondary',
    note: `${OPENAI_NOTE} GPT-5 family added to that transcription at launch (2025-08-07).`,
  }),
  entry({
    model: 'gpt-5-mini',
    provider: 'openai',
    prices: { inputPerMTok: 0.25, cachedInputPerMTok: 0.025, outputPerMTok: 2 },
    aliases: ['gpt-5-mini-2025-08-07'],
    source: OPENAI,
    asOf: '2025-08-07',
    verification: 'secondary',
    note: OPENAI_NOTE,
  }),
  entry({
    model: 'gpt-5-nano',
    provider: 'openai',
    prices: { inputPerMTok: 0.05, cachedInputPerMTok: 0.005, outputPerMTok: 0.4 },
    aliases: ['gpt-5-nano-2025-08-07'],
    source: OPENAI,
    asOf: '2025-08-07',
    verification: 'secondary',
    note: OPENAI_NOTE,
  }),
  entry({
    model: 'text-embedding-3-small',
    provider: 'openai',
    prices: { inputPerMTok: 0.02, outputPerMTok: 0 },
    source: 'https://platform.openai.com/docs/pricing#embeddings',
    asOf: '2026-06-21',
    verification: 'secondary',
    note: 'Quoted as verified against OpenAI embedding pricing on 2026-06-21 (tokenmath.io) and by other tables.',
  }),
  entry({
    model: 'text-embedding-3-large',
    provider: 'openai',
    prices: { inputPerMTok: 0.13, outputPerMTok: 0 },
    source: 'https://platform.openai.com/docs/pricing#embeddings',
    asOf: '2026-06-21',
    verification: 'secondary',
    note: 'Undated third-party tables citing developers.openai.com/api/docs/pricing; all agree on $0.13.',
  }),

  // Anthropic (input / 5-minute cache write / cache hit / output)
  entry({
    model: 'claude-opus-4-6',
    provider: 'anthropic',
    prices: { inputPerMTok: 5, cacheWritePerMTok: 6.25, cachedInputPerMTok: 0.5, outputPerMTok: 25 },
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: ANTHROPIC_NOTE,
  }),
  entry({
    model: 'claude-opus-4-5',
    provider: 'anthropic',
    prices: { inputPerMTok: 5, cacheWritePerMTok: 6.25, cachedInputPerMTok: 0.5, outputPerMTok: 25 },
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: ANTHROPIC_NOTE,
  }),
  entry({
    model: 'claude-opus-4-1',
    provider: 'anthropic',
    prices: { inputPerMTok: 15, cacheWritePerMTok: 18.75, cachedInputPerMTok: 1.5, outputPerMTok: 75 },
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: ANTHROPIC_NOTE,
  }),
  entry({
    model: 'claude-opus-4',
    provider: 'anthropic',
    prices: { inputPerMTok: 15, cacheWritePerMTok: 18.75, cachedInputPerMTok: 1.5, outputPerMTok: 75 },
    aliases: ['claude-opus-4-0'],
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: ANTHROPIC_NOTE,
  }),
  entry({
    model: 'claude-sonnet-4-6',
    provider: 'anthropic',
    prices: { inputPerMTok: 3, cacheWritePerMTok: 3.75, cachedInputPerMTok: 0.3, outputPerMTok: 15 },
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: ANTHROPIC_NOTE,
  }),
  entry({
    model: 'claude-sonnet-4-5',
    provider: 'anthropic',
    prices: { inputPerMTok: 3, cacheWritePerMTok: 3.75, cachedInputPerMTok: 0.3, outputPerMTok: 15 },
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: `${ANTHROPIC_NOTE} Prompts over 200K tokens (1M-context beta) bill $6 / $22.50, not modelled.`,
  }),
  entry({
    model: 'claude-sonnet-4',
    provider: 'anthropic',
    prices: { inputPerMTok: 3, cacheWritePerMTok: 3.75, cachedInputPerMTok: 0.3, outputPerMTok: 15 },
    aliases: ['claude-sonnet-4-0'],
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: `${ANTHROPIC_NOTE} Prompts over 200K tokens (1M-context beta) bill $6 / $22.50, not modelled.`,
  }),
  entry({
    model: 'claude-3-7-sonnet',
    provider: 'anthropic',
    prices: { inputPerMTok: 3, cacheWritePerMTok: 3.75, cachedInputPerMTok: 0.3, outputPerMTok: 15 },
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: `${ANTHROPIC_NOTE} Listed as deprecated.`,
  }),
  entry({
    model: 'claude-3-5-sonnet',
    provider: 'anthropic',
    prices: { inputPerMTok: 3, cacheWritePerMTok: 3.75, cachedInputPerMTok: 0.3, outputPerMTok: 15 },
    source: 'https://docs.anthropic.com/en/docs/about-claude/pricing',
    asOf: '2025-08-05',
    verification: 'official',
    note:
      "Official table of the Claude Opus 4.1 era (Opus 4.1 released 2025-08-05), 'Claude Sonnet 3.5 (deprecated)'; " +
      'gone from later snapshots. cacheWrite is the 5-minute write.',
  }),
  entry({
    model: 'claude-haiku-4-5',
    provider: 'anthropic',
    prices: { inputPerMTok: 1, cacheWritePerMTok: 1.25, cachedInputPerMTok: 0.1, outputPerMTok: 5 },
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: ANTHROPIC_NOTE,
  }),
  entry({
    model: 'claude-3-5-haiku',
    provider: 'anthropic',
    prices: { inputPerMTok: 0.8, cacheWritePerMTok: 1, cachedInputPerMTok: 0.08, outputPerMTok: 4 },
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: `${ANTHROPIC_NOTE} Listed as 'Claude Haiku 3.5'.`,
  }),
  entry({
    model: 'claude-3-haiku',
    provider: 'anthropic',
    prices: { inputPerMTok: 0.25, cacheWritePerMTok: 0.3, cachedInputPerMTok: 0.03, outputPerMTok: 1.25 },
    source: ANTHROPIC,
    asOf: '2026-11-25',
    verification: 'official',
    note: `${ANTHROPIC_NOTE} Listed as 'Claude Haiku 3'.`,
  }),

  // Google Gemini (paid tier, text / image / video input)
  entry({
    model: 'gemini-2.5-pro',
    provider: 'google',
    prices: { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
    source: GEMINI,
    asOf: '2025-10-15',
    verification: 'official',
    note: `${GEMINI_NOTE} Prices for prompts <= 200K tokens; longer prompts bill $2.50 / $0.25 / $15, not modelled.`,
  }),
  entry({
    model: 'gemini-2.5-flash',
    provider: 'google',
    prices: { inputPerMTok: 0.3, cachedInputPerMTok: 0.03, outputPerMTok: 2.5 },
    aliases: ['gemini-2.5-flash-preview-09-2025'],
    source: GEMINI,
    asOf: '2025-10-15',
    verification: 'official',
    note: `${GEMINI_NOTE} Audio input bills $1.00 (cached $0.10), not modelled.`,
  }),
  entry({
    model: 'gemini-2.5-flash-lite',
    provider: 'google',
    prices: { inputPerMTok: 0.1, cachedInputPerMTok: 0.01, outputPerMTok: 0.4 },
    aliases: ['gemini-2.5-flash-lite-preview-09-2025'],
    source: GEMINI,
    asOf: '2025-10-15',
    verification: 'official',
    note: `${GEMINI_NOTE} Audio input bills $0.30 (cached $0.03), not modelled.`,
  }),
  entry({
    model: 'gemini-2.0-flash',
    provider: 'google',
    prices: { inputPerMTok: 0.1, cachedInputPerMTok: 0.025, outputPerMTok: 0.4 },
    aliases: ['gemini-2.0-flash-001'],
    source: GEMINI,
    asOf: '2025-10-15',
    verification: 'official',
    note: `${GEMINI_NOTE} Audio input bills $0.70 (cached $0.175), not modelled.`,
  }),

  // Open-weight models: there is no maker's price, only hosts' prices.
  entry({
    model: 'llama-3.3-70b-versatile',
    provider: 'groq',
    prices: { inputPerMTok: 0.59, outputPerMTok: 0.79 },
    aliases: ['llama-3.3-70b', 'llama-3.3-70b-instruct'],
    source: GROQ,
    asOf: '2026-07-27',
    verification: 'secondary',
    note: GROQ_NOTE,
  }),
  entry({
    model: 'llama-3.1-8b-instant',
    provider: 'groq',
    prices: { inputPerMTok: 0.05, outputPerMTok: 0.08 },
    aliases: ['llama-3.1-8b', 'llama-3.1-8b-instruct'],
    source: GROQ,
    asOf: '2026-07-27',
    verification: 'secondary',
    note: GROQ_NOTE,
  }),
  entry({
    model: 'qwen3-32b',
    provider: 'groq',
    prices: { inputPerMTok: 0.29, outputPerMTok: 0.59 },
    source: 'unconfirmed',
    asOf: '2026-11-25',
    verification: 'unconfirmed',
    note: "Figure from an undated public copy of Groq's price list ('Qwen3 32B 131k'); not found on a dated Groq page.",
  }),
  entry({
    model: 'mistral-large-latest',
    provider: 'mistral',
    prices: { inputPerMTok: 2, outputPerMTok: 6 },
    aliases: ['mistral-large-2411', 'mistral-large-2407', 'mistral-large'],
    source: 'unconfirmed',
    asOf: '2026-11-25',
    verification: 'unconfirmed',
    note: "Mistral Large 2 price as repeated by third-party guides; Mistral's own pricing page was not in the corpus.",
  }),
  entry({
    model: 'mistral-small-latest',
    provider: 'mistral',
    prices: { inputPerMTok: 0.1, outputPerMTok: 0.3 },
    aliases: ['mistral-small'],
    source: 'unconfirmed',
    asOf: '2026-11-25',
    verification: 'unconfirmed',
    note: 'Third-party guides disagree ($0.10 / $0.30 for Small 3, $0.15 / $0.60 for a later Small); not confirmed.',
  }),
  entry({
    model: 'open-mixtral-8x7b',
    provider: 'mistral',
    prices: { inputPerMTok: 0.7, outputPerMTok: 0.7 },
    aliases: ['mixtral-8x7b', 'mixtral-8x7b-instruct'],
    source: 'unconfirmed',
    asOf: '2026-11-25',
    verification: 'unconfirmed',
    note: "Mistral's historic API price, repeated by several public price tables; the model is legacy on Mistral's API.",
  }),
]);
