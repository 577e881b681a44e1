/**
 * @module execution/part-stream
 * One stream's canonical parts between the code that produces them as the upstream's bytes are
 * decoded and the one consumer that pulls them (`for await`). A queue and at most one waiting
 * read: no async generator, stream object or promise per part unless the consumer is already
 * waiting — a thousand open streams each hold a few small objects, not a chain of suspended
 * frames. Parts queued before a failure are handed over before it.
 *
 * Flow control: once `HIGH_WATER` parts wait, the producer is told to pause, and to resume
 * once the consumer has taken them all — so a slow client slows its upstream read instead of
 * growing the gateway's memory. A consumer that leaves early (`return`, or a `break` out of
 * `for await`) drops what is queued and tells the producer to cancel.
 */

import type { StreamPart } from '../core/chat.js';

/** What a producer must do when its consumer is slow or gone. */
export interface PartProducer {
  pause(): void;
  resume(): void;
  /** The consumer left before the end: stop producing and release what producing holds. */
  cancel(): void;
}

/** Parts waiting for the consumer before the producer is asked to pause. */
export const HIGH_WATER = 32;

const DONE: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });

export class PartStream implements AsyncGenerator<StreamPart, void> {
  #queue: (StreamPart | undefined)[] = [];
  #head = 0;
  /** `open` → `ended` | `failed` (by the producer) → `closed` (everything handed over, or abandoned). */
  #state: 'open' | 'ended' | 'failed' | 'closed' = 'open';
  #failure: unknown;
  #resolve: ((result: IteratorResult<StreamPart, void>) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #producer: PartProducer | undefined;
  #paused = false;

  /** A stream of parts already known (an answer replayed as a stream). */
  static of(parts: readonly StreamPart[]): PartStream {
    const stream = new PartStream();
    for (const part of parts) stream.push(part);
    stream.end();
    return stream;
  }

  /** Who to tell to pause, resume or cancel. */
  setProducer(producer: PartProducer): void {
    this.#producer = producer;
  }

  push(part: StreamPart): void {
    if (this.#state !== 'open') return;
    const resolve = this.#resolve;
    if (resolve !== undefined) {
      this.#resolve = undefined;
      this.#reject = undefined;
      resolve({ value: part, done: false });
      return;
    }
    this.#queue.push(part);
    if (!this.#paused && this.#queue.length - this.#head >= HIGH_WATER && this.#producer) {
      this.#paused = true;
      this.#producer.pause();
    }
  }

  end(): void {
    if (this.#state !== 'open') return;
    this.#state = 'ended';
    if (this.#resolve !== undefined) this.#settleWaiting();
  }

  fail(error: unknown): void {
    if (this.#state !== 'open') return;
    this.#state = 'failed';
    this.#failure = error;
    if (this.#resolve !== undefined) this.#settleWaiting();
  }

  next(): Promise<IteratorResult<StreamPart, void>> {
    const queue = this.#queue;
    if (this.#head < queue.length) {
      const part = queue[this.#head] as StreamPart;
      queue[this.#head++] = undefined;
      if (this.#head === queue.length) {
        this.#queue = [];
        this.#head = 0;
        if (this.#paused) {
          this.#paused = false;
          this.#producer?.resume();
        }
      }
      return Promise.resolve({ value: part, done: false });
    }
    switch (this.#state) {
      case 'open':
        if (this.#resolve !== undefined) return Promise.reject(new Error('a PartStream has one reader'));
        return new Promise((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
      case 'ended':
        this.#state = 'closed';
        return Promise.resolve(DONE);
      case 'failed': {
        this.#state = 'closed';
        const failure = this.#failure;
        this.#failure = undefined;
        return Promise.reject(failure);
      }
      case 'closed':
        return Promise.resolve(DONE);
    }
  }

  /** The consumer leaves: what is queued is dropped and a producer still at work is cancelled. */
  return(): Promise<IteratorResult<StreamPart, void>> {
    this.#close();
    return Promise.resolve(DONE);
  }

  throw(error: unknown): Promise<IteratorResult<StreamPart, void>> {
    this.#close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The producer ended or failed while the consumer waited on an empty queue. */
  #settleWaiting(): void {
    const resolve = this.#resolve as (result: IteratorResult<StreamPart, void>) => void;
    const reject = this.#reject as (error: unknown) => void;
    this.#resolve = undefined;
    this.#reject = undefined;
    const failed = this.#state === 'failed';
    const failure = this.#failure;
    this.#state = 'closed';
    this.#failure = undefined;
    if (failed) reject(failure);
    else resolve(DONE);
  }

  #close(): void {
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    this.#failure = undefined;
    this.#queue = [];
    this.#head = 0;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    this.#reject = undefined;
    resolve?.(DONE);
    if (wasOpen) this.#producer?.cancel();
    this.#producer = undefined;
  }
}

/**
 * `source` as it is, with `onPart` seeing each part as the consumer takes it (the response
 * cache collecting a streamed answer): a plain object over `source`, not a generator layer.
 */
export function tapParts(
  source: AsyncGenerator<StreamPart, void>,
  onPart: (part: StreamPart) => void,
): AsyncGenerator<StreamPart, void> {
  return new TappedParts(source, onPart);
}

class TappedParts implements AsyncGenerator<StreamPart, void> {
  readonly #source: AsyncGenerator<StreamPart, void>;
  readonly #onPart: (part: StreamPart) => void;

  constructor(source: AsyncGenerator<StreamPart, void>, onPart: (part: StreamPart) => void) {
    this.#source = source;
    this.#onPart = onPart;
  }

  next(): Promise<IteratorResult<StreamPart, void>> {
    return this.#source.next().then(this.#see);
  }

  return(): Promise<IteratorResult<StreamPart, void>> {
    return this.#source.return(undefined);
  }

  throw(error: unknown): Promise<IteratorResult<StreamPart, void>> {
    return this.#source.throw(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  readonly #see = (result: IteratorResult<StreamPart, void>): IteratorResult<StreamPart, void> => {
    if (result.done !== true) this.#onPart(result.value);
    return result;
  };
}
