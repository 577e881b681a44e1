import { describe, expect, it } from 'vitest';
import {
  agreement,
  judgePrompt,
  majorityVote,
  normaliseAnswer,
  parseJudgeScore,
  validateJsonSchema,
} from './index.js';

describe('agreement', () => {
  it.each([
    ['4', '4', 1],
    ['4', 'The answer is 4.', 1],
    ['4', '4.0', 1],
    ['1,000', '1000', 1],
    ['4', '5', 0],
    ['B', '(b)', 1],
    ['B', 'b) Paris', 1],
    ['Answer: C', 'c', 1],
    ['B', 'C', 0],
    ['Positive', 'positive.', 1],
    ['positive', 'negative', 0],
    ['{"a":1,"b":[1,2]}', '{ "b": [1, 2], "a": 1 }', 1],
    ['{"a":1}', '{"a":2}', 0],
    ['', '', 1],
    ['', 'something', 0],
  ])('%j vs %j → %s', (a, b, expected) => {
    expect(agreement(a, b)).toBe(expected);
  });

  it('compares prose by word overlap', () => {
    const a = 'The mitochondria is the powerhouse of the cell and produces most of its energy.';
    const b = 'Mitochondria produce most of the energy of the cell; they are its powerhouse.';
    const c = 'Photosynthesis happens in the chloroplasts of plant leaves using sunlight.';
    expect(agreement(a, b)).toBeGreaterThan(0.5);
    expect(agreement(a, c)).toBeLessThan(0.3);
    expect(agreement(a, b)).toBe(agreement(b, a));
  });

  it('normalises case, markup, prefixes and trailing punctuation', () => {
    expect(normaliseAnswer('  **The answer is Paris.**  ')).toBe('paris');
    expect(normaliseAnswer('Final answer: 42!')).toBe('42');
  });
});

describe('majorityVote', () => {
  it.each([
    { answers: ['A', 'B', 'a'], winner: 0, votes: 2 },
    { answers: ['4', 'The answer is 5', '5'], winner: 1, votes: 2 },
    { answers: ['x', 'y', 'z'], winner: 0, votes: 1 },
    { answers: ['{"label":"spam"}', '{"label":"ham"}', '{ "label": "spam" }'], winner: 0, votes: 2 },
    { answers: [], winner: -1, votes: 0 },
  ])('$answers → answer $winner with $votes votes', ({ answers, winner, votes }) => {
    expect(majorityVote(answers)).toEqual({ winner, votes });
  });
});

describe('judge', () => {
  it('asks a judge to rate the answer to the last user message, 0 to 10', () => {
    const prompt = judgePrompt(
      {
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Answer in French.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Capital of France?' }] },
        ],
        stream: true,
      },
      'Paris',
    );
    expect(prompt).toMatchObject({ model: 'gpt-4o', stream: false, maxTokens: 5, temperature: 0 });
    const user = prompt.messages[1];
    const text = user?.role === 'user' && user.content[0]?.type === 'text' ? user.content[0].text : '';
    expect(text).toContain('Capital of France?');
    expect(text).toContain('Paris');
    expect(text).toContain('Answer in French.');
    expect(prompt.messages[0]?.role).toBe('system');
  });

  it.each([
    ['8', 0.8],
    ['8/10', 0.8],
    ['Rating: 7', 0.7],
    ['**9**', 0.9],
    ['7.5 out of 10', 0.75],
    ['85/100', 0.85],
    ['85%', 0.85],
    ['0', 0],
    ['I cannot rate this', undefined],
    ['150', undefined],
  ])('reads %j as %s', (text, score) => {
    expect(parseJudgeScore(text)).toBe(score);
  });
});

describe('validateJsonSchema', () => {
  const schema = {
    type: 'object',
    required: ['id', 'items'],
    properties: {
      id: { type: 'integer' },
      status: { enum: ['open', 'closed'] },
      items: {
        type: 'array',
        minItems: 1,
        items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string', minLength: 3 } } },
      },
      note: { type: ['string', 'null'] },
      kind: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    },
  };
  it.each([
    { value: { id: 1, items: [{ sku: 'abc' }] }, problems: [] },
    { value: { id: 1, items: [{ sku: 'abc' }], note: null, status: 'open', kind: 3 }, problems: [] },
    { value: { id: 1.5, items: [{ sku: 'abc' }] }, problems: ['/id expected integer, got number'] },
    { value: { items: [] }, problems: ['/id required property missing', '/items too few items'] },
    { value: { id: 1, items: [{ sku: 'ab' }] }, problems: ['/items/0/sku too short'] },
    { value: { id: 1, items: [{}] }, problems: ['/items/0/sku required property missing'] },
    {
      value: { id: 1, items: [{ sku: 'abc' }], status: 'lost' },
      problems: ['/status not one of the allowed values'],
    },
    { value: { id: 1, items: [{ sku: 'abc' }], kind: true }, problems: ['/kind matches none of anyOf'] },
    { value: [1], problems: ['/ expected object, got array'] },
  ])('$value', ({ value, problems }) => {
    expect(validateJsonSchema(schema, value).map((p) => `${p.path} ${p.message}`)).toEqual(problems);
  });
  it('ignores what it does not check rather than failing it', () => {
    expect(validateJsonSchema({ $ref: '#/x', format: 'email' }, 'anything')).toEqual([]);
    expect(validateJsonSchema(undefined, 3)).toEqual([]);
  });
});
