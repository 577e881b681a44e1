/**
 * @module providers/gemini/gemini-chat-request
 * Canonical ChatRequest → `POST …/models/{model}:generateContent` (or `:streamGenerateContent?alt=sse`).
 * Tool parameters and the json_schema answer format are sent as JSON Schema, unchanged, in
 * `parametersJsonSchema` and `responseJsonSchema`: the current reference accepts full JSON Schema
 * there (keywords it does not support, such as `$schema` or `additionalProperties` in places,
 * are ignored rather than rejected), so nothing is dropped or rewritten into the OpenAPI subset
 * that `parameters`/`responseSchema` take. What Gemini has no field for is left out: `strict`
 * (Gemini's schemas are always enforced), `parallelToolCalls`, `logitBias`, `user`, `metadata`
 * and OpenAI passthrough fields. Reasoning maps to `thinkingConfig`: a thinking level on Gemini 3
 * and later, a token budget on 2.5 and on aliases such as `gemini-flash-latest` (the
 * OpenAI-compatibility table's budgets), nothing on models that cannot think (1.x, 2.0, Gemma).
 */

import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/chat.js';
import type { HttpRequest, UpstreamTarget } from '../spec.js';
import { convertToGeminiContents } from './convert-to-gemini-contents.js';
import type {
  GeminiGenerateContentRequest,
  GeminiGenerationConfig,
  GeminiThinkingConfig,
  GeminiTool,
  GeminiToolConfig,
} from './gemini-api.js';
import { geminiPost, modelId } from './gemini-endpoint.js';

export function toGeminiTools(tools: readonly ToolDefinition[]): GeminiTool[] {
  const declarations: GeminiTool['functionDeclarations'] = [];
  for (const tool of tools) {
    const declaration: GeminiTool['functionDeclarations'][number] = { name: tool.name };
    if (tool.description !== undefined) declaration.description = tool.description;
    if (tool.parameters !== undefined) declaration.parametersJsonSchema = tool.parameters;
    declarations.push(declaration);
  }
  return [{ functionDeclarations: declarations }];
}

export function toGeminiToolConfig(choice: ToolChoice): GeminiToolConfig {
  switch (choice) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    default:
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
  }
}

type Reasoning = NonNullable<ChatRequest['reasoning']>;

/** Which thinking control a model takes, by its id. */
function thinkingControl(model: string): 'level' | 'budget' | 'none' {
  const id = modelId(model);
  // Other families served by the API (Gemma, embedding models) take no thinking settings.
  if (!id.startsWith('gemini-')) return 'none';
  const major = id.charCodeAt(7) - 48;
  if (major >= 3 && major <= 9) return 'level';
  if (id.startsWith('gemini-1.') || id.startsWith('gemini-2.0')) return 'none';
  return 'budget';
}

/** `thinkingConfig` for the request's reasoning controls on `model`, or undefined to send none. */
export function toGeminiThinkingConfig(
  reasoning: Reasoning,
  model: string,
): GeminiThinkingConfig | undefined {
  const control = thinkingControl(model);
  if (control === 'none') return undefined;
  if (reasoning.budgetTokens !== undefined) {
    return { thinkingBudget: reasoning.budgetTokens, includeThoughts: reasoning.budgetTokens !== 0 };
  }
  const effort = reasoning.effort;
  if (effort === undefined) return undefined;
  // Pro models cannot turn thinking off, nor think at the minimal level.
  const pro = modelId(model).includes('-pro');
  if (control === 'level') {
    switch (effort) {
      case 'none':
      case 'minimal':
        return { thinkingLevel: pro ? 'LOW' : 'MINIMAL', includeThoughts: effort !== 'none' };
      case 'low':
        return { thinkingLevel: 'LOW', includeThoughts: true };
      case 'medium':
        return { thinkingLevel: 'MEDIUM', includeThoughts: true };
      default:
        return { thinkingLevel: 'HIGH', includeThoughts: true };
    }
  }
  switch (effort) {
    case 'none':
      return pro ? { thinkingBudget: 128, includeThoughts: false } : { thinkingBudget: 0 };
    case 'minimal':
      return { thinkingBudget: pro ? 128 : 512, includeThoughts: true };
    case 'low':
      return { thinkingBudget: 1024, includeThoughts: true };
    case 'medium':
      return { thinkingBudget: 8192, includeThoughts: true };
    case 'high':
      return { thinkingBudget: 24_576, includeThoughts: true };
    default:
      return { thinkingBudget: pro ? 32_768 : 24_576, includeThoughts: true };
  }
}

function applyResponseFormat(config: GeminiGenerationConfig, format: ResponseFormat): void {
  if (format.type === 'text') return;
  config.responseMimeType = 'application/json';
  if (format.type === 'json_schema' && format.jsonSchema.schema !== undefined) {
    config.responseJsonSchema = format.jsonSchema.schema;
  }
}

function generationConfig(request: ChatRequest, target: UpstreamTarget): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  let set = false;
  if (request.maxTokens !== undefined) {
    config.maxOutputTokens = request.maxTokens;
    set = true;
  }
  if (request.temperature !== undefined) {
    config.temperature = request.temperature;
    set = true;
  }
  if (request.topP !== undefined) {
    config.topP = request.topP;
    set = true;
  }
  if (request.topK !== undefined) {
    config.topK = request.topK;
    set = true;
  }
  if (request.stop !== undefined && request.stop.length > 0) {
    config.stopSequences = request.stop;
    set = true;
  }
  if (request.n !== undefined && request.n !== 1) {
    config.candidateCount = request.n;
    set = true;
  }
  if (request.seed !== undefined) {
    config.seed = request.seed;
    set = true;
  }
  if (request.presencePenalty !== undefined) {
    config.presencePenalty = request.presencePenalty;
    set = true;
  }
  if (request.frequencyPenalty !== undefined) {
    config.frequencyPenalty = request.frequencyPenalty;
    set = true;
  }
  if (request.logprobs === true) {
    config.responseLogprobs = true;
    if (request.topLogprobs !== undefined && request.topLogprobs > 0) config.logprobs = request.topLogprobs;
    set = true;
  }
  if (request.responseFormat !== undefined && request.responseFormat.type !== 'text') {
    applyResponseFormat(config, request.responseFormat);
    set = true;
  }
  if (request.reasoning !== undefined) {
    const thinking = toGeminiThinkingConfig(request.reasoning, target.model);
    if (thinking !== undefined) {
      config.thinkingConfig = thinking;
      set = true;
    }
  }
  return set ? config : undefined;
}

export function buildGeminiChatRequest(request: ChatRequest, target: UpstreamTarget): HttpRequest {
  const prompt = convertToGeminiContents(request.messages);
  const body: GeminiGenerateContentRequest = { contents: prompt.contents };
  if (prompt.systemInstruction !== undefined) body.systemInstruction = prompt.systemInstruction;
  if (request.tools !== undefined && request.tools.length > 0) body.tools = toGeminiTools(request.tools);
  if (request.toolChoice !== undefined && body.tools !== undefined) {
    body.toolConfig = toGeminiToolConfig(request.toolChoice);
  }
  const config = generationConfig(request, target);
  if (config !== undefined) body.generationConfig = config;
  return geminiPost(
    target,
    request.stream ? 'streamGenerateContent' : 'generateContent',
    JSON.stringify(body),
  );
}
