/**
 * @module http/routes/messages
 * `POST /v1/messages`: Anthropic wire in, canonical request through the gateway to whichever
 * provider the route picks, Anthropic wire out — so the official Anthropic SDK can use
 * Switchyard. Streams are written as the parts arrive, honouring back-pressure; a stream that
 * fails after commit ends with an `error` event and without `message_stop`.
 *
 * Errors answer Anthropic's envelope `{type: 'error', error: {type, message, code, details}}`
 * (see `encode-anthropic-fields.ts`) rather than DESIGN.md's `{error: {…}}`, so Anthropic clients
 * parse them; the gateway's code and details are inside. Errors raised before this handler runs
 * (no route, authentication) keep the gateway envelope, which the Anthropic SDK also reads
 * (`error.type`, `error.message`).
 */

import type { ServerResponse } from 'node:http';
import type { ChatRequest } from '../../core/chat.js';
import { type GatewayError, toGatewayError } from '../../core/errors.js';
import type { Gateway, StreamOutcome } from '../../gateway/gateway.js';
import type { RequestContext } from '../../gateway/request-context.js';
import { readJsonBody } from '../body.js';
import type { HttpContext } from '../context.js';
import { formatCostHeader, type Headers, sendJson } from '../respond.js';
import { mergeRouting, routingFromHeaders } from '../routing-headers.js';
import { writeChunk } from '../stream-writer.js';
import { decodeMessagesRequest } from '../wire/anthropic/decode-messages-request.js';
import { encodeAnthropicError } from '../wire/anthropic/encode-anthropic-fields.js';
import { encodeMessagesResponse, messageIdFor } from '../wire/anthropic/encode-messages-response.js';
import { createMessagesStreamEncoder } from '../wire/anthropic/encode-messages-stream.js';
import { newContext, servedHeaders } from './chat-completions.js';

function sendAnthropicError(http: HttpContext, error: GatewayError, requestId: string): void {
  const { res } = http;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Headers = { 'x-switchyard-request-id': requestId, 'request-id': requestId };
  if (error.retryAfterMs !== undefined && (error.status === 429 || error.status === 503)) {
    headers['retry-after'] = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
  }
  if (error.code === 'PAYLOAD_TOO_LARGE') headers.connection = 'close';
  sendJson(res, error.status, http.gateway.redactor.value(encodeAnthropicError(error, requestId)), headers);
  // An oversized body is not read any further: Node closes the connection after the answer.
  if (error.code !== 'PAYLOAD_TOO_LARGE') http.req.resume();
}

async function readMessagesRequest(http: HttpContext): Promise<ChatRequest> {
  const body = await readJsonBody(http.req, http.bodyLimitBytes);
  const request = decodeMessagesRequest(body);
  const routing = mergeRouting(routingFromHeaders(http.req.headers), request.routing);
  if (routing) request.routing = routing;
  return request;
}

export async function messages(http: HttpContext): Promise<void> {
  const context = newContext(http, 'messages');
  const { gateway, res } = http;
  try {
    const request = await readMessagesRequest(http);
    const id = messageIdFor(context.requestId);
    if (!request.stream) {
      const outcome = await gateway.chat(request, context);
      const body = encodeMessagesResponse(outcome.result, { id, model: outcome.model.name });
      sendJson(res, 200, body, {
        ...servedHeaders(context, outcome, outcome.settlement.costNanos),
        'request-id': context.requestId,
      });
      return;
    }
    const outcome = await gateway.stream(request, context);
    await writeStream(res, gateway, context, outcome, id);
  } catch (error) {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'INTERNAL') {
      gateway.logger.error('messages handler failed', { requestId: context.requestId, error });
    }
    sendAnthropicError(http, gatewayError, context.requestId);
  }
}

async function writeStream(
  res: ServerResponse,
  gateway: Gateway,
  context: RequestContext,
  outcome: StreamOutcome,
  id: string,
): Promise<void> {
  const encoder = createMessagesStreamEncoder({
    id,
    model: outcome.model.name,
    requestId: context.requestId,
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    trailer: 'x-switchyard-cost-usd',
    'request-id': context.requestId,
    ...servedHeaders(context, outcome),
  });
  try {
    for await (const part of outcome.parts) {
      if (part.type === 'usage') continue; // written once settled, with the gateway's final numbers
      const text = encoder.encode(part);
      if (text !== '') await writeChunk(res, text);
    }
    const settlement = outcome.finish();
    if (outcome.summary.status === 'ok') await writeChunk(res, encoder.end(settlement.usage));
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
