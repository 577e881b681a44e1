import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest, ChatResult, LogprobToken, ResponseFormat } from '../../core/chat.js';
import { type MockUpstream, startMockUpstream } from '../../mock-upstream/server.js';
import { createOpenAIAdapter } from '../../providers/openai/openai-adapter.js';
import type { UpstreamTarget } from '../../providers/spec.js';
import { answerResult } from './__fixtures__/answers.js';
import { describeConfidence, scoreConfidence } from './index.js';

function request(text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'm',
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    stream: false,
    ...extra,
  };
}

const NORMAL = 'Paris is the capital of France. It has been the seat of government since the tenth century.';
const logprobs = (values: number[]): LogprobToken[] =>
  values.map((logprob, i) => ({ token: `t${i}`, logprob }));

describe('scoreConfidence', () => {
  it.each([
    { name: 'a normal answer', answer: answerResult(NORMAL), min: 0.7, max: 1 },
    {
      name: 'a normal answer with confident logprobs',
      answer: answerResult(NORMAL, { logprobs: logprobs([-0.05, -0.1, -0.2]) }),
      min: 0.85,
      max: 1,
    },
    {
      name: 'a hedged answer',
      answer: answerResult("I'm not entirely sure, but I think it is Paris. I could be wrong, though."),
      min: 0.4,
      max: 0.55,
    },
    { name: 'a refusal', answer: answerResult("I'm sorry, but I can't help with that."), min: 0, max: 0.2 },
    {
      name: 'a refusal through the refusal field',
      answer: answerResult('', { refusal: 'I cannot assist with that request.' }),
      min: 0,
      max: 0.2,
    },
    {
      name: '"I cannot help"',
      answer: answerResult('I cannot help with creating malware.'),
      min: 0,
      max: 0.2,
    },
    {
      name: '"As an AI…"',
      answer: answerResult('As an AI, I do not have opinions about that.'),
      min: 0,
      max: 0.2,
    },
    { name: 'an empty answer', answer: answerResult(''), min: 0, max: 0.05 },
    { name: 'whitespace only', answer: answerResult('   \n '), min: 0, max: 0.05 },
    {
      name: 'an answer cut at the length limit',
      answer: answerResult(NORMAL, { finish: 'length' }),
      min: 0.3,
      max: 0.4,
    },
    {
      name: 'an answer the provider filtered',
      answer: answerResult('', { finish: 'content_filter' }),
      min: 0,
      max: 0.1,
    },
    {
      name: 'low logprobs',
      answer: answerResult(NORMAL, { logprobs: logprobs([-2, -2.5, -3]) }),
      min: 0.2,
      max: 0.45,
    },
    {
      name: 'one "might" in a long answer barely moves it',
      answer: answerResult(`${NORMAL} This might change. ${NORMAL} ${NORMAL}`),
      min: 0.7,
      max: 1,
    },
  ])('$name scores in [$min, $max]', ({ answer, min, max }) => {
    const confidence = scoreConfidence({
      request: request('What is the capital of France?'),
      result: answer,
    });
    expect(confidence.score, describeConfidence(confidence)).toBeGreaterThanOrEqual(min);
    expect(confidence.score, describeConfidence(confidence)).toBeLessThanOrEqual(max);
  });

  it('lists every scorer that ran, with its weight and what it saw', () => {
    const confidence = scoreConfidence({
      request: request('q'),
      result: answerResult("I'm not sure. It might be Paris.", { logprobs: logprobs([-1, -1]) }),
    });
    const by = Object.fromEntries(confidence.contributions.map((c) => [c.scorer, c]));
    expect(Object.keys(by)).toEqual(['prior', 'empty', 'refusal', 'hedging', 'truncated', 'logprob']);
    expect(by['hedging']).toMatchObject({ weight: 0, note: expect.stringContaining('"i\'m not sure"') });
    expect(by['hedging']?.note).toContain('1 weak hedge word');
    expect(by['logprob']).toMatchObject({
      score: 0.368,
      weight: 2,
      note: 'mean token logprob -1.000 over 2 tokens',
    });
    // Weighted mean of prior (0.85, w1) and logprob (0.368, w2), under the hedging cap.
    expect(confidence.score).toBeCloseTo((0.85 + 2 * 0.368) / 3, 2);
  });

  it('a cut the caller asked for (max_tokens) weighs less than an unasked one', () => {
    const asked = scoreConfidence({
      request: request('q', { maxTokens: 20 }),
      result: answerResult(NORMAL, { finish: 'length' }),
    });
    const unasked = scoreConfidence({
      request: request('q'),
      result: answerResult(NORMAL, { finish: 'length' }),
    });
    expect(asked.score).toBe(0.65);
    expect(unasked.score).toBe(0.4);
  });

  describe('JSON answers', () => {
    const schema: ResponseFormat = {
      type: 'json_schema',
      jsonSchema: {
        name: 'city',
        schema: {
          type: 'object',
          required: ['city', 'population'],
          properties: {
            city: { type: 'string' },
            population: { type: 'integer', minimum: 0 },
            tags: { type: 'array', items: { enum: ['capital', 'port'] } },
          },
          additionalProperties: false,
        },
      },
    };
    it.each([
      {
        name: 'valid JSON for json_object',
        format: { type: 'json_object' } as ResponseFormat,
        text: '{"a":1}',
        score: 0.925,
      },
      {
        name: 'JSON that does not parse',
        format: { type: 'json_object' } as ResponseFormat,
        text: '{"a":',
        score: 0.15,
      },
      {
        name: 'JSON that fits the schema',
        format: schema,
        text: '{"city":"Paris","population":2100000,"tags":["capital"]}',
        score: 0.925,
      },
      { name: 'a required property missing', format: schema, text: '{"city":"Paris"}', score: 0.35 },
      { name: 'a wrong type', format: schema, text: '{"city":"Paris","population":"lots"}', score: 0.35 },
      {
        name: 'an enum violated in an array item',
        format: schema,
        text: '{"city":"Paris","population":1,"tags":["river"]}',
        score: 0.35,
      },
      {
        name: 'an extra property',
        format: schema,
        text: '{"city":"Paris","population":1,"mayor":"x"}',
        score: 0.35,
      },
      {
        name: 'JSON in a code fence',
        format: { type: 'json_object' } as ResponseFormat,
        text: '```json\n{"a":1}\n```',
        score: 0.85,
      },
    ])('$name → $score', ({ format, text, score }) => {
      const confidence = scoreConfidence({
        request: request('q', { responseFormat: format }),
        result: answerResult(text),
      });
      expect(confidence.score, describeConfidence(confidence)).toBeCloseTo(score, 3);
    });

    it('names the first schema problem in the note', () => {
      const confidence = scoreConfidence({
        request: request('q', { responseFormat: schema }),
        result: answerResult('{"city":3}'),
      });
      const json = confidence.contributions.find((c) => c.scorer === 'json');
      expect(json?.note).toBe(
        'JSON does not fit the schema: /population required property missing (+1 more) (caps at 0.35)',
      );
    });

    it('checks tool-call arguments against the tool schemas', () => {
      const tools = [
        {
          name: 'lookup',
          parameters: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } },
        },
      ];
      const good = scoreConfidence({
        request: request('q', { tools }),
        result: answerResult('', { toolCalls: [{ name: 'lookup', arguments: '{"q":"x"}' }] }),
      });
      expect(good.score).toBeGreaterThanOrEqual(0.85);
      const bad = scoreConfidence({
        request: request('q', { tools }),
        result: answerResult('', { toolCalls: [{ name: 'lookup', arguments: '{}' }] }),
      });
      expect(bad.score).toBe(0.3);
      const broken = scoreConfidence({
        request: request('q', { tools }),
        result: answerResult('', { toolCalls: [{ name: 'lookup', arguments: '{"q":' }] }),
      });
      expect(broken.contributions.find((c) => c.scorer === 'tool_calls')?.note).toContain(
        'arguments do not parse',
      );
    });
  });

  describe('agreement and the judge', () => {
    it('agreeing peers raise the score, disagreeing ones lower it', () => {
      const agreeing = scoreConfidence({
        request: request('2+2?'),
        result: answerResult('4'),
        peers: [answerResult('4'), answerResult('The answer is 4.')],
      });
      const disagreeing = scoreConfidence({
        request: request('2+2?'),
        result: answerResult('4'),
        peers: [answerResult('5'), answerResult('22')],
      });
      expect(agreeing.score).toBeGreaterThan(0.9);
      expect(disagreeing.score).toBeLessThan(0.3);
      expect(agreeing.contributions.find((c) => c.scorer === 'agreement')).toMatchObject({
        score: 1,
        weight: 2,
      });
    });

    it("a judge's rating weighs most", () => {
      const low = scoreConfidence({ request: request('q'), result: answerResult(NORMAL) }, { judge: 0.2 });
      const high = scoreConfidence({ request: request('q'), result: answerResult(NORMAL) }, { judge: 1 });
      expect(low.score).toBeCloseTo((0.85 + 3 * 0.2) / 4, 3);
      expect(low.score).toBeLessThan(0.6);
      expect(high.score).toBeGreaterThan(0.95);
      expect(low.contributions.at(-1)).toMatchObject({
        scorer: 'judge',
        weight: 3,
        note: 'judge rated 2/10',
      });
    });

    it('no judge or agreement can lift a refusal over its cap', () => {
      const refusal = answerResult("I'm sorry, but I can't help with that.");
      const confidence = scoreConfidence(
        { request: request('q'), result: refusal, peers: [refusal, refusal] },
        { judge: 1 },
      );
      expect(confidence.score).toBe(0.1);
    });
  });

  it('a refusal phrase inside a long, real answer only caps it at 0.55', () => {
    const long = `As an AI, I don't have personal preferences, but here is a comparison. ${NORMAL.repeat(5)}`;
    const confidence = scoreConfidence({ request: request('q'), result: answerResult(long) });
    expect(confidence.score).toBe(0.55);
  });
});

