/**
 * @module mock-upstream/endpoints
 * The chat and embeddings endpoints of the mock upstream, independent of the wire: pick the
 * request's fault, wait out the profile's latency, answer early faults (HTTP errors, resets,
 * hangs, HTML), let the engine write the answer, deliver it with the content faults, and bill
 * exactly what was served. Tests that hit the mock directly can steer one request with headers:
 * `x-mock-fault: KIND[:N]`, `x-mock-latency-ms: N`, `x-mock-ttft-ms: N`.
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type BodyDamage, isGone, type Sleeper, type StreamCut, sendBody, sendStream } from './delivery.js';
import { embed } from './embedding.js';
import { type Directives, generateChat, readDirectives } from './engine.js';
import {
  FAULT_KINDS,
  type FaultKind,
  type FaultSpec,
  faultStatus,
  isCutFault,
  isHttpFault,
  parseFault,
  rollFault,
} from './faults.js';
import type { Random } from './random.js';
import { countPromptTokens, countTokens } from './tokens.js';
import { type ChatReply, isProblem, type MockUsage, type MockWire, type WireRoute } from './wire.js';

/** What one chat or embeddings request cost, as the upstream would bill it. */
export interface InvoiceEntry {
  /** The `x-request-id` response header (`req_mock_N`); a chat completion's id is `chatcmpl-mock-N`. */
  readonly requestId: string;
  readonly model: string;
  readonly endpoint: 'chat.completions' | 'embeddings';
  /** Prompt tokens, cached ones included; 0 when the request failed before any content. */
  readonly inputTokens: number;
  /** Output tokens actually sent (reasoning included): a stream cut after N tokens bills N. */
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly reasoningTokens: number;
  /** Prompt tokens written to the cache; only wires that report the class (Anthropic) bill it. */
  readonly cacheWriteTokens: number;
  readonly stream: boolean;
  /** The whole answer was sent and the response ended normally. */
  readonly completed: boolean;
  readonly fault?: FaultKind;
}

/** A model's settings, resolved once and cached by the server. */
export interface ModelState {
  readonly latencyMs: number;
  readonly ttftMs: number;
  readonly tokensPerS: number;
  readonly outputTokens: number | undefined;
  readonly dimensions: number;
  readonly faults: readonly FaultSpec[];
  readonly errorRate: number;
  readonly reasoningTokens: number;
  readonly cachedTokens: number;
  readonly cacheWriteTokens: number;
  readonly random: Random;
}

/** What the endpoints need from the server. */
export interface EndpointContext {
  readonly seed: number;
  readonly sleeper: Sleeper;
  modelState(model: string): ModelState;
  /** The next request number N, as in `req_mock_N`. */
  nextRequest(): number;
  bill(entry: InvoiceEntry): void;
}

const DEFAULT_SLOW_TRICKLE_MS = 200;
/** What a request that failed before any content bills. */
const UNSERVED_TOKENS = {
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  reasoningTokens: 0,
  cacheWriteTokens: 0,
} as const;
const NON_JSON_BODY =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';
const FAULT_MESSAGES: Record<number, string> = {
  500: 'The server had an error while processing your request. Sorry about that!',
  502: 'Bad gateway.',
  503: 'The engine is currently overloaded, please try again later.',
};

/** Answers an error in the wire's format. */
export function sendWireError(
  res: ServerResponse,
  wire: MockWire,
  status: number,
  message: string,
  param?: string | null,
): void {
  const error = wire.error(status, message, { param });
  sendBody(res, error.status, { ...error.headers }, error.body);
}

/** Header, then directive, then the model's dice; a string is an unknown fault name (answered 400). */
function chooseFault(
  headers: IncomingHttpHeaders,
  directives: Directives | undefined,
  state: ModelState,
): FaultSpec | string | undefined {
  const requested = headerValue(headers['x-mock-fault']) ?? directives?.fault;
  if (requested !== undefined) return parseFault(requested) ?? requested;
  return rollFault(state.faults, state.errorRate, state.random);
}

