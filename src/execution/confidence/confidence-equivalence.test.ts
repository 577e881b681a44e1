/**
 * `scoreConfidence` must give exactly what the plain scorers gave — the same score and the same
 * contributions, notes included — on every answer: the fast paths (one fold shared by the refusal
 * and hedging scorers, one combined pattern per phrase list, counted rather than split words) are
 * an optimisation only. Compared over hand-picked edge cases and a seeded generated corpus with
 * digests of what the plain scorers gave for the same inputs (__fixtures__/confidence-digests.json,
 * recorded from that implementation before the fast paths replaced it). A deliberate change of
 * any score or note changes a digest: record the new ones from the new outputs then. The
 * score-only `confidenceScore` is held to the same number as `scoreConfidence` on every input.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ChatRequest, ChatResult, ContentPart, LogprobToken, ResponseFormat } from '../../core/chat.js';
import { finishReason, type UnifiedFinishReason } from '../../core/finish-reason.js';
import { type AnswerOptions, answerResult } from './__fixtures__/answers.js';
import { type ConfidenceInput, type ConfidenceOptions, confidenceScore, scoreConfidence } from './index.js';
import { HEDGES, REFUSAL_PHRASES } from './scorers.js';

const HEDGE_PHRASES = HEDGES.map(([phrase]) => phrase);
const WEAK = ['might', 'maybe', 'perhaps', 'possibly', 'probably', 'uncertain', 'unsure'];

/** Characters that lower-case or fold unusually, or that sit at \b and \s boundaries. */
const ODD = [
  '\u0130', // İ: lower-cases to two code units, "i\u0307"
  '\u212A', // Kelvin sign: lower-cases to ASCII "k"
  '\u03A3', // Σ: lower-cases to σ or final ς depending on what follows
  '\u2019', // typographic apostrophe, folded to '
  '\u00A0',
  '\u1680',
  '\u2003',
  '\u2028',
  '\u202F',
  '\u3000',
  '\uFEFF',
  '\u180E', // no longer whitespace
  '\u200B', // zero-width space: not whitespace
  '\t',
  '\n',
  '\r\n',
  '\v',
  '\f',
  '_',
  '7',
  'é',
  'ß',
  '\u{1F600}', // a surrogate pair
  '\u{10400}', // Deseret capital: a surrogate pair that lower-cases to another
  '\uD83D', // a lone surrogate
];

const FILLER =
  'Paris is the capital and most populous city of France. It has been a major centre of finance, diplomacy, commerce, fashion and science for centuries. ';

const SCHEMA: ResponseFormat = {
  type: 'json_schema',
  jsonSchema: {
    name: 'city',
    schema: {
      type: 'object',
      required: ['city'],
      properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 0 } },
      additionalProperties: false,
    },
  },
};

function request(extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'm',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }],
    stream: false,
    ...extra,
  };
}

/** The outputs of the current test, in order, as exact text (undefined, NaN and -0 kept apart). */
let outputs: string[] = [];
/**
 * What the plain scorers (before the fast paths) gave for each test's inputs: how many outputs
 * and the SHA-256 of their text, recorded from that implementation run over these same inputs.
 */
const recorded = JSON.parse(
  readFileSync(new URL('./__fixtures__/confidence-digests.json', import.meta.url), 'utf8'),
) as Record<string, { count: number; digest: string }>;

function expectSame(input: ConfidenceInput, options?: ConfidenceOptions): void {
  const confidence = scoreConfidence(input, options);
  outputs.push(inspect(confidence, { depth: null, breakLength: Number.POSITIVE_INFINITY }));
  // The score-only form the executor uses must be the very same number.
  expect(Object.is(confidenceScore(input, options), confidence.score)).toBe(true);
}

/** Every output of the test so far, against the digest recorded from the plain scorers. */
function expectRecorded(name: string): void {
  const digest = createHash('sha256').update(outputs.join('\n')).digest('hex');
  const got = { count: outputs.length, digest };
  outputs = [];
  expect(got, name).toEqual(recorded[name]);
}

/** Upper-cases, title-cases or keeps a phrase, and may type its apostrophe typographically. */
function variants(phrase: string): string[] {
  const title = phrase.replace(/(^|\s)\S/g, (c) => c.toUpperCase());
  return [phrase, phrase.toUpperCase(), title, phrase.replace(/'/g, '\u2019'), title.replace(/'/g, '\u2019')];
}

