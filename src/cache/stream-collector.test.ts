import { describe, expect, it } from 'vitest';
import type { ChatResult, StreamPart } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import { finishReason } from '../core/finish-reason.js';
import { replayStream } from './response-cache.js';
import { createStreamCollector } from './stream-collector.js';

const full: ChatResult = {
  id: 'chatcmpl-1',
  model: 'gpt-4o-mini-2024',
  created: 1_700_000_000,
  systemFingerprint: 'fp_1',
  usage: { inputTokens: 12, outputTokens: 30, reasoningTokens: 5 },
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: [
          { type: 'thinking', text: 'Let me think.', signature: 'sig' },
          { type: 'text', text: 'Oslo is cold.' },
        ],
        toolCalls: [
          { id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' },
          { id: 'call_2', name: 'time', arguments: '{}' },
        ],
      },
      finishReason: finishReason('tool_calls'),
      logprobs: [{ token: 'Oslo', logprob: -0.1 }],
    },
    {
      index: 1,
      message: { role: 'assistant', content: [], refusal: 'I cannot.' },
      finishReason: finishReason('stop', 'end_turn'),
    },
  ],
};

async function collect(parts: AsyncIterable<StreamPart>): Promise<ChatResult | undefined> {
  const collector = createStreamCollector();
  for await (const part of parts) collector.add(part);
  return collector.result();
}

describe('createStreamCollector', () => {
  it('rebuilds exactly the result a replayed stream came from', async () => {
    expect(await collect(replayStream(full))).toEqual(full);
  });

  it('joins deltas split anywhere', async () => {
    const parts: StreamPart[] = [
      { type: 'start', id: 'a', model: 'm', created: 1 },
      { type: 'text-delta', choice: 0, text: 'Hel' },
      { type: 'tool-call-delta', choice: 0, index: 0, id: 'c', name: 'f', argumentsDelta: '{"a"' },
      { type: 'text-delta', choice: 0, text: 'lo' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: ':1}' },
      { type: 'finish', choice: 0, finishReason: finishReason('stop') },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 2 } },
    ];
    const result = await collect(
      (async function* () {
        yield* parts;
      })(),
    );
    expect(result?.choices[0]?.message).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello' }],
      toolCalls: [{ id: 'c', name: 'f', arguments: '{"a":1}' }],
    });
    expect(result?.usage).toEqual({ inputTokens: 3, outputTokens: 2 });
  });

  it('yields nothing for a stream that failed or stopped before every choice finished', () => {
    const failed = createStreamCollector();
    failed.add({ type: 'start', id: 'a', model: 'm', created: 1 });
    failed.add({ type: 'text-delta', choice: 0, text: 'partial' });
    failed.add({ type: 'error', error: new GatewayError('MODEL_ERROR', 'cut') });
    failed.add({ type: 'finish', choice: 0, finishReason: finishReason('stop') });
    expect(failed.result()).toBeUndefined();

    const cut = createStreamCollector();
    cut.add({ type: 'start', id: 'a', model: 'm', created: 1 });
    cut.add({ type: 'text-delta', choice: 0, text: 'a' });
    cut.add({ type: 'text-delta', choice: 1, text: 'b' });
    cut.add({ type: 'finish', choice: 0, finishReason: finishReason('stop') });
    expect(cut.result()).toBeUndefined();

    expect(createStreamCollector().result()).toBeUndefined();
  });
});
