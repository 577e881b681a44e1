/**
 * The mock's Anthropic wire, driven by the official `@anthropic-ai/sdk` over real HTTP: if the
 * SDK parses what the mock sends, the mock speaks Anthropic well enough to test the gateway.
 */

import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from './server.js';

let mock: MockUpstream;
let client: Anthropic;

beforeAll(async () => {
  mock = await startMockUpstream({
    requireApiKey: 'sk-ant-mock-key',
    models: { 'claude-cached': { cached_tokens: 20, cache_write_tokens: 5, output_tokens: 12 } },
  });
  client = new Anthropic({ baseURL: mock.url, apiKey: 'sk-ant-mock-key', maxRetries: 0 });
});
afterAll(() => mock.close());
beforeEach(() => mock.reset());

async function raw(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${mock.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-mock-key', ...headers },
    body: JSON.stringify(body),
  });
}

describe('mock upstream: Anthropic wire', () => {
  it('answers a message the SDK parses, billing the three prompt classes', async () => {
    const message = await client.messages.create({
      model: 'claude-cached',
      max_tokens: 100,
      system: 'You are terse and you repeat the question back in full before anything else.',
      messages: [{ role: 'user', content: 'What is 6*7? Please answer with the number and some words.' }],
    });
    expect(message.id).toMatch(/^msg_mock_\d+$/);
    expect(message.type).toBe('message');
    expect(message.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('42') });
    expect(message.stop_reason).toBe('end_turn');
    const entry = mock.invoice.at(-1)!;
    expect(entry).toMatchObject({ cachedInputTokens: 20, cacheWriteTokens: 5, completed: true });
    expect(message.usage.cache_read_input_tokens).toBe(20);
    expect(message.usage.cache_creation_input_tokens).toBe(5);
    expect(message.usage.input_tokens + 20 + 5).toBe(entry.inputTokens);
    expect(message.usage.output_tokens).toBe(entry.outputTokens);
  });

  it('streams the event sequence the SDK accumulates into the same message', async () => {
    const stream = client.messages.stream({
      model: 'claude-cached',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Say something.' }],
    });
    const events: string[] = [];
    stream.on('streamEvent', (event) => events.push(event.type));
    const final = await stream.finalMessage();
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(events).toContain('content_block_delta');
    expect(final.content[0]?.type).toBe('text');
    const entry = mock.invoice.at(-1)!;
    expect(final.usage.output_tokens).toBe(entry.outputTokens);
    // The cache classes never exceed the (short) prompt: read first, then written.
    expect(final.usage.cache_read_input_tokens).toBe(entry.cachedInputTokens);
    expect(final.usage.cache_creation_input_tokens).toBe(entry.cacheWriteTokens);
    expect(final.usage.input_tokens).toBe(0);
    expect(entry.cachedInputTokens + entry.cacheWriteTokens).toBe(entry.inputTokens);
    expect(entry).toMatchObject({ stream: true, completed: true, outputTokens: 12 });
  });

  it('calls a forced tool and accepts its result back', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'get_weather',
        description: 'Weather in a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ];
    const first = await client.messages.create({
      model: 'claude-x',
      max_tokens: 200,
      tools,
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((block) => block.type === 'tool_use');
    expect(call).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      id: expect.stringMatching(/^toolu_/),
    });
    const second = await client.messages.create({
      model: 'claude-x',
      max_tokens: 200,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: (call as Anthropic.ToolUseBlock).id, content: 'snowing' },
          ],
        },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('snowing') });
  });

  it('rejects what Anthropic rejects, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens'],
      [{ model: 'm', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }, 'messages.0.role'],
      [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], n: 2 }, 'n'],
      [
        { model: 'm', max_tokens: 5, temperature: 1.5, messages: [{ role: 'user', content: 'x' }] },
        'temperature',
      ],
      [
        {
          model: 'm',
          max_tokens: 5,
          messages: [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
            { role: 'user', content: 'no result' },
          ],
        },
        'messages.2',
      ],
      [
        {
          model: 'm',
          max_tokens: 5000,
          thinking: { type: 'enabled', budget_tokens: 2000 },
          tools: [{ name: 'f', input_schema: { type: 'object' } }],
          tool_choice: { type: 'any' },
          messages: [{ role: 'user', content: 'x' }],
        },
        'tool_choice',
      ],
      [
        {
          model: 'm',
          max_tokens: 5,
          messages: [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm' }] },
            { role: 'user', content: 'y' },
          ],
        },
        'messages.1.content.0.signature',
      ],
    ];
    for (const [body, field] of cases) {
      const response = await raw(body);
      expect(response.status, field).toBe(400);
      const json = (await response.json()) as { type: string; error: { type: string; message: string } };
      expect(json.type).toBe('error');
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.message.startsWith(`${field}:`), json.error.message).toBe(true);
    }
  });

  it('answers a wrong key with authentication_error', async () => {
    const response = await raw({ model: 'm', max_tokens: 5, messages: [] }, { 'x-api-key': 'nope' });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
  });

  it('speaks overload as a 529 overloaded_error, which the SDK surfaces', async () => {
    const error = await client.messages
      .create(
        { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-mock-fault': 'http_503' } },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
  });

  it('rate-limits with retry-after and anthropic-ratelimit headers', async () => {
    const response = await raw(
      { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
      { 'x-mock-fault': 'http_429' },
    );
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(Date.parse(response.headers.get('anthropic-ratelimit-requests-reset') ?? '')).toBeGreaterThan(0);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
  });

  it('cuts a stream without message_stop, which makes the SDK throw', async () => {
    const stream = client.messages.stream(
      { model: 'claude-cached', max_tokens: 100, messages: [{ role: 'user', content: 'Say something.' }] },
      { headers: { 'x-mock-fault': 'sse_cut:3' } },
    );
    await expect(stream.finalMessage()).rejects.toThrow();
    const text = await (
      await raw(
        {
          model: 'claude-cached',
          max_tokens: 100,
          stream: true,
          messages: [{ role: 'user', content: 'Hi.' }],
        },
        { 'x-mock-fault': 'sse_cut:3' },
      )
    ).text();
    expect(text).toContain('event: message_start');
    expect(text).not.toContain('message_delta');
    expect(text).not.toContain('message_stop');
  });

  it('sends an in-band error event the SDK throws on', async () => {
    const stream = client.messages.stream(
      { model: 'claude-cached', max_tokens: 100, messages: [{ role: 'user', content: 'Say something.' }] },
      { headers: { 'x-mock-fault': 'inband_error:2' } },
    );
    await expect(stream.finalMessage()).rejects.toThrow(/mid-stream/);
  });

  it('thinks first, with a signature, when thinking is on', async () => {
    mock.setModelProfile('claude-thinker', { reasoning_tokens: 30 });
    const message = await client.messages.create({
      model: 'claude-thinker',
      max_tokens: 3000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(message.content[0]).toMatchObject({
      type: 'thinking',
      signature: expect.stringMatching(/^mock-/),
    });
    expect(message.usage.output_tokens).toBe(mock.invoice.at(-1)!.outputTokens);
    const final = await client.messages
      .stream({
        model: 'claude-thinker',
        max_tokens: 3000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'Hi' }],
      })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'thinking', thinking: expect.any(String) });
    expect((final.content[0] as Anthropic.ThinkingBlock).signature).toMatch(/^mock-/);
  });
});
