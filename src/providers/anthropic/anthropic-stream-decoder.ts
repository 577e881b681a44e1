/**
 * @module providers/anthropic/anthropic-stream-decoder
 * Anthropic's stream events → canonical stream parts, for a single choice:
 *
 * - `message_start` → `start` (Anthropic sends no timestamp: `created` is 0); its usage holds
 *   the input classes, kept until the end.
 * - `content_block_start/delta/stop` → text deltas (`text_delta`), reasoning deltas
 *   (`thinking_delta`, and `signature_delta` as a reasoning delta with only a signature), and
 *   tool-call deltas (the id and name from the block start, then `input_json_delta` fragments),
 *   whose `index` is the call's position among the message's tool calls, not the block's index.
 *   Deltas of the reserved JSON-output tool are the answer's text. Redacted thinking and server
 *   tool blocks have no stream form and are skipped.
 * - `message_delta` → `finish` from `stop_reason`, then one `usage`: input classes from
 *   `message_start` unless this event repeats them, `output_tokens` as the final count.
 * - `message_stop` → `done`. `ping` and unknown event types are ignored, as Anthropic's
 *   versioning policy asks. An `error` event → an `error` part with a classified GatewayError.
 *
 * A stream that ends without `message_stop` and without a finish was cut: the executor reads
 * `done` and says so.
 */

import type { StreamPart } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, numberOr, stringOr } from '../shared/json.js';
import type { StreamDecoder, StreamEvent, UpstreamTarget } from '../spec.js';
import { classifyAnthropicInBandError } from './anthropic-error.js';
import { JSON_OUTPUT_TOOL } from './anthropic-json-output.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';
import {
  type AnthropicInputCounts,
  readInputCounts,
  thinkingTokens,
  toUsage,
} from './map-anthropic-usage.js';

interface OpenBlock {
  kind: 'text' | 'thinking' | 'tool' | 'json-output' | 'other';
  /** For tool blocks: the call's position among the message's tool calls. */
  toolIndex: number;
}

function malformed(target: UpstreamTarget, reason: string, cause?: unknown): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `malformed stream from upstream: ${reason}`, {
    details: { provider: target.provider },
    cause,
  });
}

