import { describe, expect, it } from 'vitest';
import { createAnthropicAdapter } from '../../../providers/anthropic/anthropic-adapter.js';
import type { UpstreamTarget } from '../../../providers/spec.js';
import { decodeMessagesRequest } from './decode-messages-request.js';

/**
 * Anthropic client → gateway → Anthropic upstream: decoding the client's body into the canonical
 * request and building the upstream body from it must give back the client's body, apart from
 * the model id (the gateway picks the upstream model).
 */

const adapter = createAnthropicAdapter();
const upstream: UpstreamTarget = {
  provider: 'anthropic',
  type: 'anthropic',
  baseUrl: 'https://api.anthropic.com',
  model: 'claude-sonnet-4-20250514',
  apiKey: 'sk-ant-test',
};

function upstreamBody(clientBody: Record<string, unknown>): unknown {
  const http = adapter.buildChatRequest(decodeMessagesRequest(structuredClone(clientBody)), upstream);
  return JSON.parse(http.body ?? '');
}

describe('round trip: Anthropic wire → canonical → Anthropic wire', () => {
  it('passes a cached, multi-turn tool conversation with thinking history through unchanged', () => {
    const client = {
      model: 'smart-route',
      max_tokens: 800,
      system: [
        {
          type: 'text',
          text: 'A very long, cached instruction block.',
          cache_control: { type: 'ephemeral' },
        },
        { type: 'text', text: 'Be brief.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather in Oslo, and what is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Use the tool.', signature: 'EqQBCgIYAhIM' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Oslo', unit: 'c' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01', content: '-3', is_error: true },
            { type: 'text', text: 'Try again?', cache_control: { type: 'ephemeral', ttl: '1h' } },
          ],
        },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          input_schema: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: 'string' } },
          },
        },
      ],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      temperature: 0.2,
      top_p: 0.8,
      top_k: 12,
      metadata: { user_id: 'u-1' },
      stream: true,
    };
    expect(upstreamBody(client)).toEqual({ ...client, model: 'claude-sonnet-4-20250514' });
  });

  it('passes extended thinking through unchanged', () => {
    const client = {
      model: 'claude',
      max_tokens: 5000,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      system: 'Think first.',
      messages: [{ role: 'user', content: 'Why is the sky blue?' }],
    };
    expect(upstreamBody(client)).toEqual({ ...client, model: 'claude-sonnet-4-20250514' });
  });
});
