import { describe, expect, it } from 'vitest';
import type { Message, ToolDefinition } from '../core/chat.js';
import {
  countTextTokens,
  countTextTokensAsync,
  estimateChatInputTokens,
  estimateUsage,
  isTokenizerWarm,
  tokenizerFor,
  warmTokenizer,
  worstCaseInputTokens,
} from './tokenizer.js';

const text = (t: string) => [{ type: 'text' as const, text: t }];

// The OpenAI cookbook's example conversation ("How to count tokens with tiktoken", section 6),
// whose prompt_tokens the notebook checked against the API: 124 on gpt-4o / gpt-4o-mini, 129 on
// gpt-4. The named example turns are system messages there; roles are one token either way.
const JARGON: Message[] = [
  {
    role: 'system',
    content: text(
      'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.',
    ),
  },
  { role: 'user', name: 'example_user', content: text('New synergies will help drive top-line growth.') },
  {
    role: 'user',
    name: 'example_assistant',
    content: text('Things working well together will increase revenue.'),
  },
  {
    role: 'user',
    name: 'example_user',
    content: text(
      "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
    ),
  },
  {
    role: 'user',
    name: 'example_assistant',
    content: text("Let's talk later when we're less busy about how to do better."),
  },
  {
    role: 'user',
    content: text("This late pivot means we don't have time to boil the ocean for the client deliverable."),
  },
];

// Section 7 of the same notebook: 101 prompt tokens on gpt-4o / gpt-4o-mini, 105 on gpt-4.
const WEATHER_MESSAGES: Message[] = [
  {
    role: 'system',
    content: text('You are a helpful assistant that can answer to questions about the weather.'),
  },
  { role: 'user', content: text("What's the weather like in San Francisco?") },
];
const WEATHER_TOOLS: ToolDefinition[] = [
  {
    name: 'get_current_weather',
    description: 'Get the current weather in a given location',
    parameters: {
      type: 'object',
      properties: {
        location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
        unit: {
          type: 'string',
          description: 'The unit of temperature to return',
          enum: ['celsius', 'fahrenheit'],
        },
      },
      required: ['location'],
    },
  },
];

describe('before warm-up', () => {
  it('has not loaded any encoding on import, and estimates from bytes', () => {
    expect(isTokenizerWarm('o200k_base')).toBe(false);
    expect(isTokenizerWarm('cl100k_base')).toBe(false);
    // 44 bytes / 4, rounded up, while the encoding loads in the background.
    expect(countTextTokens('The quick brown fox jumps over the lazy dog.', 'gpt-4o')).toBe(11);
  });
});

describe('after warm-up', () => {
  it('counts exactly with the model’s encoding (cookbook examples)', async () => {
    await warmTokenizer();
    expect(isTokenizerWarm('o200k_base')).toBe(true);
    // Section 5 of the cookbook lists these counts per encoding.
    expect(countTextTokens('antidisestablishmentarianism', 'gpt-4o')).toBe(6);
    expect(countTextTokens('2 + 2 = 4', 'gpt-4o-mini')).toBe(7);
    expect(countTextTokens('お誕生日おめでとう', 'gpt-4.1')).toBe(8); // o200k_base
    expect(countTextTokens('お誕生日おめでとう', 'gpt-4')).toBe(9); // cl100k_base
    expect(countTextTokens('', 'gpt-4o')).toBe(0);
  });

  it('counts special-token lookalikes in user text as text instead of throwing', async () => {
    await warmTokenizer();
    expect(countTextTokens('a <|endoftext|> b', 'gpt-4o')).toBeGreaterThan(3);
  });

  it('matches the API-verified chat counts of the cookbook', async () => {
    await warmTokenizer();
    expect(estimateChatInputTokens(JARGON, undefined, 'gpt-4o')).toBe(124);
    expect(estimateChatInputTokens(JARGON, undefined, 'gpt-4o-mini-2024-07-18')).toBe(124);
    expect(estimateChatInputTokens(JARGON, undefined, 'gpt-4-0613')).toBe(129);
  });

  it('matches the API-verified tool-call counts of the cookbook', async () => {
    await warmTokenizer();
    expect(estimateChatInputTokens(WEATHER_MESSAGES, WEATHER_TOOLS, 'gpt-4o')).toBe(101);
    expect(estimateChatInputTokens(WEATHER_MESSAGES, WEATHER_TOOLS, 'gpt-4o-mini')).toBe(101);
    expect(estimateChatInputTokens(WEATHER_MESSAGES, WEATHER_TOOLS, 'gpt-4')).toBe(105);
  });

  it('scales other families by their factor', async () => {
    await warmTokenizer();
    const sample = 'Summarise the following paragraph in two sentences, keeping every number.';
    const openai = countTextTokens(sample, 'gpt-4o');
    expect(countTextTokens(sample, 'claude-3-5-sonnet-20241022')).toBe(Math.ceil(openai * 1.2));
    expect(countTextTokens(sample, 'gemini-2.5-flash')).toBe(openai);
    expect(estimateChatInputTokens(JARGON, undefined, 'claude-sonnet-4')).toBe(Math.ceil(124 * 1.2));
  });

  it('counts asynchronously with the same result', async () => {
    expect(await countTextTokensAsync('antidisestablishmentarianism', 'o3-mini')).toBe(6);
  });
});

