/**
 * @module execution/upstream-call
 * One HTTP exchange with a deployment: send the adapter's request through the pool, turn an
 * error status into the adapter's classified GatewayError, read a JSON body, or decode a stream
 * into canonical parts — judging how the stream ended (cut, or finished without a reason).
 * A redirect is an error: it is never followed, so neither the request nor its credentials go
 * anywhere but where the gateway decided. A request-chosen upstream (already checked by the
 * upstream guard) replaces the deployment's base URL, and its connection is pinned to the
 * addresses that were checked.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Cancellation } from '../core/cancellation.js';
import type { ChatRequest } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import { createNdjsonParser } from '../providers/shared/ndjson-parser.js';
import { createSseParser } from '../providers/shared/sse-parser.js';
import type { StreamParser } from '../providers/shared/stream-parser.js';
import type { HttpRequest, StreamDecoder, StreamEvent, UpstreamTarget } from '../providers/spec.js';
import type { Deployment } from '../registry/registry.js';
import type { UpstreamOverride } from '../security/upstream-guard.js';
import { type PartProducer, PartStream } from './part-stream.js';
import { isAbort, transportError } from './transport-error.js';
import {
  type AnswerReader,
  MAX_ERROR_ANSWER_BYTES,
  parseRawHeaders,
  type SendOptions,
  type UpstreamClient,
} from './upstream-client.js';

type Response = Awaited<ReturnType<UpstreamClient['send']>>;

export async function readErrorBody(response: Response): Promise<string> {
  let text = '';
  try {
    for await (const chunk of response.body) {
      if (text.length < MAX_ERROR_ANSWER_BYTES) text += (chunk as Buffer).toString('utf8');
    }
  } catch {
    // A body that fails to arrive still leaves the status to classify.
  }
  return text.length > MAX_ERROR_ANSWER_BYTES ? text.slice(0, MAX_ERROR_ANSWER_BYTES) : text;
}

export async function readJson(deployment: Deployment, response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw isAbort(error) ? error : transportError(error, deployment.provider);
  }
  return parseJsonBody(deployment, text);
}

function parseJsonBody(deployment: Deployment, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError(
      'INVALID_RESPONSE',
      `upstream ${deployment.provider} sent a body that is not JSON`,
      {
        details: { provider: deployment.provider },
      },
    );
  }
}

/** Where an attempt on `deployment` goes: its own target, or the request-chosen base URL. */
export function upstreamTarget(
  deployment: Deployment,
  override: UpstreamOverride | undefined,
): UpstreamTarget {
  return override === undefined ? deployment.target : { ...deployment.target, baseUrl: override.baseUrl };
}

export async function sendUpstream(
  client: UpstreamClient,
  deployment: Deployment,
  httpRequest: HttpRequest,
  signal: AbortSignal,
  override?: UpstreamOverride,
): Promise<Response> {
  let response: Response;
  try {
    response = await client.send(httpRequest, {
      signal,
      headersTimeoutMs: deployment.timeoutMs,
      bodyTimeoutMs: deployment.timeoutMs,
      pinnedAddresses: override?.addresses,
      connectionLimit: deployment.connectionLimit,
    });
  } catch (error) {
    throw isAbort(error) ? error : transportError(error, deployment.provider);
  }
  if (response.statusCode >= 300) {
    const body = await readErrorBody(response);
    throw statusError(deployment, response.statusCode, response.headers, body);
  }
  return response;
}

/** The error an answer of status 300 or above stands for: a redirect (never followed) or the adapter's classification. */
function statusError(
  deployment: Deployment,
  status: number,
  headers: Response['headers'],
  body: string,
): GatewayError {
  if (status < 400) {
    return new GatewayError(
      'INVALID_RESPONSE',
      `upstream ${deployment.provider} answered with a redirect (${status}), which is never followed`,
      { details: { provider: deployment.provider, upstream_status: status } },
    );
  }
  return deployment.adapter.classifyError({ status, headers, body }, deployment.target);
}

/**
 * A non-streamed call: sends the request, reads the whole answer as JSON and hands it to `decode`
 * in one exchange (no response stream, and no promise between the answer and its decoding), with
 * the same errors as `sendUpstream` + `readJson`; what `decode` throws, the call rejects with. It
 * ends itself with a TimeoutError after `timeoutMs`, as a per-attempt controller would.
 */
