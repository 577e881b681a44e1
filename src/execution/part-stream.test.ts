import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import { HIGH_WATER, type PartProducer, PartStream, tapParts } from './part-stream.js';

const text = (t: string): StreamPart => ({ type: 'text-delta', choice: 0, text: t });

/** A producer that notes what it was told. */
function recorder(): PartProducer & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    cancel: () => calls.push('cancel'),
  };
}

async function drain(stream: AsyncIterable<StreamPart>): Promise<string[]> {
  const seen: string[] = [];
  for await (const part of stream) seen.push(part.type === 'text-delta' ? part.text : part.type);
  return seen;
}

describe('PartStream', () => {
  it('hands over parts pushed before and after the reader waits, in order, then ends', async () => {
    const stream = new PartStream();
    stream.push(text('a'));
    stream.push(text('b'));
    const reading = drain(stream);
    await Promise.resolve();
    stream.push(text('c'));
    setTimeout(() => {
      stream.push(text('d'));
      stream.end();
    }, 5);
    expect(await reading).toEqual(['a', 'b', 'c', 'd']);
  });

  it('hands over the parts queued before a failure, then rejects with it, then is done', async () => {
    const stream = new PartStream();
    const failure = new GatewayError('MODEL_ERROR', 'cut');
    stream.push(text('a'));
    stream.fail(failure);
    expect(await stream.next()).toEqual({ value: text('a'), done: false });
    await expect(stream.next()).rejects.toBe(failure);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('rejects a reader already waiting when the producer fails', async () => {
    const stream = new PartStream();
    const waiting = stream.next();
    const failure = new Error('reset');
    stream.fail(failure);
    await expect(waiting).rejects.toBe(failure);
  });

  it('ignores what comes after the end, and a second ending', async () => {
    const stream = new PartStream();
    stream.end();
    stream.push(text('late'));
    stream.fail(new Error('late'));
    expect(await drain(stream)).toEqual([]);
  });

  it(`asks the producer to pause at ${HIGH_WATER} queued parts and to resume once they are all taken`, async () => {
    const stream = new PartStream();
    const producer = recorder();
    stream.setProducer(producer);
    for (let i = 0; i < HIGH_WATER - 1; i++) stream.push(text(String(i)));
    expect(producer.calls).toEqual([]);
    stream.push(text('last'));
    stream.push(text('in flight'));
    expect(producer.calls).toEqual(['pause']);
    for (let i = 0; i < HIGH_WATER; i++) await stream.next();
    expect(producer.calls).toEqual(['pause']);
    expect(await stream.next()).toEqual({ value: text('in flight'), done: false });
    expect(producer.calls).toEqual(['pause', 'resume']);
  });

  it('cancels a producer still at work when the reader leaves, dropping what is queued', async () => {
    const stream = new PartStream();
    const producer = recorder();
    stream.setProducer(producer);
    stream.push(text('a'));
    const waiting = (async () => {
      for await (const part of stream) if (part.type === 'text-delta') break;
    })();
    await waiting;
    expect(producer.calls).toEqual(['cancel']);
    stream.push(text('after'));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('resolves a waiting read as done when the reader returns, without cancelling a finished producer', async () => {
    const stream = new PartStream();
    const producer = recorder();
    stream.setProducer(producer);
    const waiting = stream.next();
    stream.push(text('a'));
    expect(await waiting).toEqual({ value: text('a'), done: false });
    stream.end();
    await stream.return();
    expect(producer.calls).toEqual([]);
  });

  it('replays known parts with `of`', async () => {
    expect(await drain(PartStream.of([text('a'), text('b')]))).toEqual(['a', 'b']);
  });

  it('has one reader at a time', async () => {
    const stream = new PartStream();
    const first = stream.next();
    await expect(stream.next()).rejects.toThrow('one reader');
    stream.end();
    expect(await first).toEqual({ value: undefined, done: true });
  });
});

describe('tapParts', () => {
  it('shows each part as the consumer takes it and passes a leaving consumer on to the source', async () => {
    const source = new PartStream();
    const producer = recorder();
    source.setProducer(producer);
    const seen: string[] = [];
    const tapped = tapParts(source, (part) => seen.push(part.type));
    source.push(text('a'));
    source.push(text('b'));
    expect(seen).toEqual([]);
    expect(await tapped.next()).toEqual({ value: text('a'), done: false });
    expect(seen).toEqual(['text-delta']);
    await tapped.return(undefined);
    expect(producer.calls).toEqual(['cancel']);
    expect(seen).toEqual(['text-delta']);
  });
});
