/**
 * @module http/wire/anthropic/encode-messages-response
 * Canonical ChatResult → the `message` object an Anthropic client expects, from the first
 * choice: thinking (with its signature), redacted thinking and text blocks in the order the
 * upstream gave them (adjacent text parts joined, an OpenAI refusal as text), then one `tool_use`
 * block per tool call with `input` parsed from the arguments. A call without an id gets a
 * `toolu_` id, so the client can send its result back. Arguments that are not a JSON object
 * (an upstream cut short by max_tokens) become `{}`: Anthropic's `input` is always an object.
 */

import { randomBytes } from 'node:crypto';
import type { ChatResult, ContentPart } from '../../../core/chat.js';
import type {
  AnthropicResponseBlock,
  AnthropicThinkingBlock,
} from '../../../providers/anthropic/anthropic-messages-api.js';
import {
  type AnthropicStopReason,
  type AnthropicWireUsage,
  encodeStopReason,
  encodeUsage,
} from './encode-anthropic-fields.js';

export interface AnthropicMessageResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicResponseBlock[];
  stop_reason: AnthropicStopReason;
  stop_sequence: null;
  usage: AnthropicWireUsage;
}

/** A fresh tool-use id in Anthropic's form, for calls whose upstream gave none. */
export function newToolUseId(): string {
  return `toolu_${randomBytes(12).toString('base64url')}`;
}

/** A message id from the gateway's request id: `msg_` and the UUID's hex digits. */
export function messageIdFor(requestId: string): string {
  return `msg_${requestId.replaceAll('-', '')}`;
}

/** Tool-call arguments as the object Anthropic's `input` must be. */
export function toolInput(args: string): Record<string, unknown> {
  if (args === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Falls through to the empty input.
  }
  return {};
}

function contentBlocks(parts: readonly ContentPart[], out: AnthropicResponseBlock[]): void {
  let text: { type: 'text'; text: string } | undefined;
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        if (text === undefined) {
          text = { type: 'text', text: part.text };
          out.push(text);
        } else {
          text.text += part.text;
        }
        continue;
      case 'thinking': {
        const block: AnthropicThinkingBlock = {
          type: 'thinking',
          thinking: part.text,
          signature: part.signature ?? '',
        };
        out.push(block);
        break;
      }
      case 'redacted_thinking':
        out.push({ type: 'redacted_thinking', data: part.data });
        break;
      case 'image':
        continue;
    }
    text = undefined;
  }
}

export function encodeMessagesResponse(
  result: ChatResult,
  opts: { id: string; model: string },
): AnthropicMessageResponse {
  const choice = result.choices[0];
  const content: AnthropicResponseBlock[] = [];
  if (choice !== undefined) {
    const message = choice.message;
    contentBlocks(message.content, content);
    if (message.refusal !== undefined && message.refusal !== '')
      content.push({ type: 'text', text: message.refusal });
    for (const call of message.toolCalls ?? []) {
      content.push({
        type: 'tool_use',
        id: call.id === '' ? newToolUseId() : call.id,
        name: call.name,
        input: toolInput(call.arguments),
      });
    }
  }
  return {
    id: opts.id,
    type: 'message',
    role: 'assistant',
    model: opts.model,
    content,
    stop_reason: choice === undefined ? 'end_turn' : encodeStopReason(choice.finishReason),
    stop_sequence: null,
    usage: encodeUsage(result.usage),
  };
}
