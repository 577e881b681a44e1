import { describe, expect, it } from 'vitest';
import {
  countPromptTokens,
  countTokens,
  REPLY_PRIMING_TOKENS,
  splitTokens,
  TOKENS_PER_MESSAGE,
} from './tokens.js';

describe('splitTokens / countTokens', () => {
  const samples = [
    '',
    'Hello',
    'Hello, world!',
    'What is 2+2?',
    '  leading and trailing  ',
    '   ',
    'supercalifragilistic',
    '{"city":"Paris","days":3}',
    "I'm sorry, but I can't help with that.",
    'naïve café – déjà vu\nnext line\t\ttab',
  ];

  it.each(samples)('joins back to the text and agrees with the count: %j', (text) => {
    const pieces = splitTokens(text);
    expect(pieces.join('')).toBe(text);
    expect(countTokens(text)).toBe(pieces.length);
  });

  it('cuts words at 8 characters and punctuation runs at 3', () => {
    expect(splitTokens('supercalifragilistic')).toEqual(['supercal', 'ifragili', 'stic']);
    expect(splitTokens('a...!!')).toEqual(['a', '...', '!!']);
    expect(splitTokens('Hello, world')).toEqual(['Hello', ',', ' world']);
  });

  it('counts nothing for an empty text', () => {
    expect(countTokens('')).toBe(0);
  });
});

describe('countPromptTokens', () => {
  it('adds framing per message and for the reply', () => {
    const messages = [{ text: 'You are terse.' }, { text: 'Hello there' }];
    expect(countPromptTokens(messages)).toBe(
      REPLY_PRIMING_TOKENS +
        2 * TOKENS_PER_MESSAGE +
        countTokens('You are terse.') +
        countTokens('Hello there'),
    );
  });

  it('counts tool definitions', () => {
    const tool = { name: 'get_weather', description: 'Weather now', parameters: { type: 'object' } };
    const without = countPromptTokens([{ text: 'hi' }]);
    const withTool = countPromptTokens([{ text: 'hi' }], [tool]);
    expect(withTool - without).toBe(
      countTokens('get_weather') + countTokens('Weather now') + countTokens('{"type":"object"}'),
    );
  });
});
