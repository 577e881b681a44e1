import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createOpenAIAdapter } from '../../../providers/openai/openai-adapter.js';
import type { UpstreamTarget } from '../../../providers/spec.js';
import { decodeChatRequest } from './decode-chat-request.js';
import { encodeChatResponse } from './encode-chat-response.js';

/**
 * OpenAI client → gateway → OpenAI upstream: decoding the client's body into the canonical
 * request and building the upstream body from it must give back the client's body, apart from
 * the model id (the gateway picks the upstream model) and the usage request on streams.
 */

const adapter = createOpenAIAdapter();
const upstream: UpstreamTarget = {
  provider: 'openai',
  type: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-2024-08-06',
  apiKey: 'sk-test',
};

function upstreamBody(clientBody: Record<string, unknown>): unknown {
  const http = adapter.buildChatRequest(decodeChatRequest(structuredClone(clientBody)), upstream);
  return JSON.parse(http.body ?? '');
}

describe('round trip: OpenAI wire → canonical → OpenAI wire', () => {
  it('passes a tool-call conversation through unchanged', () => {
    const client = {
      model: 'smart-route',
      messages: [
        { role: 'system', content: 'You are a weather assistant.' },
        { role: 'user', name: 'ada', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'call_2',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":18}' },
        { role: 'tool', tool_call_id: 'call_2', content: '{"temp_c":24}' },
        { role: 'assistant', content: 'Paris is 18°C, Rome 24°C.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'And in this photo?' },
            { type: 'image_url', image_url: { url: 'https://example.com/street.jpg', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'data:image/webp;base64,UklGRhYAAABXRUJQ' } },
          ],
        },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city.',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
              additionalProperties: false,
            },
            strict: true,
          },
        },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      temperature: 0.3,
      max_completion_tokens: 500,
      seed: 7,
      user: 'user-42',
      stream: true,
      service_tier: 'default',
    };
    expect(upstreamBody(client)).toEqual({
      ...client,
      model: 'gpt-4o-2024-08-06',
      stream_options: { include_usage: true },
    });
  });

  it('passes a response_format json_schema request through unchanged', () => {
    const client = {
      model: 'auto',
      messages: [
        { role: 'system', content: 'Extract the person.' },
        { role: 'user', content: 'Ada Lovelace, born 1815.' },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          description: 'A person and a year.',
          strict: true,
          schema: {
            type: 'object',
            properties: { name: { type: 'string' }, born: { type: 'integer' } },
            required: ['name', 'born'],
            additionalProperties: false,
          },
        },
      },
      temperature: 0,
      top_p: 1,
      n: 1,
      stop: ['\n\n'],
      logprobs: true,
      top_logprobs: 2,
      presence_penalty: 0,
      frequency_penalty: 0.1,
      logit_bias: { '1734': -5 },
      metadata: { run: '7' },
      reasoning_effort: 'low',
      store: false,
    };
    expect(upstreamBody(client)).toEqual({ ...client, model: 'gpt-4o-2024-08-06' });
  });

  it('encodes a parsed upstream response back into the same chat.completion', () => {
    for (const name of ['chat-response-tool-calls.json', 'chat-response-logprobs.json']) {
      const wire = JSON.parse(
        readFileSync(new URL(`../../../providers/openai/__fixtures__/${name}`, import.meta.url), 'utf8'),
      );
      const encoded = encodeChatResponse(adapter.parseChatResponse(wire, upstream), {
        id: wire.id,
        model: wire.model,
      });
      const expected = structuredClone(wire);
      // The canonical model keeps a fingerprint only when there is one, and no token bytes.
      delete expected.system_fingerprint;
      for (const choice of expected.choices) {
        choice.message.refusal ??= null;
        for (const token of choice.logprobs?.content ?? []) {
          token.bytes = null;
          for (const top of token.top_logprobs) top.bytes = null;
        }
      }
      expect(encoded).toMatchObject({ ...expected, usage: expect.anything() });
      expect(encoded).not.toHaveProperty('system_fingerprint');
      expect(encoded.usage).toMatchObject({
        prompt_tokens: wire.usage.prompt_tokens,
        completion_tokens: wire.usage.completion_tokens,
        total_tokens: wire.usage.total_tokens,
      });
    }
  });
});
