/**
 * @module mock-upstream/gemini-request
 * Decodes Gemini `generateContent` requests into the engine's terms, rejecting what the Gemini API rejects, in its words: unknown fields (Google's JSON
 * parser refuses them), empty `contents` or `parts`, roles other than `user` and `model`, a
 * function response without a name or whose `response` is not an object, a function declaration
 * with both `parameters` and `parametersJsonSchema`, a response schema without
 * `responseMimeType: application/json`, a bad `candidateCount`. Like Gemini 3, a `gemini-3*` model
 * refuses a function call of the current turn that comes back without its thought signature.
 * Written from the API reference, independently of the gateway's adapter.
 */

import type { ChatInput, MockMessage, MockResponseFormat, MockTool, MockToolChoice } from './engine.js';
import { isGeminiRoute } from './gemini-route.js';
import type { DecodedChat, WireProblem, WireRoute } from './wire.js';

export interface GeminiDecodedChat extends DecodedChat {
  /** `thinkingConfig.includeThoughts`: a thought summary part opens the answer. */
  readonly includeThoughts: boolean;
  /** The `[[mock:safety]]` directive: the answer is withheld with `finishReason: SAFETY`. */
  readonly safetyBlocked: boolean;
}

type Json = Record<string, unknown>;

const MAX_CANDIDATES = 8;
const SAFETY_DIRECTIVE = '[[mock:safety]]';
const REQUEST_FIELDS = new Set([
  'contents',
  'systemInstruction',
  'tools',
  'toolConfig',
  'safetySettings',
  'generationConfig',
  'cachedContent',
]);
const GENERATION_FIELDS = new Set([
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'enableEnhancedCivicAnswers',
  'speechConfig',
  'thinkingConfig',
  'imageConfig',
  'mediaResolution',
]);
const PART_FIELDS = new Set([
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
  'thought',
  'thoughtSignature',
  'videoMetadata',
]);

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function problem(message: string, param: string | null = null): WireProblem {
  return { problem: message, param };
}

function unknownField(fields: ReadonlySet<string>, value: Json, at: string): WireProblem | undefined {
  for (const key of Object.keys(value)) {
    if (!fields.has(key)) {
      return problem(
        `Invalid JSON payload received. Unknown name "${key}" at '${at}': Cannot find field.`,
        at,
      );
    }
  }
  return undefined;
}

export function isGeminiDecodedChat(decoded: DecodedChat): decoded is GeminiDecodedChat {
  return 'safetyBlocked' in decoded;
}

export function partsText(parts: unknown): string {
  let text = '';
  if (!Array.isArray(parts)) return text;
  for (const part of parts) if (isRecord(part) && typeof part['text'] === 'string') text += part['text'];
  return text;
}

