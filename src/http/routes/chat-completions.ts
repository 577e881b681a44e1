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
import { readJsonBody } from '../body.js';
import type { HttpContext } from '../context.js';
import { formatCostHeader, type Headers, sendError, sendJsonText } from '../respond.js';
import { mergeRouting, routingFromHeaders } from '../routing-headers.js';
import { writeChunk } from '../stream-writer.js';
import { decodeChatRequest } from '../wire/openai/decode-chat-request.js';
import { encodeChatResponse, stringifyChatCompletion } from '../wire/openai/encode-chat-response.js';
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

export async function chatCompletions(http: HttpContext): Promise<void> {
  // The body is awaited here, not in an async helper: each async frame costs a promise and a turn.
  const request = decodeChat(http, await readJsonBody(http.req, http.bodyLimitBytes));
  const context = newContext(http, 'chat.completions');
  const { gateway, res } = http;
  try {
    if (!request.stream) {
      const outcome = await gateway.chat(request, context);
      const body = encodeChatResponse(outcome.result, {
        id: `chatcmpl-${context.requestId}`,
        model: outcome.model.name,
      });
      sendJsonText(
        res,
        200,
        stringifyChatCompletion(body),
        servedHeaders(context, outcome, outcome.settlement.costNanos),
      );
      return;
    }
    const outcome = await gateway.stream(request, context);
    await writeStream(http, gateway, context, outcome, request.streamIncludeUsage === true);
  } catch (error) {
    sendError(res, toGatewayError(error), gateway.redactor, { 'x-switchyard-request-id': context.requestId });
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
