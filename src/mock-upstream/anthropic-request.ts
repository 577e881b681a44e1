/**
 * @module mock-upstream/anthropic-request
 * Decodes Anthropic Messages requests into the engine's terms, rejecting what Anthropic rejects,
 * with the field path first in the message as its 400s have it: a missing `model`, `max_tokens`
 * or `messages`; a `system` role inside `messages`; unknown top-level fields; `temperature` above
 * 1; a thinking budget under 1024 or not below `max_tokens`; thinking combined with a forced tool
 * or a temperature other than 1; unsigned thinking blocks in the history; and tool results that
 * do not answer the previous assistant turn's `tool_use` ids, or that follow text in their turn.
 * Written from the Claude API reference, independently of the gateway's codecs.
 */

import type { ChatInput, MockMessage, MockResponseFormat, MockTool, MockToolChoice } from './engine.js';
import type { DecodedChat, WireProblem } from './wire.js';

type Json = Record<string, unknown>;

const MIN_THINKING_BUDGET = 1024;

/** Top-level fields of `POST /v1/messages` the mock accepts (the rest are "Extra inputs"). */
const KNOWN_FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'tools',
  'tool_choice',
  'thinking',
  'metadata',
  'output_config',
  'service_tier',
  'container',
  'context_management',
  'mcp_servers',
  'inference_geo',
  'speed',
]);

/** Decoded requests that asked for extended thinking (the engine has no notion of it). */
const thinkingRequests = new WeakSet<DecodedChat>();

export function wantsThinking(decoded: DecodedChat): boolean {
  return thinkingRequests.has(decoded);
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function problem(message: string, param: string | null): WireProblem {
  return { problem: message, param };
}

class Rejected extends Error {
  constructor(readonly param: string) {
    super('rejected');
  }
}

function reject(param: string, message: string): never {
  const error = new Rejected(param);
  error.message = `${param}: ${message}`;
  throw error;
}

function blockText(blocks: unknown, path: string): string {
  if (typeof blocks === 'string') return blocks;
  if (!Array.isArray(blocks)) reject(path, 'Input should be a valid string or list');
  let text = '';
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    if (!isRecord(block) || typeof block.type !== 'string')
      reject(`${path}.${i}`, 'Input should be an object with a type');
    if (block.type === 'text') {
      if (typeof block.text !== 'string') reject(`${path}.${i}.text`, 'Field required');
      text += block.text;
    }
  }
  return text;
}

