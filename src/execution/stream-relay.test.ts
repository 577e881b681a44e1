import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import type { AttemptOutcome, StreamSummary } from './executor.js';
import { type PartProducer, PartStream } from './part-stream.js';
import { relayStream } from './stream-relay.js';

const STOP = { unified: 'stop', raw: 'stop' } as const;

function setup(buffered: StreamPart[] = []) {
  const upstream = new PartStream();
  const cancelled: string[] = [];
  const producer: PartProducer = { pause() {}, resume() {}, cancel: () => cancelled.push('cancel') };
  upstream.setProducer(producer);
  const client = new AbortController();
  const summary: StreamSummary = { status: 'streaming', outputText: '', finishReasons: [] };
  const outcome = { status: 'ok' } as AttemptOutcome;
  const ends: StreamSummary['status'][] = [];
  const parts = relayStream({
    buffered,
    upstream,
    clientSignal: client.signal,
    summary,
    outcome,
    onEnd: () => ends.push(summary.status),
  });
  return { upstream, cancelled, client, summary, outcome, ends, parts };
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const seen: StreamPart[] = [];
  for await (const part of parts) seen.push(part);
  return seen;
}

describe('relayStream', () => {
  it('hands over the buffered parts, then the upstream’s, noting text, usage and finish reasons', async () => {
    const start: StreamPart = { type: 'start', id: 'x', model: 'm', created: 1 };
    const { upstream, summary, outcome, ends, parts } = setup([
      start,
      { type: 'text-delta', choice: 0, text: 'Hel' },
    ]);
    const usage = { inputTokens: 3, outputTokens: 2 };
    upstream.push({ type: 'text-delta', choice: 0, text: 'lo' });
    upstream.push({ type: 'finish', choice: 0, finishReason: STOP });
    upstream.push({ type: 'usage', usage });
    upstream.end();
    const seen = await collect(parts);
    expect(seen.map((p) => p.type)).toEqual(['start', 'text-delta', 'text-delta', 'finish', 'usage']);
    expect(summary).toMatchObject({ status: 'ok', outputText: 'Hello', usage, finishReasons: [STOP] });
    expect(outcome.usage).toEqual(usage);
    expect(ends).toEqual(['ok']);
  });

  it('turns a failure after commit into one error part, never a normal end', async () => {
    const { upstream, summary, ends, parts, cancelled } = setup([
      { type: 'text-delta', choice: 0, text: 'a' },
    ]);
    const failure = new GatewayError('MODEL_ERROR', 'upstream mock stream was cut');
    upstream.fail(failure);
    const seen = await collect(parts);
    expect(seen).toEqual([
      { type: 'text-delta', choice: 0, text: 'a' },
      { type: 'error', error: failure },
    ]);
    expect(summary).toMatchObject({ status: 'error', error: failure });
    expect(ends).toEqual(['error']);
    expect(cancelled).toEqual([]);
  });

  it('names a deadline abort as such', async () => {
    const { upstream, summary, parts } = setup();
    upstream.fail(new DOMException('the attempt timed out', 'TimeoutError'));
    const [error] = await collect(parts);
    expect(error).toMatchObject({ type: 'error', error: { code: 'TIMEOUT' } });
    expect(summary.error?.message).toContain('deadline');
  });

  it('ends without an error part when the client went away', async () => {
    const { upstream, client, summary, ends, parts } = setup();
    client.abort();
    upstream.fail(new DOMException('aborted', 'AbortError'));
    expect(await collect(parts)).toEqual([]);
    expect(summary.status).toBe('cancelled');
    expect(ends).toEqual(['cancelled']);
  });

  it('is a cancellation when the consumer leaves early: the upstream is cancelled, onEnd runs once', async () => {
    const { upstream, cancelled, summary, ends, parts } = setup();
    upstream.push({ type: 'text-delta', choice: 0, text: 'a' });
    for await (const _part of parts) break;
    await parts.return(undefined);
    expect(summary.status).toBe('cancelled');
    expect(cancelled).toEqual(['cancel']);
    expect(ends).toEqual(['cancelled']);
    expect(await parts.next()).toEqual({ value: undefined, done: true });
  });
});
