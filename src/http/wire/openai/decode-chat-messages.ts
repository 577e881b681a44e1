/**
 * @module http/wire/openai/decode-chat-messages
 * The `messages` array of an OpenAI chat request → canonical messages. Roles system, developer
 * (→ system), user, assistant and tool; content as a string or a parts array (`text`,
 * `image_url` — remote or a base64 data URL — and, for the assistant, `refusal`); assistant
 * `tool_calls`; tool results with `tool_call_id`. The legacy `function` role and
 * `function_call` are rejected. Every failure names the exact path, e.g.
 * `messages[2].content[1].type`.
 */

import type {
  AssistantMessage,
  ContentPart,
  ImagePart,
  Message,
  TextPart,
  ToolCall,
  UserMessage,
} from '../../../core/chat.js';
import { expectNonEmptyString, expectString, fail, isAbsent, isRecord } from './field-checks.js';

const MAX_MESSAGES = 10_000;
const CONTENT_EXPECTED = 'expected a string or an array of content parts';

function textPart(value: Record<string, unknown>, path: string): TextPart {
  return { type: 'text', text: expectString(value.text, `${path}.text`) };
}

function partType(part: unknown, path: string): { part: Record<string, unknown>; type: string } {
  if (!isRecord(part)) fail(path, 'expected a content part object');
  const type = part.type;
  if (typeof type !== 'string') fail(`${path}.type`, 'expected a string');
  return { part, type };
}

function partsArray(content: unknown, path: string): unknown[] {
  if (!Array.isArray(content)) fail(path, CONTENT_EXPECTED);
  if (content.length === 0) fail(path, 'expected at least one content part');
  return content;
}

/** System, developer and tool content: text only. */
function decodeTextContent(content: unknown, path: string, role: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const parts = partsArray(content, path);
  const out: ContentPart[] = [];
  for (let j = 0; j < parts.length; j++) {
    const partPath = `${path}[${j}]`;
    const { part, type } = partType(parts[j], partPath);
    if (type !== 'text')
      fail(`${partPath}.type`, `content part type '${type}' is not allowed in a ${role} message`);
    out.push(textPart(part, partPath));
  }
  return out;
}

function decodeImagePart(part: Record<string, unknown>, path: string): ImagePart {
  const image = part.image_url;
  let url: string;
  let detail: unknown;
  if (typeof image === 'string') {
    url = image;
  } else if (isRecord(image)) {
    url = expectString(image.url, `${path}.image_url.url`);
    detail = image.detail;
  } else {
    fail(`${path}.image_url`, 'expected an object with a url');
  }
  const out: ImagePart = { type: 'image' };
  const scheme = url.slice(0, 8).toLowerCase();
  if (scheme.startsWith('data:')) {
    const comma = url.indexOf(',');
    const meta = comma === -1 ? '' : url.slice(5, comma);
    if (!meta.endsWith(';base64') || meta.length === ';base64'.length || comma === url.length - 1) {
      fail(`${path}.image_url.url`, 'expected a base64 data URL (data:<media type>;base64,<data>)');
    }
    out.mediaType = meta.slice(0, -';base64'.length);
    out.data = url.slice(comma + 1);
  } else if (scheme.startsWith('https://') || scheme.startsWith('http://')) {
    out.url = url;
  } else {
    fail(`${path}.image_url.url`, 'expected an http(s) URL or a base64 data URL');
  }
  if (!isAbsent(detail)) {
    if (detail !== 'auto' && detail !== 'low' && detail !== 'high') {
      fail(`${path}.image_url.detail`, 'expected one of auto, low, high');
    }
    out.detail = detail;
  }
  return out;
}

function decodeUserContent(content: unknown, path: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const parts = partsArray(content, path);
  const out: ContentPart[] = [];
  for (let j = 0; j < parts.length; j++) {
    const partPath = `${path}[${j}]`;
    const { part, type } = partType(parts[j], partPath);
    if (type === 'text') out.push(textPart(part, partPath));
    else if (type === 'image_url') out.push(decodeImagePart(part, partPath));
    else fail(`${partPath}.type`, `unsupported content part type '${type}'`);
  }
  return out;
}

