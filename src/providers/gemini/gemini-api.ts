/**
 * @module providers/gemini/gemini-api
 * The Gemini API (Google AI, `generativelanguage.googleapis.com`) wire as TypeScript types:
 * `GenerateContentRequest`, `GenerateContentResponse` (also each streamed chunk),
 * `UsageMetadata`, the embedding calls and Google's error body. Written from the API reference
 * (ai.google.dev/api/generate-content, /api/caching#Content, /api/embeddings) and the field
 * definitions of Google's own SDK (github.com/googleapis/js-genai `src/types.ts`). Only fields
 * the gateway sets or reads are named. Responses are narrowed by hand where they are read.
 */

/** Exactly one of the data fields is set; `thought` and `thoughtSignature` qualify it. */
export interface GeminiPart {
  text?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
  /** The part is a thought summary (output only, with `thinkingConfig.includeThoughts`). */
  thought?: boolean;
  /** Opaque, base64: must be sent back on the same part in the next request (Gemini 3 enforces it). */
  thoughtSignature?: string;
}

export interface GeminiContent {
  /** `user` or `model`; function responses travel in `user` contents. */
  role?: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /** JSON Schema of the arguments (the alternative to the OpenAPI-subset `parameters`). */
  parametersJsonSchema?: Record<string, unknown>;
}

export interface GeminiTool {
  functionDeclarations: GeminiFunctionDeclaration[];
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';

export interface GeminiToolConfig {
  functionCallingConfig: { mode: GeminiFunctionCallingMode; allowedFunctionNames?: string[] };
}

export type GeminiThinkingLevel = 'MINIMAL' | 'LOW' | 'MEDIUM' | 'HIGH';

export interface GeminiThinkingConfig {
  includeThoughts?: boolean;
  /** Gemini 2.5: tokens; 0 disables thinking, -1 lets the model decide. */
  thinkingBudget?: number;
  /** Gemini 3 and later. */
  thinkingLevel?: GeminiThinkingLevel;
}

export interface GeminiGenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  candidateCount?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseLogprobs?: boolean;
  /** Alternatives per token, with `responseLogprobs`. */
  logprobs?: number;
  responseMimeType?: string;
  /** JSON Schema of the answer (the alternative to the OpenAPI-subset `responseSchema`). */
  responseJsonSchema?: Record<string, unknown>;
  thinkingConfig?: GeminiThinkingConfig;
}

/** The body of `models/{model}:generateContent` and `:streamGenerateContent`. */
export interface GeminiGenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  generationConfig?: GeminiGenerationConfig;
}

/** Token counts; `promptTokenCount` includes cached tokens, `candidatesTokenCount` excludes thoughts. */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiLogprobsCandidate {
  token?: string;
  logProbability?: number;
}

export interface GeminiCandidate {
  index?: number;
  content?: GeminiContent;
  /** Absent on every streamed chunk but the last of a candidate. */
  finishReason?: string;
  finishMessage?: string;
  safetyRatings?: { category: string; probability: string; blocked?: boolean }[];
  logprobsResult?: {
    chosenCandidates?: GeminiLogprobsCandidate[];
    topCandidates?: { candidates?: GeminiLogprobsCandidate[] }[];
  };
}

export interface GeminiGenerateContentResponse {
  candidates?: GeminiCandidate[];
  /** Set, with no candidates, when the prompt itself was blocked. */
  promptFeedback?: { blockReason?: string; safetyRatings?: unknown[] };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

/** One item of `batchEmbedContents`, and the body of `embedContent`. */
export interface GeminiEmbedContentRequest {
  /** `models/{model}`; required inside a batch, where it must match the URL's model. */
  model?: string;
  content: { parts: { text: string }[] };
  outputDimensionality?: number;
}

export interface GeminiBatchEmbedContentsRequest {
  requests: GeminiEmbedContentRequest[];
}

/** `embedContent` answers `{embedding}`, `batchEmbedContents` answers `{embeddings}`. */
export interface GeminiEmbedResponse {
  embedding?: { values: number[] };
  embeddings?: { values: number[] }[];
}

/** Google's error body (google.rpc.Status as JSON); `details` carry typed extras such as RetryInfo. */
export interface GeminiErrorBody {
  error: {
    code?: number;
    message?: string;
    status?: string;
    details?: { '@type'?: string; retryDelay?: string; reason?: string }[];
  };
}
