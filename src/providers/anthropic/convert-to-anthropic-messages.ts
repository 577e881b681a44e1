/**
 * @module providers/anthropic/convert-to-anthropic-messages
 * Canonical messages → Anthropic's `system` and `messages`. System messages, wherever they stand,
 * become top-level `system` text blocks (their `cache_control` kept); the rest become
 * alternating user and assistant turns, consecutive messages of one role merged into one turn
 * as Anthropic requires. Tool results become `tool_result` blocks of a user turn, placed before
 * any text of that turn (Anthropic rejects a tool result that follows text); assistant tool calls
 * become `tool_use` blocks with the arguments parsed into an object. Thinking parts are sent
 * back with their signatures; a thinking part without a signature (another provider's
 * reasoning) is dropped, because Anthropic rejects unsigned thinking. Empty text is dropped too
 * (Anthropic rejects empty text blocks), and a turn left with nothing is left out.
 */

import type {
  AssistantMessage,
  ContentPart,
  ImagePart,
  Message,
  TextPart,
  ToolMessage,
} from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import { isRecord } from '../shared/json.js';
import type {
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
} from './anthropic-messages-api.js';

export interface AnthropicConversation {
  system: AnthropicTextBlock[];
  messages: AnthropicMessageParam[];
}

interface Turn {
  role: 'user' | 'assistant';
  blocks: AnthropicRequestBlock[];
}

function textBlock(part: TextPart): AnthropicTextBlock {
  const block: AnthropicTextBlock = { type: 'text', text: part.text };
  if (part.cacheControl !== undefined) {
    block.cache_control =
      part.cacheControl.ttl === undefined
        ? { type: 'ephemeral' }
        : { type: 'ephemeral', ttl: part.cacheControl.ttl };
  }
  return block;
}

function imageBlock(part: ImagePart): AnthropicImageBlock | undefined {
  if (part.data !== undefined) {
    return {
      type: 'image',
      source: { type: 'base64', media_type: part.mediaType ?? 'image/png', data: part.data },
    };
  }
  if (part.url !== undefined && part.url !== '')
    return { type: 'image', source: { type: 'url', url: part.url } };
  return undefined;
}

/** Text and image blocks of user content (and of tool results). */
function contentBlocks(parts: readonly ContentPart[]): (AnthropicTextBlock | AnthropicImageBlock)[] {
  const out: (AnthropicTextBlock | AnthropicImageBlock)[] = [];
  for (const part of parts) {
    if (part.type === 'text') {
      if (part.text !== '') out.push(textBlock(part));
    } else if (part.type === 'image') {
      const image = imageBlock(part);
      if (image !== undefined) out.push(image);
    }
  }
  return out;
}

/** Tool-call arguments as the object Anthropic's `input` must be. */
function toolInput(args: string, field: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw invalidRequest(`${field}: the arguments are not valid JSON`, field);
  }
  if (!isRecord(parsed)) throw invalidRequest(`${field}: the arguments must be a JSON object`, field);
  return parsed;
}

function assistantBlocks(message: AssistantMessage, position: number): AnthropicRequestBlock[] {
  const out: AnthropicRequestBlock[] = [];
  for (const part of message.content) {
    switch (part.type) {
      case 'thinking':
        if (part.signature !== undefined && part.signature !== '') {
          out.push({ type: 'thinking', thinking: part.text, signature: part.signature });
        }
        break;
      case 'redacted_thinking':
        out.push({ type: 'redacted_thinking', data: part.data });
        break;
      case 'text':
        if (part.text !== '') out.push(textBlock(part));
        break;
      case 'image':
        // Anthropic's assistant turns carry no images.
        break;
    }
  }
  if (message.refusal !== undefined && message.refusal !== '')
    out.push({ type: 'text', text: message.refusal });
  const calls = message.toolCalls;
  if (calls !== undefined) {
    for (let k = 0; k < calls.length; k++) {
      const call = calls[k]!;
      out.push({
        type: 'tool_use',
        id: call.id,
        name: call.name,
        input: toolInput(call.arguments, `messages[${position}].tool_calls[${k}].arguments`),
      });
    }
  }
  return out;
}

function toolResultBlock(message: ToolMessage): AnthropicToolResultBlock {
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: message.toolCallId };
  const content = contentBlocks(message.content);
  const first = content[0];
  if (content.length === 1 && first?.type === 'text' && first.cache_control === undefined) {
    block.content = first.text;
  } else if (content.length > 0) {
    block.content = content;
  }
  if (message.isError === true) block.is_error = true;
  return block;
}

function append(turns: Turn[], role: Turn['role'], blocks: AnthropicRequestBlock[]): void {
  if (blocks.length === 0) return;
  const last = turns[turns.length - 1];
  if (last !== undefined && last.role === role) {
    for (const block of blocks) last.blocks.push(block);
  } else {
    turns.push({ role, blocks });
  }
}

/** Tool results open their user turn: after earlier results, before any other block. */
function appendToolResult(turns: Turn[], block: AnthropicToolResultBlock): void {
  const last = turns[turns.length - 1];
  if (last === undefined || last.role !== 'user') {
    turns.push({ role: 'user', blocks: [block] });
    return;
  }
  let at = 0;
  while (at < last.blocks.length && last.blocks[at]!.type === 'tool_result') at++;
  last.blocks.splice(at, 0, block);
}

export function convertToAnthropicMessages(messages: readonly Message[]): AnthropicConversation {
  const system: AnthropicTextBlock[] = [];
  const turns: Turn[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    switch (message.role) {
      case 'system':
        for (const part of message.content)
          if (part.type === 'text' && part.text !== '') system.push(textBlock(part));
        break;
      case 'user':
        append(turns, 'user', contentBlocks(message.content));
        break;
      case 'assistant':
        append(turns, 'assistant', assistantBlocks(message, i));
        break;
      case 'tool':
        appendToolResult(turns, toolResultBlock(message));
        break;
    }
  }
  const out: AnthropicMessageParam[] = new Array(turns.length);
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i]!;
    const only = turn.blocks[0];
    // One plain text block is sent as a string, the form clients send and the reference shows first.
    const content =
      turn.blocks.length === 1 && only?.type === 'text' && only.cache_control === undefined
        ? only.text
        : turn.blocks;
    out[i] = { role: turn.role, content };
  }
  return { system, messages: out };
}
