/**
 * @module http/routes/chat-completions
 * `POST /v1/chat/completions`: OpenAI wire in, canonical request through the gateway, OpenAI
 * wire out. Streams are written as the parts arrive, honouring back-pressure; a stream that
 * fails after commit ends with an error event and without `[DONE]`, so no client mistakes it
 * for a complete answer.
 */

import type { ChatRequest } from '../../core/chat.js';
import { toGatewayError } from '../../core/errors.js';
import type { Gateway, StreamOutcome } from '../../gateway/gateway.js';
import { createRequestContext, type RequestContext } from '../../gateway/request-context.js';
import { type BodyReceiver, readJsonBodyInto } from '../body.js';
import type { HttpContext } from '../context.js';
import { formatCostHeader, type Headers, sendError, sendJsonText } from '../respond.js';
import { mergeRouting, routingFromHeaders } from '../routing-headers.js';
import { writeChunk } from '../stream-writer.js';
import { decodeChatRequest } from '../wire/openai/decode-chat-request.js';
import { chatCompletionJson } from '../wire/openai/encode-chat-response.js';
import { createChatStreamEncoder } from '../wire/openai/encode-chat-stream.js';

export function servedHeaders(
  context: RequestContext,
  served: {
    model: { name: string };
    deployment: { provider: string };
    plan: { strategy: string; reason: string };
    attempts: number;
    headers?: Record<string, string>;
    cache?: 'hit' | 'miss' | 'skip';
  },
  costNanos?: number,
): Headers {
  // A literal, then the admission's headers copied in: `{ ...served.headers, more… }` (new keys
  // after a spread) costs V8 several µs per response.
  const headers: Headers = {
    'x-switchyard-route': headerSafe(served.plan.reason),
    'x-switchyard-request-id': context.requestId,
    'x-switchyard-model': served.model.name,
    'x-switchyard-provider': served.deployment.provider,
    'x-switchyard-strategy': served.plan.strategy,
    'x-switchyard-attempts': served.attempts,
    'x-switchyard-cache': served.cache ?? 'skip',
  };
  if (costNanos !== undefined) headers['x-switchyard-cost-usd'] = formatCostHeader(costNanos);
  const extra = served.headers;
  if (extra !== undefined) for (const name in extra) headers[name] = extra[name] as string;
  return headers;
}

/** What the decision traces' few non-ASCII characters become in a header; anything else is `?`. */
const ASCII_FOR: Readonly<Record<string, string>> = { '→': '->', '≥': '>=', '≤': '<=', '×': 'x', '—': '-' };
const NOT_PRINTABLE = /[^\x20-\x7e]/g;
const asciiFor = (character: string): string => ASCII_FOR[character] ?? '?';

let lastText = '';
let lastMax = 0;
let lastSafe = '';

/** A header value from free text: printable ASCII only, bounded, so no client can be confused by it. */
export function headerSafe(text: string, max = 512): string {
  // A route's plans repeat the same reason request after request: the last answer is kept.
  if (text === lastText && max === lastMax) return lastSafe;
  // One pass over the text (five replaceAll calls cost several µs).
  const ascii = text.replace(NOT_PRINTABLE, asciiFor);
  lastText = text;
  lastMax = max;
  lastSafe = ascii.length > max ? `${ascii.slice(0, max - 3)}...` : ascii;
  return lastSafe;
}

/** Decodes the body and the routing headers into a canonical request. */
function decodeChat(http: HttpContext, body: unknown): ChatRequest {
  const request = decodeChatRequest(body);
  const routing = mergeRouting(routingFromHeaders(http.req.headers), request.routing);
  if (routing) request.routing = routing;
  return request;
}

export function newContext(http: HttpContext, endpoint: string): RequestContext {
  return createRequestContext({
    requestId: http.requestId,
    endpoint,
    timeoutMs: http.requestTimeoutMs,
    signal: http.abort,
    caller: http.caller,
  });
}

/**
 * The body is read into a small per-request object rather than awaited: an async handler costs
 * its own promise and frame, the read's promise and its executor closure, an `await`, and the
 * server's `.catch` on what it returns (~0.1 µs per request, measured on that control flow
 * alone). What follows the body is one async function that answers every failure itself, so
 * nothing it returns needs a handler. Failures before it — the body's, its decoding's — are
 * answered by `http.fail`, as the server answers a handler that throws.
 */
export function chatCompletions(http: HttpContext): void {
  readJsonBodyInto(http.req, http.bodyLimitBytes, new ChatCompletion(http));
}

class ChatCompletion implements BodyReceiver {
  constructor(private readonly http: HttpContext) {}

  bodyRead(body: unknown): void {
    let request: ChatRequest;
    try {
      request = decodeChat(this.http, body);
    } catch (error) {
      this.http.fail(error);
      return;
    }
    void answerChat(this.http, request);
  }

  bodyFailed(error: unknown): void {
    this.http.fail(error);
  }
}

/** Runs the request and writes its answer or its error; never rejects (see chatCompletions). */
async function answerChat(http: HttpContext, request: ChatRequest): Promise<void> {
  const context = newContext(http, 'chat.completions');
  const { gateway, res } = http;
  try {
    if (!request.stream) {
      const outcome = await gateway.chat(request, context);
      sendJsonText(
        res,
        200,
        chatCompletionJson(outcome.result, {
          id: `chatcmpl-${context.requestId}`,
          model: outcome.model.name,
        }),
        servedHeaders(context, outcome, outcome.settlement.costNanos),
      );
      return;
    }
    const outcome = await gateway.stream(request, context);
    await writeStream(http, gateway, context, outcome, request.streamIncludeUsage === true);
  } catch (error) {
    try {
      sendError(res, toGatewayError(error), gateway.redactor, {
        'x-switchyard-request-id': context.requestId,
      });
    } catch (failure) {
      // What the server does with a handler's rejection (writing the error failed too).
      http.fail(failure);
    }
  }
}

async function writeStream(
  http: HttpContext,
  gateway: Gateway,
  context: RequestContext,
  outcome: StreamOutcome,
  includeUsage: boolean,
): Promise<void> {
  const { res } = http;
  const encoder = createChatStreamEncoder({
    id: `chatcmpl-${context.requestId}`,
    model: outcome.model.name,
    includeUsage,
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    trailer: 'x-switchyard-cost-usd',
    ...servedHeaders(context, outcome),
  });
  try {
    for await (const part of outcome.parts) {
      if (part.type === 'usage') continue; // written once settled, with the gateway's final numbers
      const text = encoder.encode(part);
      if (text === '') continue;
      // Only a full socket buffer is waited for: `await undefined` would still cost a turn per token.
      const drained = writeChunk(res, text);
      if (drained) await drained;
    }
    const settlement = outcome.finish();
    if (outcome.summary.status === 'ok') {
      const usageText = encoder.encode({ type: 'usage', usage: settlement.usage });
      if (usageText !== '') await writeChunk(res, usageText);
      await writeChunk(res, encoder.done());
    }
    if (!res.destroyed) {
      res.addTrailers({ 'x-switchyard-cost-usd': formatCostHeader(settlement.costNanos) });
      res.end();
    }
  } catch (error) {
    // Only a failed write lands here (the parts never throw): the client is gone.
    outcome.finish();
    gateway.logger.debug('stream write failed', {
      requestId: context.requestId,
      error: toGatewayError(error),
    });
    res.destroy();
  }
}