describe('scoreConfidence on real answers from the mock upstream', () => {
  let mock: MockUpstream;
  let target: UpstreamTarget;
  const adapter = createOpenAIAdapter();

  beforeAll(async () => {
    mock = await startMockUpstream({});
    target = {
      provider: 'mock',
      type: 'openai',
      baseUrl: `${mock.url}/v1`,
      model: 'gpt-4o-mini',
      apiKey: 'sk-test',
    };
  });
  afterAll(async () => {
    await mock.close();
  });

  async function ask(
    prompt: string,
    extra: Partial<ChatRequest> = {},
  ): Promise<{ request: ChatRequest; result: ChatResult }> {
    const chat = request(prompt, { logprobs: true, topLogprobs: 1, ...extra });
    const http = adapter.buildChatRequest(chat, target);
    const response = await fetch(`${http.origin}${http.path}`, {
      method: 'POST',
      headers: http.headers,
      body: http.body ?? null,
    });
    expect(response.status).toBe(200);
    return { request: chat, result: adapter.parseChatResponse(await response.json(), target) };
  }

  it.each([
    { directive: '', prompt: 'What is 2+2?', min: 0.7, max: 1 },
    { directive: '[[mock:hedge]] ', prompt: 'What is 3*3?', min: 0.4, max: 0.55 },
    { directive: '[[mock:refuse]] ', prompt: 'Tell me a secret', min: 0, max: 0.2 },
    { directive: '[[mock:empty]] ', prompt: 'Anything', min: 0, max: 0.05 },
  ])('$directive$prompt → [$min, $max]', async ({ directive, prompt, min, max }) => {
    const confidence = scoreConfidence(await ask(`${directive}${prompt}`));
    expect(confidence.score, describeConfidence(confidence)).toBeGreaterThanOrEqual(min);
    expect(confidence.score, describeConfidence(confidence)).toBeLessThanOrEqual(max);
  });

  it('the mock refusing a structured-output request is caught through the refusal field', async () => {
    const responseFormat: ResponseFormat = {
      type: 'json_schema',
      jsonSchema: { name: 'x', schema: { type: 'object' } },
    };
    const answer = await ask('[[mock:refuse]] Give me JSON', { responseFormat });
    expect(answer.result.choices[0]?.message.refusal).toBeTruthy();
    expect(scoreConfidence(answer).score).toBeLessThanOrEqual(0.2);
  });

  it('structured output from the mock fits its schema', async () => {
    const schema = {
      type: 'object',
      required: ['name', 'age'],
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
    };
    const answer = await ask('Describe a person', {
      responseFormat: { type: 'json_schema', jsonSchema: { name: 'p', schema } },
    });
    const confidence = scoreConfidence(answer);
    expect(confidence.contributions.find((c) => c.scorer === 'json')?.note).toBe(
      'valid JSON that fits the schema',
    );
    expect(confidence.score).toBeGreaterThanOrEqual(0.7);
  });
});
