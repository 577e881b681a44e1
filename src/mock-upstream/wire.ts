/**
 * @module mock-upstream/wire
 * The contract between the mock server and one wire protocol (OpenAI today; Anthropic, Gemini
 * and Ollama later as sibling modules). A wire matches its paths, decodes requests into the
 * engine's terms and encodes the engine's answers, errors and stream events. Timing, faults,
 * recording and billing stay in the server, so a new protocol is only translation.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { ChatInput, MockChoice } from './engine.js';

export type MockEndpoint = 'chat' | 'embeddings' | 'models' | 'model';

export interface WireRoute {
  readonly endpoint: MockEndpoint;
  /** A model named by the path (Azure deployments, `GET /models/{id}`). */
  readonly model: string | undefined;
}

/** Tokens billed for one response, in the four classes providers report. */
export interface MockUsage {
  /** All prompt tokens, cached ones included. */
  readonly inputTokens: number;
  /** All output tokens, reasoning included. */
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly reasoningTokens: number;
  /** Prompt tokens written to the cache (a subset of the prompt, disjoint from the cached ones). */
  readonly cacheWriteTokens?: number;
}

export interface DecodedChat {
  readonly input: ChatInput;
  readonly stream: boolean;
  /** The client asked for a usage event at the end of the stream. */
  readonly includeUsage: boolean;
}

export interface DecodedEmbeddings {
  readonly model: string;
  readonly inputs: readonly (string | readonly number[])[];
  readonly dimensions: number | undefined;
  readonly base64: boolean;
}

/** Why a request was rejected as invalid (answered 400). */
export interface WireProblem {
  readonly problem: string;
  readonly param: string | null;
}

export function isProblem(value: object): value is WireProblem {
  return 'problem' in value;
}

/** Everything a wire needs to encode a chat answer. */
export interface ChatReply {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
  readonly decoded: DecodedChat;
  readonly choices: readonly MockChoice[];
  /** Undefined when the usage is withheld (the `missing_usage` fault). */
  readonly usage: MockUsage | undefined;
  /** False when finish reasons are withheld (the `no_finish` fault). */
  readonly finished: boolean;
}

/**
 * One stream event. `tokens` is what it carries of the answer, so the server can pace and cut
 * the stream by tokens without understanding the protocol; `kind` lets it drop the finish or
 * usage events to simulate faults.
 */
export interface StreamFrame {
  readonly data: string;
  readonly tokens: number;
  readonly kind: 'start' | 'content' | 'finish' | 'usage' | 'done';
}

export interface WireError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WireErrorOptions {
  readonly param?: string | null;
  readonly retryAfterS?: number | undefined;
}

/** One wire protocol as the mock server sees it. */
export interface MockWire {
  /** The endpoint a request names, or undefined when this wire does not serve the path. */
  match(method: string, pathname: string): WireRoute | undefined;
  /** Whether the request carries `key` the way this protocol sends API keys. */
  hasKey(headers: IncomingHttpHeaders, key: string): boolean;
  decodeChat(body: unknown, route: WireRoute): DecodedChat | WireProblem;
  decodeEmbeddings(body: unknown, route: WireRoute): DecodedEmbeddings | WireProblem;
  encodeChat(reply: ChatReply): string;
  /** The whole stream, in order; the server decides when (and whether) each frame is sent. */
  chatFrames(reply: ChatReply): StreamFrame[];
  encodeEmbeddings(
    request: DecodedEmbeddings,
    vectors: readonly Float32Array[],
    usage: MockUsage | undefined,
  ): string;
  encodeModels(ids: readonly string[]): string;
  encodeModel(id: string): string;
  error(status: number, message: string, options?: WireErrorOptions): WireError;
  /** An error event sent inside an open stream. */
  streamError(message: string): string;
  /** A stream event whose JSON is cut short. */
  malformedFrame(reply: ChatReply): string;
  /** Content type of a chat stream; default `text/event-stream` (Ollama streams NDJSON). */
  readonly streamContentType?: string;
}