export function createAnthropicStreamDecoder(target: UpstreamTarget): StreamDecoder {
  let done = false;
  let started = false;
  let finished = false;
  let inputCounts: AnthropicInputCounts | undefined;
  let toolCalls = 0;
  let answeredAsJson = false;
  /** Open content blocks by the upstream's block index (small, dense integers). */
  const blocks: (OpenBlock | undefined)[] = [];

  function startBlock(index: number, block: Record<string, unknown>, out: StreamPart[]): void {
    switch (block.type) {
      case 'text': {
        blocks[index] = { kind: 'text', toolIndex: -1 };
        const text = stringOr(block.text);
        if (text !== undefined && text !== '') out.push({ type: 'text-delta', choice: 0, text });
        return;
      }
      case 'thinking': {
        blocks[index] = { kind: 'thinking', toolIndex: -1 };
        const text = stringOr(block.thinking);
        if (text !== undefined && text !== '') out.push({ type: 'reasoning-delta', choice: 0, text });
        return;
      }
      case 'tool_use': {
        const name = stringOr(block.name) ?? '';
        // A proxy may send the whole input at the start instead of as deltas.
        const input = block.input;
        const initial = isRecord(input) && Object.keys(input).length > 0 ? JSON.stringify(input) : '';
        if (name === JSON_OUTPUT_TOOL) {
          blocks[index] = { kind: 'json-output', toolIndex: -1 };
          answeredAsJson = true;
          if (initial !== '') out.push({ type: 'text-delta', choice: 0, text: initial });
          return;
        }
        const toolIndex = toolCalls++;
        blocks[index] = { kind: 'tool', toolIndex };
        const part: Extract<StreamPart, { type: 'tool-call-delta' }> = {
          type: 'tool-call-delta',
          choice: 0,
          index: toolIndex,
          name,
          argumentsDelta: initial,
        };
        const id = stringOr(block.id);
        if (id !== undefined && id !== '') part.id = id;
        out.push(part);
        return;
      }
      default:
        blocks[index] = { kind: 'other', toolIndex: -1 };
    }
  }

  function blockDelta(index: number, delta: Record<string, unknown>, out: StreamPart[]): void {
    const block = blocks[index];
    if (block === undefined)
      throw malformed(target, `a delta for content block ${index}, which was not started`);
    switch (delta.type) {
      case 'text_delta': {
        const text = stringOr(delta.text);
        if (text !== undefined && text !== '') out.push({ type: 'text-delta', choice: 0, text });
        return;
      }
      case 'input_json_delta': {
        const json = stringOr(delta.partial_json);
        if (json === undefined || json === '') return;
        if (block.kind === 'json-output') out.push({ type: 'text-delta', choice: 0, text: json });
        else if (block.kind === 'tool') {
          out.push({ type: 'tool-call-delta', choice: 0, index: block.toolIndex, argumentsDelta: json });
        }
        return;
      }
      case 'thinking_delta': {
        const text = stringOr(delta.thinking);
        if (text !== undefined && text !== '') out.push({ type: 'reasoning-delta', choice: 0, text });
        return;
      }
      case 'signature_delta': {
        const signature = stringOr(delta.signature);
        if (signature !== undefined && signature !== '') {
          out.push({ type: 'reasoning-delta', choice: 0, text: '', signature });
        }
        return;
      }
      default:
        // citations_delta and deltas added later carry nothing the canonical stream has.
        return;
    }
  }

  function messageDelta(event: Record<string, unknown>, out: StreamPart[]): void {
    const delta = event.delta;
    if (isRecord(delta)) {
      const raw = stringOr(delta.stop_reason);
      if (raw !== undefined && !finished) {
        finished = true;
        let finishReason = mapAnthropicStopReason(raw);
        if (answeredAsJson && toolCalls === 0 && finishReason.unified === 'tool_calls') {
          finishReason = { unified: 'stop', raw };
        }
        out.push({ type: 'finish', choice: 0, finishReason });
      }
    }
    const usage = event.usage;
    if (isRecord(usage)) {
      const counts = readInputCounts(usage, inputCounts);
      inputCounts = counts;
      out.push({
        type: 'usage',
        usage: toUsage(counts, numberOr(usage.output_tokens) ?? 0, thinkingTokens(usage)),
      });
    }
  }

  return {
    get done(): boolean {
      return done;
    },

    push(event: StreamEvent): StreamPart[] {
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch (cause) {
        throw malformed(target, 'an event is not JSON', cause);
      }
      if (!isRecord(data)) throw malformed(target, 'an event is not a JSON object');
      const type = stringOr(data.type) ?? event.event;
      const out: StreamPart[] = [];
      switch (type) {
        case 'message_start': {
          const message = data.message;
          if (!isRecord(message)) throw malformed(target, 'message_start without a message');
          if (!started) {
            started = true;
            const model = stringOr(message.model);
            out.push({
              type: 'start',
              id: stringOr(message.id) ?? '',
              model: model === undefined || model === '' ? target.model : model,
              created: 0,
            });
          }
          if (isRecord(message.usage)) inputCounts = readInputCounts(message.usage);
          return out;
        }
        case 'content_block_start': {
          const index = numberOr(data.index);
          const block = data.content_block;
          if (index === undefined || !isRecord(block))
            throw malformed(target, 'content_block_start without a block');
          startBlock(index, block, out);
          return out;
        }
        case 'content_block_delta': {
          const index = numberOr(data.index);
          const delta = data.delta;
          if (index === undefined || !isRecord(delta))
            throw malformed(target, 'content_block_delta without a delta');
          blockDelta(index, delta, out);
          return out;
        }
        case 'message_delta':
          messageDelta(data, out);
          return out;
        case 'message_stop':
          done = true;
          return out;
        case 'error':
          return [{ type: 'error', error: classifyAnthropicInBandError(data, target) }];
        default:
          // content_block_stop, ping, and event types added later.
          return out;
      }
    },

    end(): StreamPart[] {
      return [];
    },
  };
}
