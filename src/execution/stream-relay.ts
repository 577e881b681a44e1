/**
 * @module execution/stream-relay
 * A committed stream as the gateway's consumer sees it: the parts buffered before commit, then
 * the upstream's as they come, each noted in the stream's summary (text for usage estimation,
 * usage, finish reasons). A failure after commit becomes one explicit `error` part (none when
 * the client itself went away), never a silent end. However the stream ends — finished, failed,
 * or abandoned by its consumer — the summary's status is final, the upstream is released and
 * `onEnd` runs, each once.
 *
 * A plain object over the upstream's PartStream rather than an async generator: an open
 * stream then holds one pending read, not a suspended generator frame and its request queue.
 */

import type { StreamPart } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import type { AttemptOutcome, StreamSummary } from './executor.js';
import type { PartStream } from './part-stream.js';
import { isAbort } from './transport-error.js';

export interface RelayOptions {
  /** Parts taken from the upstream before commit, handed over first. */
  buffered: StreamPart[];
  upstream: PartStream;
  /** The client's signal: a failure after it aborted is the client's own leaving, not an error. */
  clientSignal: AbortSignal;
  summary: StreamSummary;
  /** The attempt that answers: its usage follows the stream's. */
  outcome: AttemptOutcome;
  /** Runs once the stream is over, whatever ended it, after `summary.status` is final. */
  onEnd: () => void;
}

const DONE: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });

class RelayedStream implements AsyncGenerator<StreamPart, void> {
  readonly #upstream: PartStream;
  readonly #clientSignal: AbortSignal;
  readonly #summary: StreamSummary;
  readonly #outcome: AttemptOutcome;
  readonly #onEnd: () => void;
  #buffered: StreamPart[] | undefined;
  #index = 0;
  #over = false;

  constructor(options: RelayOptions) {
    this.#upstream = options.upstream;
    this.#clientSignal = options.clientSignal;
    this.#summary = options.summary;
    this.#outcome = options.outcome;
    this.#onEnd = options.onEnd;
    this.#buffered = options.buffered.length > 0 ? options.buffered : undefined;
  }

  next(): Promise<IteratorResult<StreamPart, void>> {
    if (this.#over) return Promise.resolve(DONE);
    const buffered = this.#buffered;
    if (buffered !== undefined) {
      const part = buffered[this.#index++] as StreamPart;
      if (this.#index === buffered.length) this.#buffered = undefined;
      this.#observe(part);
      return Promise.resolve({ value: part, done: false });
    }
    return this.#upstream.next().then(this.#onResult, this.#onFailure);
  }

  /** The consumer leaves before the end: the client went away, a cancellation. */
  return(): Promise<IteratorResult<StreamPart, void>> {
    this.#end();
    return Promise.resolve(DONE);
  }

  throw(error: unknown): Promise<IteratorResult<StreamPart, void>> {
    this.#end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // Arrow properties: made once per stream, not once per part.
  readonly #onResult = (result: IteratorResult<StreamPart, void>): IteratorResult<StreamPart, void> => {
    if (this.#over) return DONE;
    if (result.done === true) {
      this.#summary.status = 'ok';
      this.#end();
      return DONE;
    }
    this.#observe(result.value);
    return result;
  };

  readonly #onFailure = (error: unknown): IteratorResult<StreamPart, void> => {
    if (this.#over) return DONE;
    const summary = this.#summary;
    const cancelled = this.#clientSignal.aborted;
    const gatewayError = cancelled
      ? new GatewayError('TIMEOUT', 'client closed the request')
      : isAbort(error)
        ? new GatewayError('TIMEOUT', 'the request deadline passed during the stream')
        : error instanceof GatewayError
          ? error
          : new GatewayError('MODEL_ERROR', 'upstream stream failed', { cause: error });
    summary.status = cancelled ? 'cancelled' : 'error';
    summary.error = gatewayError;
    this.#end();
    return cancelled ? DONE : { value: { type: 'error', error: gatewayError }, done: false };
  };

  #observe(part: StreamPart): void {
    const summary = this.#summary;
    switch (part.type) {
      case 'text-delta':
      case 'reasoning-delta':
      case 'refusal-delta':
        summary.outputText += part.text;
        break;
      case 'tool-call-delta':
        summary.outputText += part.argumentsDelta;
        if (part.name) summary.outputText += part.name;
        break;
      case 'usage':
        summary.usage = part.usage;
        this.#outcome.usage = part.usage;
        break;
      case 'finish':
        summary.finishReasons.push(part.finishReason);
        break;
    }
  }

  #end(): void {
    if (this.#over) return;
    this.#over = true;
    this.#buffered = undefined;
    // Left early by the consumer (the client went away): that is a cancellation.
    if (this.#summary.status === 'streaming') this.#summary.status = 'cancelled';
    // Releases the upstream connection if it is still streaming.
    void this.#upstream.return();
    this.#onEnd();
  }
}

export function relayStream(options: RelayOptions): AsyncGenerator<StreamPart, void> {
  return new RelayedStream(options);
}
