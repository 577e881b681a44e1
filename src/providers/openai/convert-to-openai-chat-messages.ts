/**
 * @module providers/openai/convert-to-openai-chat-messages
 * Canonical messages → OpenAI chat messages. Content made of one plain text part becomes a
 * string (the form clients send and OpenAI documents first); anything else becomes a parts
 * array. Images become `image_url` parts, inline data as a data URL. Thinking parts are dropped:
 * OpenAI's chat API takes no reasoning input. Parts a role cannot carry on this wire (an image
 * in a system or tool message) are dropped rather than failing the call. The request body writer
 * (`openai-chat-json.ts`) writes these messages by the fields set here, in the order set here: a
 * field added here is added there too (its test compares the two over generated messages).
 */

import type { AssistantMessage, ContentPart, ImagePart, Message } from '../../core/chat.js';
import type {
  OpenAIChatMessage,
  OpenAIImagePart,
  OpenAITextPart,
  OpenAIToolCall,
} from './openai-chat-api.js';

function imageUrl(part: ImagePart): string {
  if (part.data !== undefined) return `data:${part.mediaType ?? 'image/png'};base64,${part.data}`;
  return part.url ?? '';
}

function toImagePart(part: ImagePart): OpenAIImagePart {
  const image: OpenAIImagePart['image_url'] = { url: imageUrl(part) };
  if (part.detail !== undefined) image.detail = part.detail;
  return { type: 'image_url', image_url: image };
}

/** Text-only content: a string when it is one text part, else an array of text parts. */
function textContent(parts: readonly ContentPart[]): string | OpenAITextPart[] {
  const first = parts[0];
  if (parts.length === 1 && first?.type === 'text') return first.text;
  const out: OpenAITextPart[] = [];
  for (const part of parts) if (part.type === 'text') out.push({ type: 'text', text: part.text });
  if (out.length === 1) return out[0]!.text;
  return out.length === 0 ? '' : out;
}

function userContent(parts: readonly ContentPart[]): string | (OpenAITextPart | OpenAIImagePart)[] {
  const first = parts[0];
  if (parts.length === 1 && first?.type === 'text') return first.text;
  const out: (OpenAITextPart | OpenAIImagePart)[] = [];
  for (const part of parts) {
    if (part.type === 'text') out.push({ type: 'text', text: part.text });
    else if (part.type === 'image') out.push(toImagePart(part));
  }
  return out.length === 0 ? '' : out;
}

function assistantMessage(message: AssistantMessage): OpenAIChatMessage {
  let textParts = 0;
  for (const part of message.content) if (part.type === 'text') textParts++;
  const hasToolCalls = message.toolCalls !== undefined && message.toolCalls.length > 0;
  let content: string | OpenAITextPart[] | null;
  if (textParts === 0) {
    // OpenAI wants content or tool_calls; a bare assistant turn still needs a string.
    content = hasToolCalls || message.refusal !== undefined ? null : '';
  } else {
    content = textContent(message.content);
  }
  const out: Extract<OpenAIChatMessage, { role: 'assistant' }> = { role: 'assistant', content };
  if (message.name !== undefined) out.name = message.name;
  if (message.refusal !== undefined) out.refusal = message.refusal;
  if (hasToolCalls) {
    const calls: OpenAIToolCall[] = [];
    for (const call of message.toolCalls!) {
      calls.push({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } });
    }
    out.tool_calls = calls;
  }
  return out;
}

export function convertToOpenAIChatMessages(messages: readonly Message[]): OpenAIChatMessage[] {
  const out: OpenAIChatMessage[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        out.push({ role: 'system', content: textContent(message.content) });
        break;
      case 'user': {
        const user: Extract<OpenAIChatMessage, { role: 'user' }> = {
          role: 'user',
          content: userContent(message.content),
        };
        if (message.name !== undefined) user.name = message.name;
        out.push(user);
        break;
      }
      case 'assistant':
        out.push(assistantMessage(message));
        break;
      case 'tool':
        out.push({ role: 'tool', tool_call_id: message.toolCallId, content: textContent(message.content) });
        break;
    }
  }
  return out;
}