export function exchangeJson<T>(
  client: UpstreamClient,
  deployment: Deployment,
  httpRequest: HttpRequest,
  watched: AbortSignal | Cancellation,
  timeoutMs: number,
  override: UpstreamOverride | undefined,
  decode: (json: unknown, deployment: Deployment) => T,
): Promise<T> {
  const isSignal = watched instanceof AbortSignal;
  // One literal of one shape: spreading a conditional `{}` costs V8 a copy per call.
  const options: SendOptions = {
    signal: isSignal ? watched : undefined,
    cancel: isSignal ? undefined : watched,
    timeoutMs,
    headersTimeoutMs: deployment.timeoutMs,
    bodyTimeoutMs: deployment.timeoutMs,
    pinnedAddresses: override?.addresses,
    connectionLimit: deployment.connectionLimit,
  };
  return client.exchange(httpRequest, options, new JsonAnswer(deployment, decode));
}

/** A JSON answer of `deployment`, decoded as it ends; an error status is the adapter's classified error. */
class JsonAnswer<T> implements AnswerReader<T> {
  readonly #deployment: Deployment;
  readonly #decode: (json: unknown, deployment: Deployment) => T;

  constructor(deployment: Deployment, decode: (json: unknown, deployment: Deployment) => T) {
    this.#deployment = deployment;
    this.#decode = decode;
  }

  answer(statusCode: number, rawHeaders: readonly Buffer[], body: Buffer): T {
    const deployment = this.#deployment;
    if (statusCode >= 300) {
      const length = Math.min(body.length, MAX_ERROR_ANSWER_BYTES);
      throw statusError(
        deployment,
        statusCode,
        parseRawHeaders(rawHeaders),
        body.toString('utf8', 0, length),
      );
    }
    // UTF-8 (the default): `toString()` with no arguments goes straight to the decoder.
    return this.#decode(parseJsonBody(deployment, body.toString()), deployment);
  }

  failure(error: unknown): unknown {
    return isAbort(error) ? error : transportError(error, this.#deployment.provider);
  }
}

/** What ends a streamed exchange from this side, besides its consumer leaving. */
export interface StreamBounds {
  /** The client's: aborting it aborts the exchange (with its reason). */
  signal: AbortSignal;
  /** The exchange fails with a TimeoutError after this long, however far it got. */
  timeoutMs: number;
}

/**
 * Sends a streaming chat request and decodes the answer into canonical parts as its bytes
 * arrive, onto the returned PartStream — no response stream, async iterator or generator in
 * between. The stream fails on any failure: a refused request (the adapter's classification),
 * an HTML answer, a cut connection, an in-band error, or an ending without a finish reason;
 * parts decoded before an in-band error in the same chunk are queued first. The client's
 * abort and the time limit abort the exchange, and so does a consumer that leaves early.
 */
export function openUpstreamStream(
  client: UpstreamClient,
  deployment: Deployment,
  request: ChatRequest,
  bounds: StreamBounds,
  override?: UpstreamOverride,
): PartStream {
  const stream = new PartStream();
  if (bounds.signal.aborted) {
    stream.fail(bounds.signal.reason);
    return stream;
  }
  const exchange = new StreamExchange(deployment, stream, bounds);
  stream.setProducer(exchange);
  try {
    client.dispatch(
      deployment.adapter.buildChatRequest(request, upstreamTarget(deployment, override)),
      {
        headersTimeoutMs: deployment.timeoutMs,
        bodyTimeoutMs: deployment.timeoutMs,
        pinnedAddresses: override?.addresses,
        connectionLimit: deployment.connectionLimit,
      },
      exchange,
    );
  } catch (error) {
    exchange.fail(isAbort(error) ? error : transportError(error, deployment.provider));
  }
  return stream;
}

/**
 * One streamed exchange, as undici's dispatch handler: it frames and decodes each chunk as it
 * arrives and pushes the parts; the PartStream pauses, resumes and cancels it.
 */
class StreamExchange implements Dispatcher.DispatchHandler, PartProducer {
  readonly #deployment: Deployment;
  readonly #stream: PartStream;
  readonly #signal: AbortSignal;
  readonly #timer: NodeJS.Timeout;
  #controller: Dispatcher.DispatchController | undefined;
  /** `waiting` for the answer; `streaming` it; `refused` (status ≥ 300: reading the error body); `over`. */
  #phase: 'waiting' | 'streaming' | 'refused' | 'over' = 'waiting';
  /** Why this side ended the exchange, for a controller that comes after. */
  #abortReason: unknown;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #errorBody = '';
  #parser: StreamParser | undefined;
  #decoder: StreamDecoder | undefined;
  #finished = false;
  readonly #onAbort = (): void => this.fail(this.#signal.reason);
  readonly #onTimeout = (): void => this.fail(new DOMException('the attempt timed out', 'TimeoutError'));

