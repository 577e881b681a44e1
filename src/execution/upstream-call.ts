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

import type { ChatRequest, StreamPart } from '../core/chat.js';
import { GatewayError } from '../core/errors.js';
import { createNdjsonParser } from '../providers/shared/ndjson-parser.js';
import { createSseParser } from '../providers/shared/sse-parser.js';
import type { HttpRequest, StreamEvent, UpstreamTarget } from '../providers/spec.js';
import type { Deployment } from '../registry/registry.js';
import type { UpstreamOverride } from '../security/upstream-guard.js';
import { isAbort, transportError } from './transport-error.js';
import type { BufferedResponse, UpstreamClient } from './upstream-client.js';

type Response = Awaited<ReturnType<UpstreamClient['send']>>;

const MAX_ERROR_BODY = 64 * 1024;

export async function readErrorBody(response: Response): Promise<string> {
  let text = '';
  try {
    for await (const chunk of response.body) {
      if (text.length < MAX_ERROR_BODY) text += (chunk as Buffer).toString('utf8');
    }
  } catch {
    // A body that fails to arrive still leaves the status to classify.
  }
  return text.length > MAX_ERROR_BODY ? text.slice(0, MAX_ERROR_BODY) : text;
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
      ...(override === undefined ? {} : { pinnedAddresses: override.addresses }),
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
 * A non-streamed call: sends the request and reads the whole answer as JSON in one exchange
 * (no response stream), with the same errors as `sendUpstream` + `readJson`. It ends itself
 * with a TimeoutError after `timeoutMs`, as a per-attempt controller would.
 */
export async function exchangeJson(
  client: UpstreamClient,
  deployment: Deployment,
  httpRequest: HttpRequest,
  signal: AbortSignal,
  timeoutMs: number,
  override?: UpstreamOverride,
): Promise<unknown> {
  let response: BufferedResponse;
  try {
    response = await client.exchange(httpRequest, {
      signal,
      timeoutMs,
      headersTimeoutMs: deployment.timeoutMs,
      bodyTimeoutMs: deployment.timeoutMs,
      ...(override === undefined ? {} : { pinnedAddresses: override.addresses }),
    });
  } catch (error) {
    throw isAbort(error) ? error : transportError(error, deployment.provider);
  }
  if (response.statusCode >= 300) {
    const length = Math.min(response.body.length, MAX_ERROR_BODY);
    throw statusError(
      deployment,
      response.statusCode,
      response.headers,
      response.body.toString('utf8', 0, length),
    );
  }
  return parseJsonBody(deployment, response.body.toString('utf8'));
}

/** Sends a streaming chat request and yields its canonical parts; throws on any failure. */
export async function* openUpstreamStream(
  client: UpstreamClient,
  deployment: Deployment,
  request: ChatRequest,
  signal: AbortSignal,
  override?: UpstreamOverride,
): AsyncGenerator<StreamPart, void> {
  const response = await sendUpstream(
    client,
    deployment,
    deployment.adapter.buildChatRequest(request, upstreamTarget(deployment, override)),
    signal,
    override,
  );
  const contentType = String(response.headers['content-type'] ?? '');
  if (contentType.startsWith('text/html')) {
    throw new GatewayError(
      'INVALID_RESPONSE',
      `upstream ${deployment.provider} answered a stream with HTML`,
      {
        details: { provider: deployment.provider },
      },
    );
  }
  const parser = deployment.adapter.streamFraming === 'ndjson' ? createNdjsonParser() : createSseParser();
  const decoder = deployment.adapter.createStreamDecoder(deployment.target);
  let finished = false;
  // A generator, so parts decoded before an in-band error in the same chunk still go out first.
  function* decode(events: StreamEvent[]): Generator<StreamPart> {
    for (const event of events) {
      for (const part of decoder.push(event)) {
        if (part.type === 'finish') finished = true;
        if (part.type === 'error') throw part.error;
        yield part;
      }
    }
  }
  try {
    for await (const chunk of response.body) {
      yield* decode(parser.push(chunk as Buffer));
    }
  } catch (error) {
    if (error instanceof GatewayError || isAbort(error)) throw error;
    throw new GatewayError('MODEL_ERROR', `upstream ${deployment.provider} stream was cut`, {
      details: {
        provider: deployment.provider,
        reason: (error as { code?: string }).code ?? 'connection lost',
      },
      cause: error,
    });
  } finally {
    // Leaving early (client gone, per-try timeout) must not leave the socket half-read.
    if (!response.body.destroyed) response.body.destroy();
  }
  const tail = parser.end();
  yield* decode(tail.events);
  for (const part of decoder.end()) yield part;
  if (!decoder.done && !finished) {
    throw new GatewayError(
      'MODEL_ERROR',
      `upstream ${deployment.provider} stream ended before the message did`,
      {
        details: { provider: deployment.provider, reason: 'stream cut' },
      },
    );
  }
  if (!finished) {
    throw new GatewayError(
      'INVALID_RESPONSE',
      `upstream ${deployment.provider} stream ended without a finish reason`,
      {
        details: { provider: deployment.provider },
      },
    );
  }
}