/** Faults answered before any content; returns true when the request is dealt with. */
function answerEarlyFault(
  res: ServerResponse,
  wire: MockWire,
  fault: FaultSpec,
  model: string,
  requestId: string,
): boolean {
  if (isHttpFault(fault.kind)) {
    const status = faultStatus(fault);
    const retryAfterS = fault.retry_after_s ?? (status === 429 ? 1 : undefined);
    const message =
      status === 429
        ? `Rate limit reached for ${model} on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in ${retryAfterS}s.`
        : (FAULT_MESSAGES[status] ?? 'The upstream failed.');
    const error = wire.error(status, message, { retryAfterS });
    sendBody(res, error.status, { ...error.headers, 'x-request-id': requestId }, error.body);
    return true;
  }
  switch (fault.kind) {
    case 'reset_before_headers':
      res.socket?.destroy();
      return true;
    case 'hang':
      // Never answered; close() drops the connection.
      return true;
    case 'non_json':
      sendBody(
        res,
        faultStatus(fault),
        { 'content-type': 'text/html', 'x-request-id': requestId },
        NON_JSON_BODY,
      );
      return true;
    default:
      return false;
  }
}

/** POST …/chat/completions. */
export async function serveChat(
  context: EndpointContext,
  req: IncomingMessage,
  res: ServerResponse,
  wire: MockWire,
  route: WireRoute,
  body: unknown,
): Promise<void> {
  const decoded = wire.decodeChat(body, route);
  if (isProblem(decoded)) return sendWireError(res, wire, 400, decoded.problem, decoded.param);
  const input = decoded.input;
  const state = context.modelState(input.model);
  const directives = readDirectives(input.messages, input.model);
  const fault = chooseFault(req.headers, directives, state);
  if (typeof fault === 'string') return sendWireError(res, wire, 400, unknownFault(fault), null);

  const id = context.nextRequest();
  const requestId = `req_mock_${id}`;
  const base = {
    requestId,
    model: input.model,
    endpoint: 'chat.completions',
    stream: decoded.stream,
  } as const;
  const unserved = { ...base, ...UNSERVED_TOKENS };
  const latencyMs = headerNumber(req.headers['x-mock-latency-ms']) ?? state.latencyMs;
  if (latencyMs > 0 && (!(await context.sleeper.sleep(latencyMs)) || isGone(res))) {
    return context.bill({ ...unserved, completed: false, ...faultField(fault) });
  }
  if (fault !== undefined && answerEarlyFault(res, wire, fault, input.model, requestId)) {
    return context.bill({ ...unserved, completed: false, fault: fault.kind });
  }

  const choices = generateChat(input, { seed: context.seed, outputTokens: state.outputTokens, directives });
  let outputTokens = state.reasoningTokens;
  for (const choice of choices) outputTokens += choice.tokens;
  const inputTokens = countPromptTokens(input.messages, input.tools);
  const cachedInputTokens = Math.min(state.cachedTokens, inputTokens);
  const usage: MockUsage = {
    inputTokens,
    outputTokens,
    cachedInputTokens,
    reasoningTokens: state.reasoningTokens,
    cacheWriteTokens: Math.min(state.cacheWriteTokens, inputTokens - cachedInputTokens),
  };
  const reply: ChatReply = {
    id: `chatcmpl-mock-${id}`,
    created: Math.floor(Date.now() / 1000),
    model: input.model,
    decoded,
    choices,
    usage: fault?.kind === 'missing_usage' ? undefined : usage,
    finished: fault?.kind !== 'no_finish',
  };
  const kind = fault?.kind;

  if (!decoded.stream) {
    if (kind === 'slow_trickle') {
      const interval = fault?.interval_ms ?? DEFAULT_SLOW_TRICKLE_MS;
      if (!(await context.sleeper.sleep(interval * outputTokens)) || isGone(res)) {
        return context.bill({ ...unserved, completed: false, fault: 'slow_trickle' });
      }
    }
    if (kind === 'inband_error') {
      const error = wire.error(500, 'The model produced an error mid-response.');
      sendBody(res, 200, { ...error.headers, 'x-request-id': requestId }, error.body);
      return context.bill({ ...unserved, completed: false, fault: kind });
    }
    const completed = sendBody(
      res,
      200,
      { 'content-type': 'application/json', 'x-request-id': requestId },
      wire.encodeChat(reply),
      bodyDamage(kind),
      fault?.after_bytes,
    );
    return context.bill({ ...base, ...usageFields(usage), completed, ...faultField(fault) });
  }

  let cut: StreamCut | undefined;
  if (kind !== undefined && isCutFault(kind)) {
    const answerTokens = outputTokens - state.reasoningTokens;
    cut = {
      afterTokens: fault?.after_tokens ?? Math.floor(answerTokens / 2),
      ending: kind === 'sse_cut' ? 'end' : kind === 'reset_after_bytes' ? 'reset' : 'tail',
      tail:
        kind === 'inband_error'
          ? wire.streamError('The model produced an error mid-stream.')
          : kind === 'malformed_json'
            ? wire.malformedFrame(reply)
            : undefined,
    };
  }
  const intervalMs =
    kind === 'slow_trickle'
      ? (fault?.interval_ms ?? DEFAULT_SLOW_TRICKLE_MS)
      : state.tokensPerS > 0
        ? 1000 / state.tokensPerS
        : 0;
  const outcome = await sendStream(
    res,
    {
      headers: {
        'content-type': wire.streamContentType ?? 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-request-id': requestId,
      },
      frames: wire.chatFrames(reply),
      ttftMs: headerNumber(req.headers['x-mock-ttft-ms']) ?? state.ttftMs,
      intervalMs,
      cut,
    },
    context.sleeper,
  );
  const started = outcome.served > 0 || outcome.completed;
  const reasoningTokens = started ? state.reasoningTokens : 0;
  context.bill({
    ...base,
    inputTokens: usage.inputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    cacheWriteTokens: usage.cacheWriteTokens ?? 0,
    outputTokens: outcome.served + reasoningTokens,
    reasoningTokens,
    completed: outcome.completed,
    ...faultField(fault),
  });
}

