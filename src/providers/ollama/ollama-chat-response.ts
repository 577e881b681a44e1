/**
 * @module providers/ollama/ollama-chat-response
 * A non-stream `/api/chat` response → canonical ChatResult. Ollama gives no message id, so one is
 * made from `created_at`; tool calls get Ollama's `id` when a recent server sends one, else a
 * stable `call_<n>` (their position), and their arguments object becomes the canonical JSON
 * text. The thinking trace becomes a thinking part ahead of the text. A body that is not an
 * object, or whose message or tool calls have the wrong shape, is INVALID_RESPONSE (retryable);
 * an `{"error": …}` that came with a 200 is classified like an HTTP error.
 */

import type { AssistantMessage, ChatResult, ContentPart, ToolCall } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, stringOr } from '../shared/json.js';
import type { UpstreamTarget } from '../spec.js';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.js';
import { mapOllamaUsage } from './map-ollama-usage.js';
import { classifyOllamaInBandError } from './ollama-error.js';

export function invalidOllamaResponse(target: UpstreamTarget, reason: string, cause?: unknown): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `invalid response from upstream: ${reason}`, {
    details: { provider: target.provider },
    cause,
  });
}

/** Milliseconds since the epoch of `created_at`; 0 when absent or unreadable. */
function createdMs(body: Record<string, unknown>): number {
  const text = body.created_at;
  if (typeof text !== 'string') return 0;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? 0 : ms;
}

/** The `start` fields of a response or of a stream's first line. */
export function ollamaMessageMeta(
  body: Record<string, unknown>,
  target: UpstreamTarget,
): { id: string; model: string; created: number } {
  const ms = createdMs(body);
  const model = stringOr(body.model);
  return {
    id: `ollama-${ms}`,
    model: model === undefined || model === '' ? target.model : model,
    created: Math.floor(ms / 1000),
  };
}

/** One wire tool call → canonical; `position` counts calls across the whole message. */
export function ollamaToolCall(value: unknown, position: number, target: UpstreamTarget): ToolCall {
  const fn = isRecord(value) ? value.function : undefined;
  if (!isRecord(value) || !isRecord(fn) || typeof fn.name !== 'string') {
    throw invalidOllamaResponse(target, `tool_calls[${position}] is not a function call`);
  }
  const args = fn.arguments;
  const id = stringOr(value.id);
  return {
    id: id === undefined || id === '' ? `call_${position}` : id,
    name: fn.name,
    // Documented as an object; a proxy may already have turned it into JSON text.
    arguments:
      typeof args === 'string' ? args : args === undefined || args === null ? '{}' : JSON.stringify(args),
  };
}

export function parseOllamaChatResponse(body: unknown, target: UpstreamTarget): ChatResult {
  if (!isRecord(body)) throw invalidOllamaResponse(target, 'the body is not a JSON object');
  if (body.error !== undefined && body.error !== null && body.message === undefined) {
    throw classifyOllamaInBandError(body, target);
  }
  const content: ContentPart[] = [];
  const assistant: AssistantMessage = { role: 'assistant', content };
  // The documented final object of a chat may carry no message at all.
  const message = body.message ?? {};
  if (!isRecord(message)) throw invalidOllamaResponse(target, 'message is not an object');
  const thinking = message.thinking;
  if (typeof thinking === 'string' && thinking !== '') content.push({ type: 'thinking', text: thinking });
  const text = message.content;
  if (text !== undefined && text !== null && typeof text !== 'string') {
    throw invalidOllamaResponse(target, 'message.content is not text');
  }
  if (typeof text === 'string' && text !== '') content.push({ type: 'text', text });
  const rawCalls = message.tool_calls;
  if (rawCalls !== undefined && rawCalls !== null) {
    if (!Array.isArray(rawCalls)) throw invalidOllamaResponse(target, 'message.tool_calls is not an array');
    if (rawCalls.length > 0) {
      const calls: ToolCall[] = new Array(rawCalls.length);
      for (let i = 0; i < rawCalls.length; i++) calls[i] = ollamaToolCall(rawCalls[i], i, target);
      assistant.toolCalls = calls;
    }
  }
  const meta = ollamaMessageMeta(body, target);
  return {
    id: meta.id,
    model: meta.model,
    created: meta.created,
    choices: [
      {
        index: 0,
        message: assistant,
        finishReason: mapOllamaFinishReason(stringOr(body.done_reason), assistant.toolCalls !== undefined),
      },
    ],
    usage: mapOllamaUsage(body),
  };
}
