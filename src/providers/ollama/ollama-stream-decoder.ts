/**
 * @module providers/ollama/ollama-stream-decoder
 * Ollama's NDJSON chat stream → canonical stream parts. Every line is a whole JSON object: the
 * first one opens the stream (`start`, with an id made from `created_at`), `message.thinking`
 * and `message.content` become reasoning and text deltas, and tool calls — which Ollama sends
 * whole, never in fragments — become one tool-call delta each, carrying id, name and the full
 * arguments JSON text. The line with `done: true` brings `done_reason` and the counts: the finish,
 * the usage (when the server reported it) and the end of the message. An `{"error": …}` line
 * becomes an `error` part. A stream that stops before `done: true` leaves `done` false, which the
 * executor treats as a cut.
 */

import type { StreamPart } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, stringOr } from '../shared/json.js';
import type { StreamDecoder, StreamEvent, UpstreamTarget } from '../spec.js';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.js';
import { mapOllamaUsage, reportsUsage } from './map-ollama-usage.js';
import { ollamaMessageMeta, ollamaToolCall } from './ollama-chat-response.js';
import { classifyOllamaInBandError } from './ollama-error.js';

function malformed(target: UpstreamTarget, reason: string, cause?: unknown): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `malformed stream from upstream: ${reason}`, {
    details: { provider: target.provider },
    cause,
  });
}

export function createOllamaStreamDecoder(target: UpstreamTarget): StreamDecoder {
  let started = false;
  let done = false;
  /** Tool calls seen so far: the next one's index in the message. */
  let toolCalls = 0;

  return {
    get done(): boolean {
      return done;
    },
    push(event: StreamEvent): StreamPart[] {
      let line: unknown;
      try {
        line = JSON.parse(event.data);
      } catch (cause) {
        throw malformed(target, 'a line is not JSON', cause);
      }
      if (!isRecord(line)) throw malformed(target, 'a line is not a JSON object');
      if (line.error !== undefined && line.error !== null) {
        return [{ type: 'error', error: classifyOllamaInBandError(line, target) }];
      }
      const out: StreamPart[] = [];
      if (!started) {
        started = true;
        out.push({ type: 'start', ...ollamaMessageMeta(line, target) });
      }
      const message = line.message;
      if (isRecord(message)) {
        const thinking = message.thinking;
        if (typeof thinking === 'string' && thinking !== '') {
          out.push({ type: 'reasoning-delta', choice: 0, text: thinking });
        }
        const content = message.content;
        if (typeof content === 'string' && content !== '')
          out.push({ type: 'text-delta', choice: 0, text: content });
        const calls = message.tool_calls;
        if (Array.isArray(calls)) {
          for (const value of calls) {
            const call = ollamaToolCall(value, toolCalls, target);
            out.push({
              type: 'tool-call-delta',
              choice: 0,
              index: toolCalls,
              id: call.id,
              name: call.name,
              argumentsDelta: call.arguments,
            });
            toolCalls++;
          }
        }
      }
      if (line.done === true) {
        out.push({
          type: 'finish',
          choice: 0,
          finishReason: mapOllamaFinishReason(stringOr(line.done_reason), toolCalls > 0),
        });
        if (reportsUsage(line)) out.push({ type: 'usage', usage: mapOllamaUsage(line) });
        done = true;
      }
      return out;
    },
    end(): StreamPart[] {
      return [];
    },
  };
}
