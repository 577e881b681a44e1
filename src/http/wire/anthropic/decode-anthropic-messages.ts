/**
 * @module http/wire/anthropic/decode-anthropic-messages
 * Anthropic's `system` and `messages` → canonical messages, validated block by block with the
 * field path in every error (`messages.2.content.0.tool_use_id: …`), as Anthropic's own 400s
 * name it. A user turn's `tool_result` blocks become tool messages, in place, so a turn of
 * results followed by text becomes tool messages then a user message; assistant `tool_use`
 * blocks become tool calls (the `input` object as JSON text); thinking and redacted thinking are
 * kept with their signatures so a tool loop with thinking round-trips to an Anthropic upstream.
 * Block types the gateway cannot carry to every provider (documents, search results, server
 * tool results) are rejected by name rather than dropped without a word.
 */

import type {
  AssistantMessage,
  ContentPart,
  ImagePart,
  Message,
  TextPart,
  ToolCall,
  ToolMessage,
} from '../../../core/chat.js';
import { expectBoolean, expectString, fail, isAbsent, isRecord } from '../openai/field-checks.js';

const MAX_MESSAGES = 10_000;
const MAX_BLOCKS = 10_000;
const IMAGE_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

function decodeCacheControl(value: unknown, path: string): TextPart['cacheControl'] {
  if (!isRecord(value) || value.type !== 'ephemeral') fail(path, "expected {type: 'ephemeral', ttl?}");
  if (isAbsent(value.ttl)) return { type: 'ephemeral' };
  return { type: 'ephemeral', ttl: expectString(value.ttl, `${path}.ttl`) };
}

function decodeTextBlock(block: Record<string, unknown>, path: string): TextPart {
  const part: TextPart = { type: 'text', text: expectString(block.text, `${path}.text`) };
  if (!isAbsent(block.cache_control))
    part.cacheControl = decodeCacheControl(block.cache_control, `${path}.cache_control`);
  return part;
}

function decodeImageBlock(block: Record<string, unknown>, path: string): ImagePart {
  const source = block.source;
  if (!isRecord(source)) fail(`${path}.source`, 'expected an image source object');
  if (source.type === 'base64') {
    const mediaType = expectString(source.media_type, `${path}.source.media_type`);
    if (!IMAGE_MEDIA_TYPES.has(mediaType)) {
      fail(`${path}.source.media_type`, 'expected one of image/jpeg, image/png, image/gif, image/webp');
    }
    return { type: 'image', data: expectString(source.data, `${path}.source.data`), mediaType };
  }
  if (source.type === 'url') {
    const url = expectString(source.url, `${path}.source.url`);
    if (!url.startsWith('https://') && !url.startsWith('http://'))
      fail(`${path}.source.url`, 'expected an http(s) URL');
    return { type: 'image', url };
  }
  fail(`${path}.source.type`, "expected 'base64' or 'url'");
}

/** Blocks as a list, accepting Anthropic's string shorthand for one text block. */
function blockList(content: unknown, path: string): unknown[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) fail(path, 'expected a string or an array of content blocks');
  if (content.length > MAX_BLOCKS) fail(path, `at most ${MAX_BLOCKS} content blocks are allowed`);
  return content;
}

function unsupported(type: unknown, path: string): never {
  fail(
    `${path}.type`,
    typeof type === 'string' ? `content block type '${type}' is not supported here` : 'expected a block type',
  );
}

/** Text and images: what a tool result may hold. */
function decodeToolResultContent(content: unknown, path: string): ContentPart[] {
  if (isAbsent(content)) return [];
  const blocks = blockList(content, path);
  const parts: ContentPart[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    const at = `${path}.${i}`;
    if (!isRecord(block)) fail(at, 'expected a content block object');
    if (block.type === 'text') parts.push(decodeTextBlock(block, at));
    else if (block.type === 'image') parts.push(decodeImageBlock(block, at));
    else unsupported(block.type, at);
  }
  return parts;
}