function decodeToolCalls(value: unknown, path: string): ToolCall[] {
  if (!Array.isArray(value)) fail(path, 'expected an array of tool calls');
  const calls: ToolCall[] = [];
  for (let k = 0; k < value.length; k++) {
    const callPath = `${path}[${k}]`;
    const call = value[k];
    if (!isRecord(call)) fail(callPath, 'expected a tool call object');
    if (call.type !== 'function') fail(`${callPath}.type`, "expected 'function'");
    const id = expectNonEmptyString(call.id, `${callPath}.id`);
    const fn = call.function;
    if (!isRecord(fn)) fail(`${callPath}.function`, 'expected an object with name and arguments');
    const name = expectNonEmptyString(fn.name, `${callPath}.function.name`);
    const args = expectString(fn.arguments, `${callPath}.function.arguments`);
    calls.push({ id, name, arguments: args });
  }
  return calls;
}

function decodeAssistant(value: Record<string, unknown>, path: string): AssistantMessage {
  if (!isAbsent(value.function_call)) {
    fail(`${path}.function_call`, 'legacy function calling is not supported; use tool_calls');
  }
  const message: AssistantMessage = { role: 'assistant', content: [] };
  const content = value.content;
  if (typeof content === 'string') {
    message.content.push({ type: 'text', text: content });
  } else if (!isAbsent(content)) {
    const parts = partsArray(content, `${path}.content`);
    for (let j = 0; j < parts.length; j++) {
      const partPath = `${path}.content[${j}]`;
      const { part, type } = partType(parts[j], partPath);
      if (type === 'text') message.content.push(textPart(part, partPath));
      else if (type === 'refusal')
        message.refusal = (message.refusal ?? '') + expectString(part.refusal, `${partPath}.refusal`);
      else fail(`${partPath}.type`, `content part type '${type}' is not allowed in an assistant message`);
    }
  }
  if (!isAbsent(value.tool_calls)) {
    const calls = decodeToolCalls(value.tool_calls, `${path}.tool_calls`);
    if (calls.length > 0) message.toolCalls = calls;
  }
  if (isAbsent(content) && message.toolCalls === undefined) {
    fail(`${path}.content`, 'required unless tool_calls is given');
  }
  if (!isAbsent(value.refusal)) message.refusal = expectString(value.refusal, `${path}.refusal`);
  if (!isAbsent(value.name)) message.name = expectString(value.name, `${path}.name`);
  return message;
}

function decodeMessage(value: unknown, index: number): Message {
  const path = `messages[${index}]`;
  if (!isRecord(value)) fail(path, 'expected a message object');
  const role = value.role;
  switch (role) {
    case 'system':
    case 'developer':
      if (isAbsent(value.content)) fail(`${path}.content`, CONTENT_EXPECTED);
      return { role: 'system', content: decodeTextContent(value.content, `${path}.content`, role) };
    case 'user': {
      if (isAbsent(value.content)) fail(`${path}.content`, CONTENT_EXPECTED);
      const message: UserMessage = {
        role: 'user',
        content: decodeUserContent(value.content, `${path}.content`),
      };
      if (!isAbsent(value.name)) message.name = expectString(value.name, `${path}.name`);
      return message;
    }
    case 'assistant':
      return decodeAssistant(value, path);
    case 'tool': {
      const toolCallId = expectNonEmptyString(value.tool_call_id, `${path}.tool_call_id`);
      if (isAbsent(value.content)) fail(`${path}.content`, CONTENT_EXPECTED);
      return {
        role: 'tool',
        toolCallId,
        content: decodeTextContent(value.content, `${path}.content`, 'tool'),
      };
    }
    case 'function':
      return fail(`${path}.role`, "the legacy 'function' role is not supported; use 'tool'");
    default:
      return fail(`${path}.role`, 'expected one of system, developer, user, assistant, tool');
  }
}

export function decodeMessages(value: unknown): Message[] {
  if (!Array.isArray(value)) fail('messages', 'expected an array of messages');
  if (value.length === 0) fail('messages', 'expected at least one message');
  if (value.length > MAX_MESSAGES) fail('messages', `at most ${MAX_MESSAGES} messages are allowed`);
  const messages = new Array<Message>(value.length);
  for (let i = 0; i < value.length; i++) messages[i] = decodeMessage(value[i], i);
  return messages;
}