describe('scoreConfidence gives what the plain scorers gave', () => {
  it('relies on no hedge phrase beginning another (one found per index)', () => {
    for (const a of HEDGE_PHRASES)
      for (const b of HEDGE_PHRASES) if (a !== b) expect(b.startsWith(a), `${a} / ${b}`).toBe(false);
  });

  it('relies on U+0130 being the only character that lower-cases to another length', () => {
    const changing: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      if (c.toLowerCase().length !== c.length) changing.push(cp);
    }
    expect(changing).toEqual([0x130]);
  });

  it('on hand-picked answers', () => {
    const texts: string[] = [
      '',
      ' ',
      '   \n ',
      '\u00A0\u3000',
      '2 + 2 = 4.',
      '4',
      FILLER,
      FILLER.repeat(8),
      "I'm not entirely sure, but I think it is Paris. I could be wrong, though.",
      "I'm sorry, but I can't help with that.",
      'As an AI, I do not have opinions about that.',
      `As an AI, I don't have personal preferences, but here is a comparison. ${FILLER.repeat(5)}`,
      'It might be Paris, maybe Lyon, perhaps Marseille; probably Paris, possibly not. I am unsure and uncertain.',
      'mighty maybes perhapsy might_ 7might might7 _maybe éperhaps perhapsé',
      'It MIGHT be. Perhaps.\u00A0Maybe\u3000probably\u2028possibly',
      `${'word '.repeat(10)}might`,
      `${'word '.repeat(30)}might`,
      `  leading and trailing whitespace might   \n`,
      'I\u2019m sorry, but I can\u2019t do that.',
      'I\u2019M NOT SURE.',
      'AS AN A\u0130, here you go.',
      'As an a\u0130',
      'i THIN\u212A so',
      'I thin\u212A so',
      '\u0130 think so',
      '\u03A3 I think \u03A3',
      'I\u0130 think',
      '{"a":1}',
      '```json\n{"a":1}\n```',
    ];
    // A refusal phrase at and across the 240-character head, in answers either side of 300 characters.
    for (const phrase of ["i can't help with", 'as an ai', 'against my guidelines']) {
      for (const at of [0, 200, 225, 230, 235, 238, 239, 240, 241]) {
        for (const total of [260, 299, 300, 301, 600]) {
          const before = 'x'.repeat(at);
          const body = `${before}${phrase}`;
          texts.push(body + 'y'.repeat(Math.max(0, total - body.length)));
        }
      }
      // İ (two code units once lower-cased) and surrogate pairs before or across the head's end.
      texts.push(`\u0130${'x'.repeat(220)}${phrase}${FILLER}`);
      texts.push(`${'x'.repeat(226)}\u0130${phrase}${FILLER}`);
      texts.push(`${'x'.repeat(239)}\u{10400}${phrase}${FILLER}`);
      texts.push(`${'x'.repeat(239 - phrase.length)}${phrase}\u{10400}${FILLER}`);
      texts.push(`${'x'.repeat(238 - phrase.length)}${phrase}\u{10400}${FILLER}`);
      texts.push(`${'\u212A'.repeat(100)}${phrase}${'\u03A3'.repeat(200)}`);
      // With İ in front, the folded text is one longer: a phrase ending at the head's edge moves across it.
      for (const end of [237, 238, 239, 240, 241]) {
        texts.push(`\u0130${'x'.repeat(end - phrase.length)}${phrase}${FILLER}`);
      }
    }
    // Hedges that overlap one another ("…certai|n|ot entirely sure"): both count.
    for (const a of HEDGE_PHRASES) {
      for (const b of HEDGE_PHRASES) {
        for (let k = 1; k < Math.min(a.length, b.length); k++) {
          if (a.endsWith(b.slice(0, k))) texts.push(`${a}${b.slice(k)}`, `${FILLER}${a}${b.slice(k)}.`);
        }
      }
    }
    for (const phrase of [...REFUSAL_PHRASES, ...HEDGE_PHRASES, ...WEAK]) {
      for (const v of variants(phrase)) {
        texts.push(v, `${v}.`, `Well, ${v} — the answer is 4.`, `${FILLER.repeat(3)}${v} ${FILLER}`);
      }
    }
    for (const odd of ODD) texts.push(`${odd}I think${odd}it might${odd}be${odd}`, `might${odd}maybe`, odd);

    for (const text of texts) {
      expectSame({ request: request(), result: answerResult(text) });
      expectSame({
        request: request({ responseFormat: { type: 'json_object' } }),
        result: answerResult(text),
      });
    }
    expectRecorded('hand-picked');
  });

  it('on refusal fields, finish reasons, logprobs, JSON, tool calls, peers and judges', () => {
    const lp = (values: number[]): LogprobToken[] =>
      values.map((logprob, i) => ({ token: `t${i}`, logprob }));
    const tools = [
      {
        name: 'lookup',
        parameters: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } },
      },
    ];
    const cases: { text: string; options?: AnswerOptions; request?: Partial<ChatRequest> }[] = [
      { text: '', options: { refusal: 'I cannot assist with that request.' } },
      { text: 'Sure.', options: { refusal: '' } },
      { text: '', options: { refusal: '' } },
      { text: FILLER, options: { finish: 'length' } },
      { text: FILLER, options: { finish: 'length' }, request: { maxTokens: 20 } },
      { text: '', options: { finish: 'content_filter' } },
      { text: 'partial', options: { finish: 'error' } },
      { text: 'x', options: { finish: 'other' } },
      { text: FILLER, options: { logprobs: lp([-0.05, -0.1, -0.2]) } },
      { text: FILLER, options: { logprobs: lp([Number.NaN, -1]) } },
      { text: FILLER, options: { logprobs: lp([Number.NEGATIVE_INFINITY]) } },
      { text: FILLER, options: { logprobs: [] } },
      { text: '{"city":"Paris","population":2}', request: { responseFormat: SCHEMA } },
      { text: '{"city":3,"mayor":1}', request: { responseFormat: SCHEMA } },
      { text: '```\n{"city":"Paris"}\n```', request: { responseFormat: SCHEMA } },
      { text: 'not json', request: { responseFormat: SCHEMA } },
      { text: '   ', request: { responseFormat: { type: 'json_object' } } },
      { text: 'plain', request: { responseFormat: { type: 'text' } } },
      { text: '', options: { toolCalls: [{ name: 'lookup', arguments: '{"q":"x"}' }] }, request: { tools } },
      { text: ' ', options: { toolCalls: [{ name: 'lookup', arguments: '{}' }] }, request: { tools } },
      { text: 'calling', options: { toolCalls: [{ name: 'nope', arguments: '' }] }, request: { tools } },
      { text: '', options: { toolCalls: [{ name: 'lookup', arguments: '{"q":' }] } },
      { text: '', options: { toolCalls: [] } },
    ];
    for (const c of cases) {
      const result = answerResult(c.text, c.options);
      expectSame({ request: request(c.request), result });
      for (const judge of [0, 0.2, 1, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expectSame({ request: request(c.request), result }, { judge });
      }
      expectSame({ request: request(c.request), result, peers: [answerResult('4'), answerResult(c.text)] });
      expectSame({ request: request(c.request), result, peers: [] });
    }
    expectRecorded('fields');
  });

  it('on answers without a choice or with several content parts', () => {
    const noChoice: ChatResult = { ...answerResult('x'), choices: [] };
    expectSame({ request: request(), result: noChoice });
    const parts: ContentPart[] = [
      { type: 'thinking', text: "I'm not sure, I think" },
      { type: 'text', text: "I'm sorry, " },
      { type: 'redacted_thinking', data: 'x' },
      { type: 'text', text: "but I can't help with that." },
    ];
    const multi = answerResult('');
    multi.choices[0]!.message.content = parts;
    expectSame({ request: request(), result: multi });
    expectRecorded('shapes');
  });

  it('on a seeded corpus of generated answers', () => {
    const random = mulberry32(20261125);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const words = [
      'the',
      'answer',
      'is',
      '4',
      'Paris',
      'France',
      'it',
      'I',
      'be',
      'not',
      'sure',
      'know',
      'wrong',
    ];
    const finishes: UnifiedFinishReason[] = [
      'stop',
      'stop',
      'stop',
      'length',
      'tool_calls',
      'content_filter',
    ];
    const separators = [' ', ' ', ' ', ' ', ', ', '. ', '\n', '  ', '\u00A0', '\t'];
    for (let n = 0; n < 4000; n++) {
      const target =
        pick([0, 5, 20, 60, 150, 235, 260, 299, 320, 700, 1100, 1600]) + Math.floor(random() * 40);
      let text = '';
      while (text.length < target) {
        const roll = random();
        let piece: string;
        if (roll < 0.03) piece = pick(variants(pick(REFUSAL_PHRASES)));
        else if (roll < 0.08) piece = pick(variants(pick(HEDGE_PHRASES)));
        else if (roll < 0.13) piece = pick(variants(pick(WEAK)));
        else if (roll < 0.17) piece = pick(ODD);
        else piece = pick(words);
        text += piece + pick(separators);
      }
      if (random() < 0.3) text = text.trimEnd();
      const result = answerResult(text, { finish: pick(finishes) });
      if (random() < 0.05) result.choices[0]!.finishReason = finishReason('stop', 'end_turn');
      const req = request(random() < 0.1 ? { responseFormat: { type: 'json_object' } } : {});
      expectSame({ request: req, result });
    }
    expectRecorded('corpus');
  });
});

/** A small seeded generator, so the corpus is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
