/**
 * @module http/wire/anthropic/encode-messages-stream
 * Canonical stream parts → Anthropic server-sent events, in the order Anthropic sends them:
 * `message_start`, then per content block `content_block_start`, deltas and
 * `content_block_stop`, then `message_delta` (stop reason and usage) and `message_stop`. Every
 * event carries its `event:` line: the Anthropic SDK skips data without an event name.
 *
 * Parts map to blocks as they come: text and refusal deltas to a `text` block, reasoning deltas
 * to a `thinking` block (a signature to a `signature_delta`), tool-call deltas to one `tool_use`
 * block per call (its id, or a fresh `toolu_` id, and name in the block start; argument
 * fragments as `input_json_delta`). A new kind of part closes the open block. Upstreams that
 * interleave fragments of several calls have theirs sent to the block opened for that call.
 *
 * The usage in `message_start` is zero: it is not known yet. `end(usage)` writes the final usage
 * — all classes, as Anthropic's cumulative `message_delta` usage does — once the gateway settled
 * it. An `error` part becomes `event: error` with Anthropic's error body; the caller must then end
 * the response WITHOUT `end()`: no `message_stop`, so no client takes a failed stream for a
 * complete message (DESIGN.md §5), and the Anthropic SDK throws on the error event.
 */

import type { StreamPart } from '../../../core/chat.js';
import type { FinishReason } from '../../../core/finish-reason.js';
import type { Usage } from '../../../core/usage.js';
import { encodeAnthropicError, encodeStopReason, encodeUsage } from './encode-anthropic-fields.js';
import { newToolUseId } from './encode-messages-response.js';

export interface MessagesStreamEncoder {
  /** SSE text for one part; may be the empty string when the part has no wire form. */
  encode(part: StreamPart): string;
  /** The closing events — `message_delta` with the final usage, `message_stop` — after a stream that did not fail. */
  end(usage: Usage): string;
}

function event(name: string, data: string): string {
  return `event: ${name}\ndata: ${data}\n\n`;
}

export function createMessagesStreamEncoder(opts: {
  id: string;
  model: string;
  requestId?: string;
}): MessagesStreamEncoder {
  let started = false;
  /** Index of the next content block, and the kind of the open one. */
  let nextIndex = 0;
  let open: 'text' | 'thinking' | 'tool' | undefined;
  /** Content-block index of each tool call, by the call's position. */
  const toolBlocks: number[] = [];
  let finishReason: FinishReason | undefined;

  function start(): string {
    if (started) return '';
    started = true;
    const message = {
      id: opts.id,
      type: 'message',
      role: 'assistant',
      model: opts.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 0,
      },
    };
    return event('message_start', JSON.stringify({ type: 'message_start', message }));
  }

  function close(): string {
    if (open === undefined) return '';
    open = undefined;
    return event('content_block_stop', `{"type":"content_block_stop","index":${nextIndex - 1}}`);
  }

  /** Opens a block of `kind` unless one is open; returns the events that takes. */
  function ensure(kind: 'text' | 'thinking', block: string): string {
    if (open === kind) return start();
    const text = start() + close();
    open = kind;
    return (
      text +
      event(
        'content_block_start',
        `{"type":"content_block_start","index":${nextIndex++},"content_block":${block}}`,
      )
    );
  }

  function delta(index: number, body: string): string {
    return event('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":${body}}`);
  }

  function toolCall(part: Extract<StreamPart, { type: 'tool-call-delta' }>): string {
    let text = start();
    // A fragment of an earlier call goes to that call's block, which the SDK still accumulates.
    let index = toolBlocks[part.index];
    if (index === undefined) {
      text += close();
      index = nextIndex++;
      toolBlocks[part.index] = index;
      open = 'tool';
      const id = part.id === undefined || part.id === '' ? newToolUseId() : part.id;
      text += event(
        'content_block_start',
        `{"type":"content_block_start","index":${index},"content_block":{"type":"tool_use","id":${JSON.stringify(id)},"name":${JSON.stringify(part.name ?? '')},"input":{}}}`,
      );
    }
    if (part.argumentsDelta !== '') {
      text += delta(
        index,
        `{"type":"input_json_delta","partial_json":${JSON.stringify(part.argumentsDelta)}}`,
      );
    }
    return text;
  }

  return {
    encode(part: StreamPart): string {
      switch (part.type) {
        case 'start':
          return start();
        case 'text-delta':
        case 'refusal-delta':
          if (part.choice !== 0 || part.text === '') return '';
          return (
            ensure('text', '{"type":"text","text":""}') +
            delta(nextIndex - 1, `{"type":"text_delta","text":${JSON.stringify(part.text)}}`)
          );
        case 'reasoning-delta': {
          if (part.choice !== 0) return '';
          let text = ensure('thinking', '{"type":"thinking","thinking":"","signature":""}');
          if (part.text !== '') {
            text += delta(nextIndex - 1, `{"type":"thinking_delta","thinking":${JSON.stringify(part.text)}}`);
          }
          if (part.signature !== undefined && part.signature !== '') {
            text += delta(
              nextIndex - 1,
              `{"type":"signature_delta","signature":${JSON.stringify(part.signature)}}`,
            );
          }
          return text;
        }
        case 'tool-call-delta':
          return part.choice === 0 ? toolCall(part) : '';
        case 'finish':
          if (part.choice === 0) finishReason = part.finishReason;
          return '';
        case 'error':
          // Without details: they went to the logs, and this event is not passed through the redactor.
          return event('error', JSON.stringify(encodeAnthropicError(part.error, opts.requestId, false)));
        case 'usage':
        case 'logprobs':
          return '';
      }
    },

    end(usage: Usage): string {
      const stopReason = finishReason === undefined ? 'end_turn' : encodeStopReason(finishReason);
      const messageDelta = {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: encodeUsage(usage),
      };
      return (
        start() +
        close() +
        event('message_delta', JSON.stringify(messageDelta)) +
        event('message_stop', '{"type":"message_stop"}')
      );
    },
  };
}