describe('tokenizerFor', () => {
  it.each([
    ['gpt-4o', 'o200k_base', true, 'openai'],
    ['openai/gpt-4.1-mini', 'o200k_base', true, 'openai'],
    ['o4-mini', 'o200k_base', true, 'openai'],
    ['gpt-5-nano', 'o200k_base', true, 'openai'],
    ['gpt-4-turbo', 'cl100k_base', true, 'openai'],
    ['gpt-3.5-turbo', 'cl100k_base', true, 'openai'],
    ['text-embedding-3-small', 'cl100k_base', true, 'openai'],
    ['claude-3-5-haiku-20241022', 'o200k_base', false, 'claude'],
    ['gemini-2.5-pro', 'o200k_base', false, 'gemini'],
    ['meta-llama/Llama-3.3-70B-Instruct', 'o200k_base', false, 'llama'],
    ['open-mixtral-8x7b', 'o200k_base', false, 'mistral'],
    ['qwen3-32b', 'o200k_base', false, 'qwen'],
    ['some-new-model', 'o200k_base', false, 'unknown'],
  ])('%s → %s', (model, encoding, exact, family) => {
    const choice = tokenizerFor(model);
    expect(choice.encoding).toBe(encoding);
    expect(choice.exact).toBe(exact);
    expect(choice.family).toBe(family);
  });

  it('marks every non-Claude family factor as uncalibrated', () => {
    expect(tokenizerFor('claude-sonnet-4').calibrated).toBe(true);
    expect(tokenizerFor('gemini-2.5-flash').calibrated).toBe(false);
    expect(tokenizerFor('llama-3.1-8b-instant').calibrated).toBe(false);
  });
});

describe('estimateUsage', () => {
  it('estimates both sides and marks the usage as estimated', async () => {
    await warmTokenizer();
    const usage = estimateUsage({
      request: { messages: WEATHER_MESSAGES, tools: WEATHER_TOOLS },
      outputText: 'antidisestablishmentarianism',
      model: 'gpt-4o',
    });
    expect(usage).toEqual({ inputTokens: 101, outputTokens: 6, estimated: true });
  });

  it('counts reasoning text as output and as reasoning', async () => {
    await warmTokenizer();
    const usage = estimateUsage({
      request: { messages: WEATHER_MESSAGES },
      outputText: '2 + 2 = 4',
      reasoningText: 'antidisestablishmentarianism',
      model: 'o3',
    });
    expect(usage.outputTokens).toBe(13);
    expect(usage.reasoningTokens).toBe(6);
    expect(usage.estimated).toBe(true);
  });
});

describe('worstCaseInputTokens', () => {
  const samples = [
    'The quick brown fox jumps over the lazy dog.',
    '2 + 2 = 4; 3 * 7 = 21; 1 2 3 4 5 6 7 8 9 0',
    'お誕生日おめでとう、世界！',
    'Emoji 🦊🦊🦊 and accents: café, naïve, Ærøskøbing',
    'def f(x):\n    return {k: v for k, v in x.items() if v is not None}\n',
    '                                        spaces',
    'a'.repeat(1_000),
    'dGhpcyBpcyBiYXNlNjQgZGF0YSB0aGF0IGlzIGhhcmQgdG8gdG9rZW5pemU=',
  ];

  it('is never below the exact count, for any of the samples', async () => {
    await warmTokenizer();
    for (const sample of samples) {
      const request = { messages: [{ role: 'user' as const, content: text(sample) }] };
      for (const model of ['gpt-4o', 'gpt-4', 'claude-sonnet-4', 'gemini-2.5-flash']) {
        expect(worstCaseInputTokens(request), `${model}: ${sample}`).toBeGreaterThanOrEqual(
          estimateChatInputTokens(request.messages, undefined, model),
        );
      }
    }
  });

  it('bounds requests with tools, names and images', async () => {
    await warmTokenizer();
    const request = { messages: JARGON, tools: WEATHER_TOOLS };
    expect(worstCaseInputTokens(request)).toBeGreaterThanOrEqual(
      estimateChatInputTokens(JARGON, WEATHER_TOOLS, 'claude-opus-4-1'),
    );
    const withImage = {
      messages: [
        { role: 'user' as const, content: [{ type: 'image' as const, url: 'https://example.com/a.png' }] },
      ],
    };
    expect(worstCaseInputTokens(withImage)).toBeGreaterThanOrEqual(
      estimateChatInputTokens(withImage.messages, undefined, 'gpt-4o'),
    );
  });

  it('is the UTF-8 byte length plus framing', () => {
    const request = { messages: [{ role: 'user' as const, content: text('héllo') }] };
    // 6 bytes ("é" is two) + 8 per message + 8 for the reply.
    expect(worstCaseInputTokens(request)).toBe(6 + 8 + 8);
  });
});
