/**
 * @module mock-upstream/ollama-request
 * Decodes Ollama's native `POST /api/chat` and `POST /api/embed` bodies into the engine's terms,
 * rejecting what a real Ollama server cannot bind (its Go types are strict where JSON is not):
 * message `content` must be a string, `images` base64 strings, tool-call `arguments` a JSON
 * object rather than JSON text, `think` a boolean or a level. Ollama streams unless `stream` is
 * `false`, and always reports its counts on the last line, so usage is always "included".
 */

import type { ChatInput, MockMessage, MockResponseFormat, MockTool } from './engine.js';
import type { DecodedChat, DecodedEmbeddings, WireProblem, WireRoute } from './wire.js';

type Json = Record<string, unknown>;

/** Ollama's decoded chat, with what the Ollama wire needs beyond the engine's input. */
export interface OllamaDecodedChat extends DecodedChat {
  /** The request asked the model to think (`think` true or a level). */
  readonly think: boolean;
}

const THINK_LEVELS = new Set(['low', 'medium', 'high', 'max']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function problem(message: string, param: string | null = null): WireProblem {
  return { problem: message, param };
}

export function decodeOllamaChat(body: unknown, route: WireRoute): OllamaDecodedChat | WireProblem {
  if (!isRecord(body)) return problem('invalid request body');
  const model = route.model ?? body['model'];
  if (typeof model !== 'string' || model === '') return problem('model is required', 'model');
  const rawMessages = body['messages'] ?? [];
  if (!Array.isArray(rawMessages)) {
    return problem('json: cannot unmarshal messages into Go struct field ChatRequest.messages', 'messages');
  }
  const messages: MockMessage[] = [];
  for (let i = 0; i < rawMessages.length; i++) {
    const message = decodeMessage(rawMessages[i], i);
    if ('problem' in message) return message;
    messages.push(message);
  }
  const tools = decodeTools(body['tools']);
  if (tools === undefined) return problem('invalid tools: expected an array of function tools', 'tools');
  const responseFormat = decodeFormat(body['format']);
  if (responseFormat === undefined)
    return problem('invalid format: expected "json" or a JSON schema', 'format');
  const options = body['options'] ?? undefined;
  if (options !== undefined && !isRecord(options)) return problem('invalid options', 'options');
  const numPredict = options?.['num_predict'];
  if (numPredict !== undefined && !Number.isInteger(numPredict)) {
    return problem('invalid options: num_predict must be an integer', 'options.num_predict');
  }
  const think = body['think'] ?? undefined;
  if (
    think !== undefined &&
    typeof think !== 'boolean' &&
    !(typeof think === 'string' && THINK_LEVELS.has(think))
  ) {
    return problem(`invalid think value: ${JSON.stringify(think)}`, 'think');
  }
  const stream = body['stream'] ?? true;
  if (typeof stream !== 'boolean') return problem('invalid stream: expected a boolean', 'stream');

  const input: ChatInput = {
    model,
    messages,
    tools,
    // Ollama has no tool_choice: the model decides.
    toolChoice: { kind: 'auto' },
    responseFormat,
    // -1 (infinite) and -2 (fill the context) put no cap on the answer.
    maxTokens: typeof numPredict === 'number' && numPredict > 0 ? numPredict : undefined,
    n: 1,
    topLogprobs: undefined,
  };
  return { input, stream, includeUsage: true, think: think !== undefined && think !== false };
}

function decodeMessage(raw: unknown, index: number): MockMessage | WireProblem {
  const param = `messages[${index}]`;
  if (!isRecord(raw) || typeof raw['role'] !== 'string')
    return problem(`${param}: a role is required`, param);
  const content = raw['content'] ?? '';
  if (typeof content !== 'string') {
    return problem(
      `json: cannot unmarshal ${Array.isArray(content) ? 'array' : typeof content} into Go struct field Message.messages.content of type string`,
      `${param}.content`,
    );
  }
  const images = raw['images'] ?? undefined;
  if (images !== undefined) {
    if (!Array.isArray(images) || !images.every((image) => typeof image === 'string' && BASE64.test(image))) {
      return problem('illegal base64 data in images', `${param}.images`);
    }
  }
  let text = content;
  const toolCalls = raw['tool_calls'] ?? undefined;
  if (toolCalls !== undefined) {
    if (!Array.isArray(toolCalls)) return problem('invalid tool_calls', `${param}.tool_calls`);
    for (const call of toolCalls) {
      const fn = isRecord(call) ? call['function'] : undefined;
      if (!isRecord(fn) || typeof fn['name'] !== 'string') {
        return problem('invalid tool_calls: a function name is required', `${param}.tool_calls`);
      }
      const args = fn['arguments'] ?? {};
      // Ollama's arguments type only unmarshals from an object; JSON text is an error.
      if (!isRecord(args)) {
        return problem(
          'json: cannot unmarshal string into Go struct field ToolCallFunction.arguments',
          `${param}.tool_calls`,
        );
      }
      text += ` ${fn['name']} ${JSON.stringify(args)}`;
    }
  }
  return { role: raw['role'].toLowerCase(), text };
}

function decodeTools(raw: unknown): MockTool[] | undefined {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return undefined;
  const tools: MockTool[] = [];
  for (const tool of raw) {
    if (!isRecord(tool)) return undefined;
    const fn = tool['function'];
    if (tool['type'] !== 'function' || !isRecord(fn)) return undefined;
    if (typeof fn['name'] !== 'string' || fn['name'] === '') return undefined;
    tools.push({
      name: fn['name'],
      description: typeof fn['description'] === 'string' ? fn['description'] : '',
      parameters: fn['parameters'],
    });
  }
  return tools;
}

function decodeFormat(raw: unknown): MockResponseFormat | undefined {
  if (raw === undefined || raw === null || raw === '') return { kind: 'text' };
  if (raw === 'json') return { kind: 'json_object' };
  if (isRecord(raw)) return { kind: 'json_schema', schema: raw };
  return undefined;
}

export function decodeOllamaEmbeddings(body: unknown, route: WireRoute): DecodedEmbeddings | WireProblem {
  if (!isRecord(body)) return problem('invalid request body');
  const model = route.model ?? body['model'];
  if (typeof model !== 'string' || model === '') return problem('model is required', 'model');
  const raw = body['input'];
  let inputs: string[];
  if (typeof raw === 'string') inputs = [raw];
  else if (Array.isArray(raw) && raw.every((item) => typeof item === 'string')) inputs = raw;
  else return problem('invalid input type', 'input');
  if (inputs.length === 0 || inputs.some((item) => item === '')) {
    return problem('input must not be empty', 'input');
  }
  const dimensions = body['dimensions'] ?? undefined;
  if (
    dimensions !== undefined &&
    !(Number.isInteger(dimensions) && (dimensions as number) >= 1 && (dimensions as number) <= 8192)
  ) {
    return problem('invalid dimensions', 'dimensions');
  }
  const truncate = body['truncate'] ?? undefined;
  if (truncate !== undefined && typeof truncate !== 'boolean') return problem('invalid truncate', 'truncate');
  return { model, inputs, dimensions: dimensions as number | undefined, base64: false };
}