/** One user or assistant turn → engine messages (tool results become `tool` messages). */
function decodeTurn(
  raw: unknown,
  index: number,
  previousToolUses: ReadonlySet<string>,
  out: MockMessage[],
): { role: string; toolUses: Set<string>; toolResults: Set<string> } {
  const path = `messages.${index}`;
  if (!isRecord(raw)) reject(path, 'Input should be an object');
  const role = raw.role;
  if (role === 'system') {
    reject(
      `${path}.role`,
      'Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.',
    );
  }
  if (role !== 'user' && role !== 'assistant')
    reject(`${path}.role`, "Input should be 'user' or 'assistant'");
  const toolUses = new Set<string>();
  const toolResults = new Set<string>();
  const content = raw.content;
  if (typeof content === 'string') {
    out.push({ role, text: content });
    return { role, toolUses, toolResults };
  }
  if (!Array.isArray(content)) reject(`${path}.content`, 'Input should be a valid string or list');
  let text = '';
  let sawOther = false;
  for (let i = 0; i < content.length; i++) {
    const block = content[i];
    const at = `${path}.content.${i}`;
    if (!isRecord(block) || typeof block.type !== 'string')
      reject(at, 'Input should be an object with a type');
    switch (block.type) {
      case 'text':
        if (typeof block.text !== 'string') reject(`${at}.text`, 'Field required');
        if (block.text === '') reject(`${at}.text`, 'text content blocks must be non-empty');
        text += block.text;
        sawOther = true;
        break;
      case 'image':
        if (!isRecord(block.source)) reject(`${at}.source`, 'Field required');
        sawOther = true;
        break;
      case 'tool_use':
        if (role !== 'assistant') reject(at, 'tool_use blocks are only allowed in assistant messages');
        if (typeof block.id !== 'string' || typeof block.name !== 'string')
          reject(at, 'id and name are required');
        if (!isRecord(block.input)) reject(`${at}.input`, 'Input should be a valid dictionary');
        toolUses.add(block.id);
        text += ` ${block.name} ${JSON.stringify(block.input)}`;
        break;
      case 'tool_result': {
        if (role !== 'user') reject(at, 'tool_result blocks are only allowed in user messages');
        if (sawOther) {
          reject(at, 'tool_result blocks must come first in the user message, before any other content');
        }
        const id = block.tool_use_id;
        if (typeof id !== 'string' || !previousToolUses.has(id)) {
          reject(
            `${at}.tool_use_id`,
            'unexpected `tool_use_id` found in `tool_result` blocks. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
          );
        }
        toolResults.add(id);
        out.push({
          role: 'tool',
          text: block.content === undefined ? '' : blockText(block.content, `${at}.content`),
        });
        break;
      }
      case 'thinking':
        if (role !== 'assistant') reject(at, 'thinking blocks are only allowed in assistant messages');
        if (typeof block.signature !== 'string' || block.signature === '')
          reject(`${at}.signature`, 'Field required');
        if (typeof block.thinking !== 'string') reject(`${at}.thinking`, 'Field required');
        break;
      case 'redacted_thinking':
        if (typeof block.data !== 'string') reject(`${at}.data`, 'Field required');
        break;
      default:
        sawOther = true;
    }
  }
  if (text !== '' || toolResults.size === 0) out.push({ role, text });
  return { role, toolUses, toolResults };
}

function decodeSystem(raw: unknown, out: MockMessage[]): void {
  if (raw === undefined) return;
  const text = blockText(raw, 'system');
  out.push({ role: 'system', text });
}

function decodeTools(raw: unknown): MockTool[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) reject('tools', 'Input should be a valid list');
  const tools: MockTool[] = [];
  for (let i = 0; i < raw.length; i++) {
    const tool = raw[i];
    if (!isRecord(tool)) reject(`tools.${i}`, 'Input should be an object');
    // Server tools (web search, code execution…) are run by Anthropic, never called back.
    if (tool.type !== undefined && tool.type !== 'custom') continue;
    if (typeof tool.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool.name)) {
      reject(`tools.${i}.name`, "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
    }
    if (!isRecord(tool.input_schema)) reject(`tools.${i}.input_schema`, 'Field required');
    tools.push({
      name: tool.name,
      description: typeof tool.description === 'string' ? tool.description : '',
      parameters: tool.input_schema,
    });
  }
  return tools;
}

function decodeToolChoice(raw: unknown, tools: readonly MockTool[]): MockToolChoice {
  if (raw === undefined) return { kind: 'auto' };
  if (!isRecord(raw)) reject('tool_choice', 'Input should be an object');
  switch (raw.type) {
    case 'auto':
      return { kind: 'auto' };
    case 'any':
      return { kind: 'required' };
    case 'none':
      return { kind: 'none' };
    case 'tool': {
      const name = raw.name;
      if (typeof name !== 'string' || !tools.some((tool) => tool.name === name)) {
        reject('tool_choice.name', `Tool '${String(name)}' not found in tools`);
      }
      return { kind: 'tool', name };
    }
    default:
      reject('tool_choice.type', "Input should be 'auto', 'any', 'tool' or 'none'");
  }
}

