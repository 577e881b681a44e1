/**
 * @module providers/ollama/convert-to-ollama-chat-messages
 * Canonical messages → Ollama chat messages. Ollama's `content` is one string, so text parts are
 * joined; images travel beside it as bare base64 in `images` — Ollama cannot fetch a URL, so a
 * remote image is refused as INVALID_REQUEST rather than silently dropped. An assistant turn's
 * thinking goes back in `thinking`, its tool calls with their arguments parsed into the JSON
 * object Ollama requires (canonical arguments are JSON text; text that is not a JSON object is
 * refused). A tool result names its tool (`tool_name`, found from the call it answers) and the
 * call (`tool_call_id`, which recent servers read and older ones ignore).
 */

import type { AssistantMessage, ContentPart, ImagePart, Message } from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import { isRecord } from '../shared/json.js';
import type { OllamaChatMessage, OllamaToolCall } from './ollama-chat-api.js';

const DATA_URL_MARKER = ';base64,';

function imageData(part: ImagePart, path: string): string {
  if (part.data !== undefined) return part.data;
  const url = part.url ?? '';
  if (url.startsWith('data:')) {
    const marker = url.indexOf(DATA_URL_MARKER);
    if (marker !== -1) return url.slice(marker + DATA_URL_MARKER.length);
  }
  throw invalidRequest(
    'Ollama takes images only as inline base64 data; send the image as a data URL instead of a link',
    path,
  );
}

/** Joined text and base64 images of a message's parts; thinking parts are read separately. */
function split(parts: readonly ContentPart[], path: string): { text: string; images: string[] | undefined } {
  const first = parts[0];
  if (parts.length === 1 && first?.type === 'text') return { text: first.text, images: undefined };
  let text = '';
  let images: string[] | undefined;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.type === 'text') text += part.text;
    else if (part.type === 'image') {
      images ??= [];
      images.push(imageData(part, `${path}.content[${i}]`));
    }
  }
  return { text, images };
}

function toolArguments(text: string, path: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidRequest('tool call arguments are not valid JSON; Ollama needs a JSON object', path);
  }
  if (!isRecord(parsed)) throw invalidRequest('tool call arguments must be a JSON object for Ollama', path);
  return parsed;
}

function assistantMessage(message: AssistantMessage, path: string): OllamaChatMessage {
  const { text, images } = split(message.content, path);
  const out: OllamaChatMessage = {
    role: 'assistant',
    content: text === '' && message.refusal !== undefined ? message.refusal : text,
  };
  if (images !== undefined) out.images = images;
  let thinking = '';
  for (const part of message.content) if (part.type === 'thinking') thinking += part.text;
  if (thinking !== '') out.thinking = thinking;
  const calls = message.toolCalls;
  if (calls !== undefined && calls.length > 0) {
    const toolCalls: OllamaToolCall[] = new Array(calls.length);
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!;
      const args = toolArguments(call.arguments, `${path}.tool_calls[${i}].function.arguments`);
      toolCalls[i] = { id: call.id, function: { name: call.name, arguments: args } };
    }
    out.tool_calls = toolCalls;
  }
  return out;
}

export function convertToOllamaChatMessages(messages: readonly Message[]): OllamaChatMessage[] {
  const out: OllamaChatMessage[] = new Array(messages.length);
  /** Tool name by call id; later calls win, so a reused id resolves to the nearest one. */
  let toolNames: Map<string, string> | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const path = `messages[${i}]`;
    if (message.role === 'assistant') {
      out[i] = assistantMessage(message, path);
      if (message.toolCalls !== undefined && message.toolCalls.length > 0) {
        toolNames ??= new Map();
        for (const call of message.toolCalls) toolNames.set(call.id, call.name);
      }
      continue;
    }
    const { text, images } = split(message.content, path);
    const converted: OllamaChatMessage = { role: message.role, content: text };
    if (images !== undefined) converted.images = images;
    if (message.role === 'tool') {
      const name = toolNames?.get(message.toolCallId);
      if (name !== undefined) converted.tool_name = name;
      converted.tool_call_id = message.toolCallId;
    }
    out[i] = converted;
  }
  return out;
}