/** `OBJECT`, `STRING`… of the OpenAPI-subset `parameters` → JSON Schema's lower-case types. */
function lowerTypes(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(lowerTypes);
  if (!isRecord(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'type' && typeof value === 'string' ? value.toLowerCase() : lowerTypes(value);
  }
  return out;
}

interface Decoded {
  messages: MockMessage[];
  problem?: WireProblem;
}

function decodeContents(rawContents: unknown[], model: string): Decoded {
  const messages: MockMessage[] = [];
  const unsignedCalls: { content: number; name: string }[] = [];
  let lastUserTurn = -1;
  for (let i = 0; i < rawContents.length; i++) {
    const content = rawContents[i];
    const at = `contents[${i}]`;
    if (!isRecord(content))
      return { messages, problem: problem(`* GenerateContentRequest.${at}: must be an object`, at) };
    const role = content['role'] ?? 'user';
    if (role !== 'user' && role !== 'model') {
      return { messages, problem: problem(`Please use a valid role: user, model.`, `${at}.role`) };
    }
    const parts = content['parts'];
    if (!Array.isArray(parts) || parts.length === 0) {
      return {
        messages,
        problem: problem(
          `* GenerateContentRequest.${at}.parts: contents.parts must not be empty.`,
          `${at}.parts`,
        ),
      };
    }
    let text = '';
    let userText = false;
    let firstCall = true;
    for (let j = 0; j < parts.length; j++) {
      const part = parts[j];
      const partAt = `${at}.parts[${j}]`;
      if (!isRecord(part))
        return {
          messages,
          problem: problem(`* GenerateContentRequest.${partAt}: must be an object`, partAt),
        };
      const unknown = unknownField(PART_FIELDS, part, partAt);
      if (unknown !== undefined) return { messages, problem: unknown };
      if (typeof part['text'] === 'string') {
        text += part['text'];
        userText = true;
      } else if (part['functionCall'] !== undefined) {
        const call = part['functionCall'];
        if (!isRecord(call) || typeof call['name'] !== 'string' || call['name'] === '') {
          return {
            messages,
            problem: problem(
              `* GenerateContentRequest.${partAt}.function_call.name: Name cannot be empty.`,
              partAt,
            ),
          };
        }
        if (call['args'] !== undefined && !isRecord(call['args'])) {
          return {
            messages,
            problem: problem(
              `Invalid value at '${partAt}.function_call.args' (type.googleapis.com/google.protobuf.Struct)`,
              partAt,
            ),
          };
        }
        if (role === 'model' && firstCall && typeof part['thoughtSignature'] !== 'string') {
          unsignedCalls.push({ content: i, name: call['name'] });
        }
        firstCall = false;
        text += ` ${call['name']} ${JSON.stringify(call['args'] ?? {})}`;
      } else if (part['functionResponse'] !== undefined) {
        const response = part['functionResponse'];
        if (!isRecord(response) || typeof response['name'] !== 'string' || response['name'] === '') {
          return {
            messages,
            problem: problem(
              `* GenerateContentRequest.${partAt}.function_response.name: Name cannot be empty.`,
              partAt,
            ),
          };
        }
        if (!isRecord(response['response'])) {
          return {
            messages,
            problem: problem(
              `Invalid value at '${partAt}.function_response.response' (type.googleapis.com/google.protobuf.Struct)`,
              partAt,
            ),
          };
        }
        messages.push({ role: 'tool', text: JSON.stringify(response['response']) });
      } else if (part['inlineData'] !== undefined) {
        const data = part['inlineData'];
        if (!isRecord(data) || typeof data['mimeType'] !== 'string' || typeof data['data'] !== 'string') {
          return {
            messages,
            problem: problem(
              `* GenerateContentRequest.${partAt}.inline_data: mime_type and data are required.`,
              partAt,
            ),
          };
        }
        userText = true;
      } else if (part['fileData'] !== undefined) {
        const file = part['fileData'];
        if (!isRecord(file) || typeof file['fileUri'] !== 'string') {
          return {
            messages,
            problem: problem(
              `* GenerateContentRequest.${partAt}.file_data.file_uri: file_uri is required.`,
              partAt,
            ),
          };
        }
        userText = true;
      }
    }
    if (role === 'model') messages.push({ role: 'assistant', text });
    else if (userText) {
      messages.push({ role: 'user', text });
      lastUserTurn = i;
    }
  }
  if (model.startsWith('gemini-3')) {
    const missing = unsignedCalls.find((call) => call.content > lastUserTurn);
    if (missing !== undefined) {
      return {
        messages,
        problem: problem(
          `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${missing.name}\` , position ${missing.content + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
          `contents[${missing.content}]`,
        ),
      };
    }
  }
  return { messages };
}

function decodeTools(raw: unknown): MockTool[] | WireProblem {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return problem(`Invalid value at 'tools': expected a list.`, 'tools');
  const tools: MockTool[] = [];
  for (let i = 0; i < raw.length; i++) {
    const tool = raw[i];
    if (!isRecord(tool)) return problem(`Invalid value at 'tools[${i}]'.`, `tools[${i}]`);
    // Hosted tools (googleSearch, codeExecution…) cannot be called back.
    const declarations = tool['functionDeclarations'];
    if (declarations === undefined) continue;
    if (!Array.isArray(declarations))
      return problem(`Invalid value at 'tools[${i}].function_declarations'.`, `tools[${i}]`);
    for (let j = 0; j < declarations.length; j++) {
      const declaration = declarations[j];
      const at = `tools[${i}].function_declarations[${j}]`;
      if (!isRecord(declaration) || typeof declaration['name'] !== 'string' || declaration['name'] === '') {
        return problem(`* GenerateContentRequest.${at}.name: Name cannot be empty.`, at);
      }
      if (declaration['parameters'] !== undefined && declaration['parametersJsonSchema'] !== undefined) {
        return problem(
          `* GenerateContentRequest.${at}: parameters and parameters_json_schema are mutually exclusive.`,
          at,
        );
      }
      tools.push({
        name: declaration['name'],
        description: typeof declaration['description'] === 'string' ? declaration['description'] : '',
        parameters: declaration['parametersJsonSchema'] ?? lowerTypes(declaration['parameters']),
      });
    }
  }
  return tools;
}

function decodeToolChoice(raw: unknown, tools: readonly MockTool[]): MockToolChoice | WireProblem {
  if (raw === undefined) return { kind: 'auto' };
  const config = isRecord(raw) ? raw['functionCallingConfig'] : undefined;
  if (!isRecord(config)) return problem(`Invalid value at 'tool_config'.`, 'toolConfig');
  const allowed = config['allowedFunctionNames'];
  switch (config['mode'] ?? 'AUTO') {
    case 'AUTO':
    case 'VALIDATED':
      return { kind: 'auto' };
    case 'NONE':
      return { kind: 'none' };
    case 'ANY': {
      if (allowed === undefined) return { kind: 'required' };
      if (!Array.isArray(allowed) || allowed.some((name) => !tools.some((tool) => tool.name === name))) {
        return problem(
          `* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: must name declared functions.`,
          'toolConfig',
        );
      }
      return allowed.length === 1 ? { kind: 'tool', name: allowed[0] as string } : { kind: 'required' };
    }
    default:
      return problem(`Invalid value at 'tool_config.function_calling_config.mode'.`, 'toolConfig');
  }
}

interface GenerationSettings {
  maxTokens: number | undefined;
  n: number;
  topLogprobs: number | undefined;
  responseFormat: MockResponseFormat;
  includeThoughts: boolean;
}

function decodeGeneration(raw: unknown): GenerationSettings | WireProblem {
  const settings: GenerationSettings = {
    maxTokens: undefined,
    n: 1,
    topLogprobs: undefined,
    responseFormat: { kind: 'text' },
    includeThoughts: false,
  };
  if (raw === undefined) return settings;
  if (!isRecord(raw)) return problem(`Invalid value at 'generation_config'.`, 'generationConfig');
  const unknown = unknownField(GENERATION_FIELDS, raw, 'generation_config');
  if (unknown !== undefined) return unknown;
  const count = raw['candidateCount'];
  if (count !== undefined) {
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_CANDIDATES) {
      return problem(
        `* GenerateContentRequest.generation_config.candidate_count: must be from 1 to ${MAX_CANDIDATES}.`,
        'candidateCount',
      );
    }
    settings.n = count as number;
  }
  const max = raw['maxOutputTokens'];
  if (max !== undefined) {
    if (!Number.isInteger(max) || (max as number) < 1) {
      return problem(
        `* GenerateContentRequest.generation_config.max_output_tokens: must be positive.`,
        'maxOutputTokens',
      );
    }
    settings.maxTokens = max as number;
  }
  const mime = raw['responseMimeType'] ?? 'text/plain';
  if (mime !== 'text/plain' && mime !== 'application/json' && mime !== 'text/x.enum') {
    return problem(
      `* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are \`text/plain\`, \`application/json\`, and \`text/x.enum\`.`,
      'responseMimeType',
    );
  }
  const schema = raw['responseJsonSchema'] ?? raw['responseSchema'];
  if (raw['responseJsonSchema'] !== undefined && raw['responseSchema'] !== undefined) {
    return problem(
      `* GenerateContentRequest.generation_config: response_schema and response_json_schema are mutually exclusive.`,
      'responseSchema',
    );
  }
  if (schema !== undefined && mime !== 'application/json') {
    return problem(
      `* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must be application/json when a response schema is set.`,
      'responseMimeType',
    );
  }
  if (mime === 'application/json') {
    settings.responseFormat =
      schema === undefined
        ? { kind: 'json_object' }
        : { kind: 'json_schema', schema: raw['responseJsonSchema'] ?? lowerTypes(schema) };
  }
  if (raw['responseLogprobs'] === true) {
    const top = raw['logprobs'];
    settings.topLogprobs = typeof top === 'number' && Number.isInteger(top) && top >= 0 ? top : 0;
  }
  const thinking = raw['thinkingConfig'];
  if (isRecord(thinking) && thinking['includeThoughts'] === true) settings.includeThoughts = true;
  return settings;
}

export function isProblemValue(value: object): value is WireProblem {
  return 'problem' in value;
}

export function decodeGeminiChat(body: unknown, route: WireRoute): GeminiDecodedChat | WireProblem {
  if (!isRecord(body)) return problem('Invalid JSON payload received. Expected an object.');
  const model = route.model ?? '';
  const unknown = unknownField(REQUEST_FIELDS, body, 'GenerateContentRequest');
  if (unknown !== undefined) return unknown;
  const rawContents = body['contents'];
  if (!Array.isArray(rawContents) || rawContents.length === 0) {
    return problem('* GenerateContentRequest.contents: contents is not specified', 'contents');
  }
  const decoded = decodeContents(rawContents, model);
  if (decoded.problem !== undefined) return decoded.problem;
  const messages = decoded.messages;
  const system = body['systemInstruction'];
  if (system !== undefined) {
    if (!isRecord(system) || !Array.isArray(system['parts'])) {
      return problem(`Invalid value at 'system_instruction'.`, 'systemInstruction');
    }
    messages.unshift({ role: 'system', text: partsText(system['parts']) });
  }
  const tools = decodeTools(body['tools']);
  if (isProblemValue(tools)) return tools;
  const toolChoice = decodeToolChoice(body['toolConfig'], tools);
  if (isProblemValue(toolChoice)) return toolChoice;
  const generation = decodeGeneration(body['generationConfig']);
  if (isProblemValue(generation)) return generation;

  let safetyBlocked = false;
  for (const message of messages) if (message.text.includes(SAFETY_DIRECTIVE)) safetyBlocked = true;
  const input: ChatInput = {
    model,
    messages,
    tools,
    toolChoice,
    responseFormat: generation.responseFormat,
    maxTokens: generation.maxTokens,
    n: generation.n,
    topLogprobs: generation.topLogprobs,
  };
  return {
    input,
    stream: isGeminiRoute(route) && route.method === 'streamGenerateContent',
    // Gemini reports usage on every chunk; nothing to ask for.
    includeUsage: true,
    includeThoughts: generation.includeThoughts,
    safetyBlocked,
  };
}
