import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseFault, rollFault } from './faults.js';
import { createRandom } from './random.js';
import { type MockUpstream, startMockUpstream } from './server.js';

let mock: MockUpstream;
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockUpstream({ profile: { output_tokens: 10 } });
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await mock.close();
});

beforeEach(() => {
  mock.reset();
});

const messages = [{ role: 'user' as const, content: 'Tell me a story.' }];

/** A chat request with a fault header, read to the end with undici. Rejects when the connection fails. */
async function chatWithFault(fault: string, body: Record<string, unknown> = {}, timeoutMs?: number) {
  const response = await request(`${mock.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mock-fault': fault },
    body: JSON.stringify({ model: 'gpt-4o', messages, ...body }),
    ...(timeoutMs === undefined ? {} : { headersTimeout: timeoutMs, bodyTimeout: timeoutMs }),
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

function dataEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice(6));
}

function contentChunks(text: string): Record<string, unknown>[] {
  return dataEvents(text)
    .filter((event) => event !== '[DONE]')
    .map((event) => JSON.parse(event));
}

const finishReasons = (text: string) =>
  contentChunks(text).flatMap((chunk) =>
    ((chunk.choices as { finish_reason: string | null }[] | undefined) ?? [])
      .map((choice) => choice.finish_reason)
      .filter(Boolean),
  );

const contentTokens = (text: string) =>
  contentChunks(text).filter((chunk) =>
    ((chunk.choices as { delta: { content?: string } }[] | undefined) ?? []).some(
      (choice) => (choice.delta.content ?? '') !== '',
    ),
  ).length;

describe('HTTP error faults', () => {
  it.each([
    ['http_500', 500],
    ['http_502', 502],
    ['http_503', 503],
  ])('%s answers %i with an OpenAI error body', async (fault, status) => {
    const response = await chatWithFault(fault);
    expect(response.status).toBe(status);
    expect(JSON.parse(response.text).error.type).toBe('server_error');
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages }, { headers: { 'x-mock-fault': fault } }),
    ).rejects.toMatchObject({ status });
  });

  it('http_429 carries Retry-After and x-ratelimit-reset-requests', async () => {
    mock.setModelProfile('limited', { faults: [{ kind: 'http_429', retry_after_s: 3 }] });
    const error = await client.chat.completions.create({ model: 'limited', messages }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.headers.get('retry-after')).toBe('3');
    expect(rateLimit.headers.get('x-ratelimit-reset-requests')).toBe('3s');
    expect(rateLimit.code).toBe('rate_limit_exceeded');
  });

  it('an http fault status can be overridden', async () => {
    expect((await chatWithFault('http_500:504')).status).toBe(504);
  });

  it('bills nothing for errors before content', async () => {
    await chatWithFault('http_503');
    expect(mock.invoice).toEqual([
      expect.objectContaining({ inputTokens: 0, outputTokens: 0, completed: false, fault: 'http_503' }),
    ]);
  });
});

describe('connection faults', () => {
  it('reset_before_headers drops the connection', async () => {
    await expect(chatWithFault('reset_before_headers')).rejects.toThrow();
    await expect(
      client.chat.completions.create(
        { model: 'gpt-4o', messages },
        { headers: { 'x-mock-fault': 'reset_before_headers' } },
      ),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('reset_after_bytes sends part of a stream, then drops the connection', async () => {
    const response = await request(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'reset_after_bytes:4' },
      body: JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
    });
    expect(response.statusCode).toBe(200);
    let received = '';
    await expect(
      (async () => {
        for await (const chunk of response.body) received += String(chunk);
      })(),
    ).rejects.toThrow();
    expect(contentTokens(received)).toBe(4);
    expect(received).not.toContain('[DONE]');
    await expect.poll(() => mock.invoice.length).toBe(1);
    expect(mock.invoice[0]).toMatchObject({ outputTokens: 4, completed: false, fault: 'reset_after_bytes' });
  });

  it('reset_after_bytes on a plain response cuts the body short', async () => {
    await expect(chatWithFault('reset_after_bytes:20')).rejects.toThrow();
    await expect(
      client.chat.completions.create(
        { model: 'gpt-4o', messages },
        { headers: { 'x-mock-fault': 'reset_after_bytes' } },
      ),
    ).rejects.toThrow();
  });

  it('hang accepts the request and never answers', async () => {
    const started = performance.now();
    const timeoutClient = new OpenAI({ apiKey: 'k', baseURL: `${mock.url}/v1`, maxRetries: 0, timeout: 200 });
    await expect(
      timeoutClient.chat.completions.create(
        { model: 'gpt-4o', messages },
        { headers: { 'x-mock-fault': 'hang' } },
      ),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(mock.requests).toHaveLength(1);
    expect(mock.invoice[0]).toMatchObject({ fault: 'hang', completed: false, outputTokens: 0 });
  });
});

describe('body faults', () => {
  it('malformed_json answers 200 with a truncated JSON body', async () => {
    const response = await chatWithFault('malformed_json');
    expect(response.status).toBe(200);
    expect(response.text.startsWith('{"id":"chatcmpl-')).toBe(true);
    expect(() => JSON.parse(response.text)).toThrow();
    await expect(
      client.chat.completions.create(
        { model: 'gpt-4o', messages },
        { headers: { 'x-mock-fault': 'malformed_json' } },
      ),
    ).rejects.toThrow();
  });

  it('malformed_json in a stream sends a broken event and ends', async () => {
    const response = await chatWithFault('malformed_json:2', { stream: true });
    const events = dataEvents(response.text);
    expect(() => JSON.parse(events.at(-1)!)).toThrow();
    expect(events).not.toContain('[DONE]');
  });

  it('non_json answers 200 with an HTML page', async () => {
    const response = await chatWithFault('non_json');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html');
    expect(response.text.startsWith('<html>')).toBe(true);
    // The openai client hands a non-JSON body back as text instead of a completion.
    const result: unknown = await client.chat.completions.create(
      { model: 'gpt-4o', messages },
      { headers: { 'x-mock-fault': 'non_json' } },
    );
    expect(typeof result).toBe('string');
  });

  it('missing_usage leaves usage out of the body and out of the stream', async () => {
    const plain = await client.chat.completions.create(
      { model: 'gpt-4o', messages },
      { headers: { 'x-mock-fault': 'missing_usage' } },
    );
    expect(plain.choices[0]!.message.content).toBeTruthy();
    expect(plain.usage).toBeUndefined();
    const streamed = await chatWithFault('missing_usage', {
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(contentChunks(streamed.text).some((chunk) => chunk.usage)).toBe(false);
    expect(dataEvents(streamed.text).at(-1)).toBe('[DONE]');
    expect(finishReasons(streamed.text)).toEqual(['stop']);
    // The tokens were still served, and billed.
    expect(mock.invoice.every((entry) => entry.outputTokens === 10 && entry.completed)).toBe(true);
  });
});

describe('stream faults', () => {
  it('sse_cut ends the stream cleanly after N tokens, with no finish and no [DONE]', async () => {
    const response = await chatWithFault('sse_cut:4', {
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.status).toBe(200);
    expect(contentTokens(response.text)).toBe(4);
    expect(finishReasons(response.text)).toEqual([]);
    expect(response.text).not.toContain('[DONE]');
    expect(mock.invoice[0]).toMatchObject({
      outputTokens: 4,
      completed: false,
      fault: 'sse_cut',
      stream: true,
    });
    expect(mock.invoice[0]!.inputTokens).toBeGreaterThan(0);
  });

  it('sse_cut is seen by the openai client as a stream that ends without a finish reason', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      { headers: { 'x-mock-fault': 'sse_cut:3' } },
    );
    const finishes: (string | null)[] = [];
    for await (const chunk of stream) finishes.push(chunk.choices[0]?.finish_reason ?? null);
    expect(finishes.every((finish) => finish === null)).toBe(true);
  });

  it('no_finish sends [DONE] but never a finish reason', async () => {
    const response = await chatWithFault('no_finish', { stream: true });
    expect(dataEvents(response.text).at(-1)).toBe('[DONE]');
    expect(contentTokens(response.text)).toBe(10);
    expect(finishReasons(response.text)).toEqual([]);
  });

  it('inband_error sends an error event mid-stream, which the openai client throws', async () => {
    const response = await chatWithFault('inband_error:2', { stream: true });
    const events = dataEvents(response.text);
    expect(JSON.parse(events.at(-1)!).error).toMatchObject({ type: 'server_error' });
    expect(contentTokens(response.text)).toBe(2);

    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      { headers: { 'x-mock-fault': 'inband_error:2' } },
    );
    let tokens = 0;
    await expect(
      (async () => {
        for await (const chunk of stream) if (chunk.choices[0]?.delta.content) tokens++;
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(tokens).toBe(2);
  });

  it('slow_trickle sends one token per interval', async () => {
    const started = performance.now();
    const response = await chatWithFault('slow_trickle:50', { stream: true, max_tokens: 5 });
    expect(contentTokens(response.text)).toBe(5);
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
  });

  it('a prompt directive selects a fault through message text alone', async () => {
    const error = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi [[mock:fault=http_502]]' }] })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toMatchObject({ status: 502 });
  });

  it('an unknown fault name is a 400 that names the known ones', async () => {
    const response = await chatWithFault('explode');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text).error.message).toContain('sse_cut');
  });
});

describe('fault rates', () => {
  const statuses = async (upstream: MockUpstream, model: string, count: number) => {
    const result: number[] = [];
    for (let i = 0; i < count; i++) {
      const response = await request(`${upstream.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages }),
      });
      await response.body.dump();
      result.push(response.statusCode);
    }
    return result;
  };

  it('error_rate fails a reproducible share of requests with 500', async () => {
    const options = { seed: 5, models: { flaky: { error_rate: 0.5 } } };
    const first = await startMockUpstream(options);
    const second = await startMockUpstream(options);
    try {
      const a = await statuses(first, 'flaky', 40);
      const b = await statuses(second, 'flaky', 40);
      expect(a).toEqual(b);
      const failures = a.filter((status) => status === 500).length;
      expect(failures).toBeGreaterThan(8);
      expect(failures).toBeLessThan(32);
      expect(new Set(a)).toEqual(new Set([200, 500]));
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('model faults apply at their rate, and reset() restarts the sequence', async () => {
    mock.setModelProfile('shaky', { faults: [{ kind: 'http_503', rate: 0.3 }] });
    const a = await statuses(mock, 'shaky', 30);
    mock.reset();
    const b = await statuses(mock, 'shaky', 30);
    expect(a).toEqual(b);
    expect(a).toContain(503);
    expect(a).toContain(200);
  });
});

describe('parseFault and rollFault', () => {
  it('parses KIND and KIND:N into the kind’s main parameter', () => {
    expect(parseFault('hang')).toEqual({ kind: 'hang' });
    expect(parseFault('sse_cut:7')).toEqual({ kind: 'sse_cut', after_tokens: 7 });
    expect(parseFault('http_503:504')).toEqual({ kind: 'http_503', status: 504 });
    expect(parseFault('slow_trickle:20')).toEqual({ kind: 'slow_trickle', interval_ms: 20 });
    expect(parseFault('nope')).toBeUndefined();
    expect(parseFault('sse_cut:x')).toBeUndefined();
  });

  it('picks the first fault that hits, then the error rate', () => {
    const random = createRandom(1);
    expect(rollFault([{ kind: 'hang', rate: 0 }, { kind: 'sse_cut' }], 0, random)).toEqual({
      kind: 'sse_cut',
    });
    expect(rollFault([], 1, random)).toEqual({ kind: 'http_500' });
    expect(rollFault([], 0, random)).toBeUndefined();
  });
});
