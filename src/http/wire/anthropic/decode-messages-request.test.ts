import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import { decodeMessagesRequest } from './decode-messages-request.js';

function base(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'claude-sonnet', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }], ...extra };
}

function fieldOf(body: unknown): string | undefined {
  try {
    decodeMessagesRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('INVALID_REQUEST');
    return (error as GatewayError).details?.field as string;
  }
  return undefined;
}

describe('decodeMessagesRequest', () => {
  it('decodes a full request into the canonical form', () => {
    const request = decodeMessagesRequest({
      model: 'claude-sonnet',
      max_tokens: 1024,
      stream: true,
      system: [
        { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral', ttl: '1h' } },
        { type: 'text', text: 'Use metric units.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/sky.png' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Need the weather tool.', signature: 'sig-abc' },
            { type: 'redacted_thinking', data: 'EmwK' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '-3°C' }] },
            { type: 'text', text: 'Thanks. Tomorrow?' },
          ],
        },
      ],
      temperature: 0.3,
      top_p: 0.9,
      top_k: 20,
      stop_sequences: ['STOP'],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      metadata: { user_id: 'user-7' },
      service_tier: 'auto',
      switchyard: { strategy: 'cheapest' },
    });
    expect(request).toEqual({
      model: 'claude-sonnet',
      stream: true,
      maxTokens: 1024,
      messages: [
        {
          role: 'system',
          content: [
            { type: 'text', text: 'You are terse.', cacheControl: { type: 'ephemeral', ttl: '1h' } },
            { type: 'text', text: 'Use metric units.' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image', data: '/9j/4AAQ', mediaType: 'image/jpeg' },
            { type: 'image', url: 'https://example.com/sky.png' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'Need the weather tool.', signature: 'sig-abc' },
            { type: 'redacted_thinking', data: 'EmwK' },
            { type: 'text', text: 'Checking.' },
          ],
          toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
        },
        { role: 'tool', toolCallId: 'toolu_1', content: [{ type: 'text', text: '-3°C' }] },
        { role: 'user', content: [{ type: 'text', text: 'Thanks. Tomorrow?' }] },
      ],
      temperature: 0.3,
      topP: 0.9,
      topK: 20,
      stop: ['STOP'],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      toolChoice: 'required',
      parallelToolCalls: false,
      reasoning: { budgetTokens: 2048 },
      user: 'user-7',
      routing: { strategy: 'cheapest' },
    });
  });

  it('maps tool choices, error results and structured output', () => {
    const tools = [{ name: 'f', input_schema: { type: 'object' } }];
    expect(decodeMessagesRequest(base({ tools, tool_choice: { type: 'auto' } })).toolChoice).toBe('auto');
    expect(decodeMessagesRequest(base({ tools, tool_choice: { type: 'none' } })).toolChoice).toBe('none');
    expect(
      decodeMessagesRequest(base({ tools, tool_choice: { type: 'tool', name: 'f' } })).toolChoice,
    ).toEqual({
      name: 'f',
    });
    const errored = decodeMessagesRequest(
      base({
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't1', content: 'boom', is_error: true }],
          },
        ],
      }),
    );
    expect(errored.messages[2]).toEqual({
      role: 'tool',
      toolCallId: 't1',
      content: [{ type: 'text', text: 'boom' }],
      isError: true,
    });
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(
      decodeMessagesRequest(
        base({ output_config: { format: { type: 'json_schema', schema }, effort: 'low' } }),
      ),
    ).toMatchObject({
      responseFormat: { type: 'json_schema', jsonSchema: { name: 'output', schema } },
      reasoning: { effort: 'low' },
    });
  });

  it('names the offending field', () => {
    const cases: [unknown, string][] = [
      [[], 'body'],
      [{ max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, 'model'],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens'],
      [base({ messages: [] }), 'messages'],
      [base({ messages: [{ role: 'system', content: 'x' }] }), 'messages.0.role'],
      [
        base({ messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] }),
        'messages.0.content.0.type',
      ],
      [
        base({
          messages: [
            {
              role: 'user',
              content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'x' } }],
            },
          ],
        }),
        'messages.0.content.0.source.media_type',
      ],
      [
        base({ messages: [{ role: 'user', content: [{ type: 'tool_result' }] }] }),
        'messages.0.content.0.tool_use_id',
      ],
      [base({ temperature: 1.5 }), 'temperature'],
      [base({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }), 'tools.0.type'],
      [base({ tools: [{ name: 'f' }] }), 'tools.0.input_schema'],
      [base({ tool_choice: { type: 'tool', name: 'nope' } }), 'tool_choice.name'],
      [base({ thinking: { type: 'enabled', budget_tokens: 100 } }), 'thinking.budget_tokens'],
      [base({ metadata: { user_id: 'a', team: 'b' } }), 'metadata.team'],
      [base({ mcp_servers: [] }), 'mcp_servers'],
      [base({ frequency_penalty: 1 }), 'frequency_penalty'],
      [base({ switchyard: { strategy: 'nope' } }), 'switchyard.strategy'],
    ];
    for (const [body, field] of cases) expect(fieldOf(body), JSON.stringify(body)).toBe(field);
  });
});