function decodeUserTurn(content: unknown, path: string, out: Message[]): void {
  const blocks = blockList(content, path);
  let pending: ContentPart[] = [];
  const flush = (): void => {
    if (pending.length > 0) out.push({ role: 'user', content: pending });
    pending = [];
  };
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    const at = `${path}.${i}`;
    if (!isRecord(block)) fail(at, 'expected a content block object');
    switch (block.type) {
      case 'text':
        pending.push(decodeTextBlock(block, at));
        break;
      case 'image':
        pending.push(decodeImageBlock(block, at));
        break;
      case 'tool_result': {
        flush();
        const id = expectString(block.tool_use_id, `${at}.tool_use_id`);
        if (id === '') fail(`${at}.tool_use_id`, 'expected a non-empty string');
        const message: ToolMessage = {
          role: 'tool',
          toolCallId: id,
          content: decodeToolResultContent(block.content, `${at}.content`),
        };
        if (!isAbsent(block.is_error) && expectBoolean(block.is_error, `${at}.is_error`))
          message.isError = true;
        out.push(message);
        break;
      }
      default:
        unsupported(block.type, at);
    }
  }
  flush();
}

function decodeAssistantTurn(content: unknown, path: string): AssistantMessage {
  const blocks = blockList(content, path);
  const parts: ContentPart[] = [];
  let calls: ToolCall[] | undefined;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    const at = `${path}.${i}`;
    if (!isRecord(block)) fail(at, 'expected a content block object');
    switch (block.type) {
      case 'text':
        parts.push(decodeTextBlock(block, at));
        break;
      case 'thinking': {
        const signature = isAbsent(block.signature) ? '' : expectString(block.signature, `${at}.signature`);
        const part: ContentPart = { type: 'thinking', text: expectString(block.thinking, `${at}.thinking`) };
        if (signature !== '') part.signature = signature;
        parts.push(part);
        break;
      }
      case 'redacted_thinking':
        parts.push({ type: 'redacted_thinking', data: expectString(block.data, `${at}.data`) });
        break;
      case 'tool_use': {
        const id = expectString(block.id, `${at}.id`);
        const name = expectString(block.name, `${at}.name`);
        if (id === '' || name === '') fail(at, 'a tool_use block needs a non-empty id and name');
        if (!isRecord(block.input)) fail(`${at}.input`, 'expected an object');
        calls ??= [];
        calls.push({ id, name, arguments: JSON.stringify(block.input) });
        break;
      }
      default:
        unsupported(block.type, at);
    }
  }
  const message: AssistantMessage = { role: 'assistant', content: parts };
  if (calls !== undefined) message.toolCalls = calls;
  return message;
}

/** `system` (a string or text blocks) → one system message, or none. */
export function decodeSystem(value: unknown): Message | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === 'string')
    return value === '' ? undefined : { role: 'system', content: [{ type: 'text', text: value }] };
  if (!Array.isArray(value)) fail('system', 'expected a string or an array of text blocks');
  const parts: ContentPart[] = [];
  for (let i = 0; i < value.length; i++) {
    const block = value[i];
    const at = `system.${i}`;
    if (!isRecord(block) || block.type !== 'text') fail(at, 'expected a text block');
    parts.push(decodeTextBlock(block, at));
  }
  return parts.length === 0 ? undefined : { role: 'system', content: parts };
}

export function decodeAnthropicMessages(value: unknown, out: Message[]): void {
  if (!Array.isArray(value) || value.length === 0) fail('messages', 'expected a non-empty array of messages');
  if (value.length > MAX_MESSAGES) fail('messages', `at most ${MAX_MESSAGES} messages are allowed`);
  for (let i = 0; i < value.length; i++) {
    const path = `messages.${i}`;
    const message = value[i];
    if (!isRecord(message)) fail(path, 'expected a message object');
    if (message.role === 'user') decodeUserTurn(message.content, `${path}.content`, out);
    else if (message.role === 'assistant') out.push(decodeAssistantTurn(message.content, `${path}.content`));
    else if (message.role === 'system')
      fail(`${path}.role`, "the system prompt goes in the top-level 'system' field");
    else fail(`${path}.role`, "expected 'user' or 'assistant'");
  }
}