function decodeOutputFormat(raw: unknown): MockResponseFormat {
  if (raw === undefined) return { kind: 'text' };
  if (!isRecord(raw)) reject('output_config', 'Input should be an object');
  const format = raw.format;
  if (format === undefined || format === null) return { kind: 'text' };
  if (!isRecord(format) || format.type !== 'json_schema' || !isRecord(format.schema)) {
    reject('output_config.format', "Input should be {type: 'json_schema', schema}");
  }
  return { kind: 'json_schema', schema: format.schema };
}

function decodeThinking(raw: unknown, maxTokens: number): boolean {
  if (raw === undefined) return false;
  if (!isRecord(raw)) reject('thinking', 'Input should be an object');
  if (raw.type === 'disabled' || raw.type === 'adaptive') return raw.type === 'adaptive';
  if (raw.type !== 'enabled') reject('thinking.type', "Input should be 'enabled', 'disabled' or 'adaptive'");
  const budget = raw.budget_tokens;
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < MIN_THINKING_BUDGET) {
    reject(
      'thinking.enabled.budget_tokens',
      `Input should be greater than or equal to ${MIN_THINKING_BUDGET}`,
    );
  }
  if (budget >= maxTokens) reject('max_tokens', 'must be greater than thinking.budget_tokens');
  return true;
}

function decodeBody(body: Json): { decoded: DecodedChat; thinking: boolean } {
  for (const key of Object.keys(body)) {
    if (!KNOWN_FIELDS.has(key)) reject(key, 'Extra inputs are not permitted');
  }
  const model = body.model;
  if (typeof model !== 'string' || model === '') reject('model', 'Field required');
  const maxTokens = body.max_tokens;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    reject('max_tokens', 'Field required (an integer of at least 1)');
  }
  const rawMessages = body.messages;
  if (!Array.isArray(rawMessages) || rawMessages.length === 0)
    reject('messages', 'Field required (a non-empty list)');

  const messages: MockMessage[] = [];
  decodeSystem(body.system, messages);
  let previousToolUses: ReadonlySet<string> = new Set();
  let pendingToolUses: ReadonlySet<string> = new Set();
  for (let i = 0; i < rawMessages.length; i++) {
    const turn = decodeTurn(rawMessages[i], i, previousToolUses, messages);
    for (const id of pendingToolUses) {
      if (!turn.toolResults.has(id)) {
        reject(
          `messages.${i}`,
          `\`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${id}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
    }
    previousToolUses = turn.role === 'assistant' ? turn.toolUses : new Set();
    pendingToolUses = previousToolUses;
  }

  const temperature = body.temperature;
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 1)) {
    reject('temperature', 'Input should be less than or equal to 1');
  }
  const thinking = decodeThinking(body.thinking, maxTokens);
  const tools = decodeTools(body.tools);
  const toolChoice = decodeToolChoice(body.tool_choice, tools);
  if (thinking) {
    if (toolChoice.kind === 'required' || toolChoice.kind === 'tool') {
      reject('tool_choice', 'Thinking may not be enabled when tool_choice forces tool use.');
    }
    if (temperature !== undefined && temperature !== 1) {
      reject('temperature', 'temperature may only be set to 1 when thinking is enabled.');
    }
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    reject('stream', 'Input should be a valid boolean');
  const input: ChatInput = {
    model,
    messages,
    tools,
    toolChoice,
    responseFormat: decodeOutputFormat(body.output_config),
    maxTokens,
    n: 1,
    topLogprobs: undefined,
  };
  // Anthropic always reports usage in a stream.
  return { decoded: { input, stream: body.stream === true, includeUsage: true }, thinking };
}

export function decodeMessages(body: unknown): DecodedChat | WireProblem {
  if (!isRecord(body)) return problem('The request body must be a JSON object.', null);
  try {
    const { decoded, thinking } = decodeBody(body);
    if (thinking) thinkingRequests.add(decoded);
    return decoded;
  } catch (error) {
    if (error instanceof Rejected) return problem(error.message, error.param);
    throw error;
  }
}
