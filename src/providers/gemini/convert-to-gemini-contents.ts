/**
 * @module providers/gemini/convert-to-gemini-contents
 * Canonical messages → Gemini `contents` and `systemInstruction`. System messages, wherever they
 * stand, become the system instruction (Gemini has no system role in `contents`); assistant turns
 * become `model` contents; tool results become `functionResponse` parts of one `user` content per
 * run of results, named after the assistant tool call they answer (Gemini matches responses by
 * name, so the name is looked up from the call's id; ids themselves are not sent, since Gemini
 * only takes back ids it issued and Vertex rejects them). A result must be a JSON object: a JSON
 * object result is sent as it is, anything else as `{output: …}` (`{error: …}` for a failed
 * call), the keys the API reference names. Images become `inlineData`, or `fileData` for a URL.
 * Thinking text is not sent back; thought signatures are (see gemini-thought-signature).
 */

import type { AssistantMessage, ContentPart, ImagePart, Message, ToolMessage } from '../../core/chat.js';
import { textOf } from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import { isRecord } from '../shared/json.js';
import type { GeminiContent, GeminiPart } from './gemini-api.js';
import { FOREIGN_CALL_SIGNATURE, splitToolCallId, untagSignature } from './gemini-thought-signature.js';

export interface GeminiPrompt {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
}

const EXTENSION_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
};

/** Media type from the first bytes of base64 data (PNG, JPEG, GIF, WebP signatures). */
function sniffMediaType(data: string): string {
  if (data.startsWith('iVBOR')) return 'image/png';
  if (data.startsWith('/9j/')) return 'image/jpeg';
  if (data.startsWith('R0lG')) return 'image/gif';
  if (data.startsWith('UklG')) return 'image/webp';
  return 'image/png';
}

function urlMediaType(url: string): string {
  const query = url.search(/[?#]/);
  const path = query === -1 ? url : url.slice(0, query);
  const dot = path.lastIndexOf('.');
  const type = dot === -1 ? undefined : EXTENSION_TYPES[path.slice(dot + 1).toLowerCase()];
  // Gemini requires a type; JPEG is what an extension-less image URL most often serves.
  return type ?? 'image/jpeg';
}

function imagePart(part: ImagePart): GeminiPart | undefined {
  if (part.data !== undefined) {
    return { inlineData: { mimeType: part.mediaType ?? sniffMediaType(part.data), data: part.data } };
  }
  if (part.url !== undefined && part.url !== '') {
    return { fileData: { mimeType: part.mediaType ?? urlMediaType(part.url), fileUri: part.url } };
  }
  return undefined;
}

function userParts(content: readonly ContentPart[]): GeminiPart[] {
  const parts: GeminiPart[] = [];
  for (const part of content) {
    if (part.type === 'text') parts.push({ text: part.text });
    else if (part.type === 'image') {
      const image = imagePart(part);
      if (image !== undefined) parts.push(image);
    }
  }
  // Gemini rejects a content without parts.
  if (parts.length === 0) parts.push({ text: '' });
  return parts;
}

/** Parses tool-call arguments into the object `functionCall.args` must be. */
function callArgs(text: string): Record<string, unknown> {
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) return parsed;
    return { input: parsed };
  } catch {
    // Arguments cut short (a length-limited call) still go back, so the model sees what it said.
    return { input: text };
  }
}

function modelContent(message: AssistantMessage): GeminiContent {
  const parts: GeminiPart[] = [];
  let pending: string | undefined;
  for (const part of message.content) {
    if (part.type === 'thinking') {
      pending = untagSignature(part.signature) ?? pending;
      continue;
    }
    let out: GeminiPart | undefined;
    if (part.type === 'text') out = { text: part.text };
    else if (part.type === 'image') out = imagePart(part);
    if (out === undefined) continue;
    if (pending !== undefined) {
      out.thoughtSignature = pending;
      pending = undefined;
    }
    parts.push(out);
  }
  if (message.refusal !== undefined && message.refusal !== '') parts.push({ text: message.refusal });
  const calls = message.toolCalls;
  if (calls !== undefined && calls.length > 0) {
    const first = parts.length;
    let signed = false;
    for (const call of calls) {
      const { signature } = splitToolCallId(call.id);
      const out: GeminiPart = { functionCall: { name: call.name, args: callArgs(call.arguments) } };
      const carried = signature ?? pending;
      pending = undefined;
      if (carried !== undefined) {
        out.thoughtSignature = carried;
        signed = true;
      }
      parts.push(out);
    }
    if (!signed) parts[first]!.thoughtSignature = FOREIGN_CALL_SIGNATURE;
  }
  if (pending !== undefined) {
    const last = parts[parts.length - 1];
    if (last !== undefined && last.thoughtSignature === undefined) last.thoughtSignature = pending;
  }
  if (parts.length === 0) parts.push({ text: '' });
  return { role: 'model', parts };
}

/** Whether text starts like a JSON value (`{ [ "`, a number, true/false/null): only then is it parsed. */
function mayBeJson(text: string): boolean {
  let i = 0;
  while (i < text.length && text.charCodeAt(i) <= 32) i++;
  const c = text.charCodeAt(i);
  return (
    c === 123 ||
    c === 91 ||
    c === 34 ||
    c === 45 ||
    (c >= 48 && c <= 57) ||
    c === 116 ||
    c === 102 ||
    c === 110
  );
}

/** The `response` object of a function response: JSON objects as they are, the rest wrapped. */
function functionResponse(message: ToolMessage): Record<string, unknown> {
  const text = textOf(message.content);
  const key = message.isError === true ? 'error' : 'output';
  if (mayBeJson(text)) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isRecord(parsed) && message.isError !== true) return parsed;
      return { [key]: parsed };
    } catch {
      // Plain text after all.
    }
  }
  return { [key]: text };
}

export function convertToGeminiContents(messages: readonly Message[]): GeminiPrompt {
  const contents: GeminiContent[] = [];
  const systemParts: GeminiPart[] = [];
  /** Tool-call id (as the client echoes it, and without its signature) → function name. */
  const callNames = new Map<string, string>();
  /** The last content holds only function responses, so the next result joins it. */
  let openResults: GeminiContent | undefined;

  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    switch (message.role) {
      case 'system':
        for (const part of message.content) if (part.type === 'text') systemParts.push({ text: part.text });
        continue;
      case 'user':
        contents.push({ role: 'user', parts: userParts(message.content) });
        break;
      case 'assistant':
        if (message.toolCalls !== undefined) {
          for (const call of message.toolCalls) {
            callNames.set(call.id, call.name);
            callNames.set(splitToolCallId(call.id).id, call.name);
          }
        }
        contents.push(modelContent(message));
        break;
      case 'tool': {
        const name =
          callNames.get(message.toolCallId) ?? callNames.get(splitToolCallId(message.toolCallId).id);
        if (name === undefined) {
          throw invalidRequest(
            `messages[${i}].tool_call_id '${message.toolCallId.slice(0, 64)}' matches no earlier assistant tool call`,
            `messages[${i}].tool_call_id`,
          );
        }
        const part: GeminiPart = { functionResponse: { name, response: functionResponse(message) } };
        if (openResults !== undefined) openResults.parts.push(part);
        else {
          openResults = { role: 'user', parts: [part] };
          contents.push(openResults);
        }
        continue;
      }
    }
    openResults = undefined;
  }

  const prompt: GeminiPrompt = { contents };
  if (systemParts.length > 0) prompt.systemInstruction = { parts: systemParts };
  return prompt;
}