/** POST …/embeddings. */
export async function serveEmbeddings(
  context: EndpointContext,
  req: IncomingMessage,
  res: ServerResponse,
  wire: MockWire,
  route: WireRoute,
  body: unknown,
): Promise<void> {
  const decoded = wire.decodeEmbeddings(body, route);
  if (isProblem(decoded)) return sendWireError(res, wire, 400, decoded.problem, decoded.param);
  const state = context.modelState(decoded.model);
  const fault = chooseFault(req.headers, undefined, state);
  if (typeof fault === 'string') return sendWireError(res, wire, 400, unknownFault(fault), null);

  const requestId = `req_mock_${context.nextRequest()}`;
  const base = { requestId, model: decoded.model, endpoint: 'embeddings', stream: false } as const;
  const unserved = { ...base, ...UNSERVED_TOKENS };
  const latencyMs = headerNumber(req.headers['x-mock-latency-ms']) ?? state.latencyMs;
  if (latencyMs > 0 && (!(await context.sleeper.sleep(latencyMs)) || isGone(res))) {
    return context.bill({ ...unserved, completed: false, ...faultField(fault) });
  }
  if (fault !== undefined && answerEarlyFault(res, wire, fault, decoded.model, requestId)) {
    return context.bill({ ...unserved, completed: false, fault: fault.kind });
  }
  const dimensions = decoded.dimensions ?? state.dimensions;
  let inputTokens = 0;
  const vectors: Float32Array[] = [];
  for (const item of decoded.inputs) {
    inputTokens += typeof item === 'string' ? countTokens(item) : item.length;
    vectors.push(embed(item, decoded.model, dimensions, context.seed));
  }
  const usage: MockUsage = { inputTokens, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };
  const completed = sendBody(
    res,
    200,
    { 'content-type': 'application/json', 'x-request-id': requestId },
    wire.encodeEmbeddings(decoded, vectors, fault?.kind === 'missing_usage' ? undefined : usage),
    bodyDamage(fault?.kind),
    fault?.after_bytes,
  );
  context.bill({ ...base, ...usageFields(usage), completed, ...faultField(fault) });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function headerNumber(value: string | string[] | undefined): number | undefined {
  const text = headerValue(value);
  if (text === undefined) return undefined;
  const number = Number(text);
  return Number.isFinite(number) && number >= 0 ? number : undefined;
}

function unknownFault(name: string): string {
  return `Unknown mock fault '${name}'. Known faults: ${FAULT_KINDS.join(', ')} (optionally KIND:N).`;
}

function bodyDamage(kind: FaultKind | undefined): BodyDamage | undefined {
  if (kind === 'malformed_json' || kind === 'sse_cut') return 'truncate';
  if (kind === 'reset_after_bytes') return 'reset';
  return undefined;
}

function usageFields(usage: MockUsage) {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    reasoningTokens: usage.reasoningTokens,
    cacheWriteTokens: usage.cacheWriteTokens ?? 0,
  };
}

function faultField(fault: FaultSpec | string | undefined): { fault?: FaultKind } {
  return typeof fault === 'object' ? { fault: fault.kind } : {};
}