  constructor(deployment: Deployment, stream: PartStream, bounds: StreamBounds) {
    this.#deployment = deployment;
    this.#stream = stream;
    this.#signal = bounds.signal;
    bounds.signal.addEventListener('abort', this.#onAbort, { once: true });
    this.#timer = setTimeout(this.#onTimeout, bounds.timeoutMs);
    // Never what keeps the process up.
    this.#timer.unref();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#phase === 'over') controller.abort(this.#abortReason as Error);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // The raw header buffers (parsed already) would otherwise live as long as the stream.
    controller.rawHeaders = null;
    // 1xx answers are interim: the final status and headers follow.
    if (this.#phase !== 'waiting' || statusCode < 200) return;
    const deployment = this.#deployment;
    if (statusCode >= 300) {
      this.#phase = 'refused';
      this.#status = statusCode;
      this.#headers = headers;
      return;
    }
    if (String(headers['content-type'] ?? '').startsWith('text/html')) {
      this.fail(
        new GatewayError('INVALID_RESPONSE', `upstream ${deployment.provider} answered a stream with HTML`, {
          details: { provider: deployment.provider },
        }),
      );
      return;
    }
    this.#phase = 'streaming';
    this.#parser = deployment.adapter.streamFraming === 'ndjson' ? createNdjsonParser() : createSseParser();
    this.#decoder = deployment.adapter.createStreamDecoder(deployment.target);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#phase === 'refused') {
      if (this.#errorBody.length < MAX_ERROR_ANSWER_BYTES) this.#errorBody += chunk.toString('utf8');
      return;
    }
    if (this.#phase !== 'streaming') return;
    try {
      this.#decode((this.#parser as StreamParser).push(chunk));
    } catch (error) {
      this.fail(this.#cut(error));
    }
  }

  onResponseEnd(): void {
    if (this.#phase === 'refused') {
      this.fail(this.#refusal());
      return;
    }
    if (this.#phase !== 'streaming') return;
    const decoder = this.#decoder as StreamDecoder;
    const provider = this.#deployment.provider;
    try {
      this.#decode((this.#parser as StreamParser).end().events);
      for (const part of decoder.end()) this.#stream.push(part);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (!decoder.done && !this.#finished) {
      this.fail(
        new GatewayError('MODEL_ERROR', `upstream ${provider} stream ended before the message did`, {
          details: { provider, reason: 'stream cut' },
        }),
      );
    } else if (!this.#finished) {
      this.fail(
        new GatewayError('INVALID_RESPONSE', `upstream ${provider} stream ended without a finish reason`, {
          details: { provider },
        }),
      );
    } else {
      this.#close();
      this.#stream.end();
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    switch (this.#phase) {
      case 'waiting':
        this.fail(isAbort(error) ? error : transportError(error, this.#deployment.provider));
        break;
      case 'streaming':
        this.fail(this.#cut(error));
        break;
      case 'refused':
        // A body that fails to arrive still leaves the status to classify.
        this.fail(this.#refusal());
        break;
      case 'over':
        break;
    }
  }

  /** Ends the exchange with `error` (aborting what is still in flight); the first reason wins. */
  fail(error: unknown): void {
    if (this.#phase === 'over') return;
    this.#close();
    this.#abortReason = error;
    this.#stream.fail(error);
    this.#controller?.abort(error as Error);
  }

  pause(): void {
    if (this.#phase === 'streaming') this.#controller?.pause();
  }

  resume(): void {
    if (this.#phase === 'streaming') this.#controller?.resume();
  }

  /** The consumer left: leaving early must not leave the connection half-read. */
  cancel(): void {
    if (this.#phase === 'over') return;
    this.#close();
    this.#abortReason = new DOMException('the stream was left before its end', 'AbortError');
    this.#controller?.abort(this.#abortReason as Error);
  }

  #decode(events: StreamEvent[]): void {
    const decoder = this.#decoder as StreamDecoder;
    for (const event of events) {
      for (const part of decoder.push(event)) {
        if (part.type === 'finish') this.#finished = true;
        if (part.type === 'error') throw part.error;
        this.#stream.push(part);
      }
    }
  }

  #cut(error: unknown): unknown {
    if (error instanceof GatewayError || isAbort(error)) return error;
    const provider = this.#deployment.provider;
    return new GatewayError('MODEL_ERROR', `upstream ${provider} stream was cut`, {
      details: { provider, reason: (error as { code?: string }).code ?? 'connection lost' },
      cause: error,
    });
  }

  #refusal(): GatewayError {
    const body = this.#errorBody;
    return statusError(
      this.#deployment,
      this.#status,
      this.#headers,
      body.length > MAX_ERROR_ANSWER_BYTES ? body.slice(0, MAX_ERROR_ANSWER_BYTES) : body,
    );
  }

  #close(): void {
    this.#phase = 'over';
    this.#parser = undefined;
    this.#decoder = undefined;
    this.#errorBody = '';
    this.#signal.removeEventListener('abort', this.#onAbort);
    clearTimeout(this.#timer);
  }
}
