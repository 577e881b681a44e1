/**
 * @module http/wire/openai/encode-chat-stream
 * Canonical stream parts → OpenAI `chat.completion.chunk` server-sent events, byte for byte in
 * the shape OpenAI sends: a first chunk per choice with `delta: {role: 'assistant', content: ''}`,
 * content / refusal / tool-call deltas, a finish chunk with `finish_reason`, and — only when the
 * client asked with `stream_options.include_usage` — a usage chunk with `choices: []` (every
 * other chunk then carries `usage: null`, as OpenAI's do). Reasoning deltas have no place on this
 * wire and encode to nothing.
 *
 * Errors: an `error` part becomes `data: {"error": {code, message, type}}`. The caller must then
 * end the response WITHOUT `data: [DONE]`: official OpenAI clients throw on an `error` event, and
 * a stream that ends without `[DONE]` can never be mistaken for a complete answer (DESIGN.md §5).
 *
 * The chunk envelope is built once and text deltas cost one JSON.stringify of the text: this
 * runs for every token the gateway streams.
 */

import type { StreamPart } from '../../../core/chat.js';
import { encodeFinishReason, encodeLogprobs, encodeUsage } from './encode-wire-fields.js';

export interface ChatStreamEncoder {
  /** SSE text for one part; may be the empty string when the part has no wire form. */
  encode(part: StreamPart): string;
  /** The terminating `data: [DONE]` event; only after a stream that did not fail. */
  done(): string;
}

const NO_LOGPROBS_NO_FINISH = '"logprobs":null,"finish_reason":null';
const DONE = 'data: [DONE]\n\n';

export function createChatStreamEncoder(opts: {
  id: string;
  model: string;
  includeUsage: boolean;
}): ChatStreamEncoder {
  return new OpenAIChatStreamEncoder(opts);
}

/** A class, not closures: each open stream keeps one small object rather than a function per method. */
class OpenAIChatStreamEncoder implements ChatStreamEncoder {
  readonly #idJson: string;
  readonly #modelJson: string;
  readonly #includeUsage: boolean;
  readonly #suffix: string;
  #created = 0;
  /** `data: {"id":…,"object":…,"created":…,"model":…,` — set once `created` is known. */
  #envelope: string | undefined;
  /** Whether choice 0 had its role chunk; other choices (n > 1) are kept in `#roleSent`. */
  #firstRoleSent = false;
  #roleSent: boolean[] | undefined;

  constructor(opts: { id: string; model: string; includeUsage: boolean }) {
    this.#idJson = JSON.stringify(opts.id);
    this.#modelJson = JSON.stringify(opts.model);
    this.#includeUsage = opts.includeUsage;
    this.#suffix = opts.includeUsage ? ',"usage":null}\n\n' : '}\n\n';
  }

  encode(part: StreamPart): string {
    switch (part.type) {
      case 'start':
        if (part.created > 0) {
          this.#created = part.created;
          this.#envelope = undefined;
        }
        return this.#opening(0);
      case 'text-delta':
        return (
          this.#opening(part.choice) +
          this.#chunk(part.choice, `{"content":${JSON.stringify(part.text)}}`, NO_LOGPROBS_NO_FINISH)
        );
      case 'refusal-delta':
        return (
          this.#opening(part.choice) +
          this.#chunk(part.choice, `{"refusal":${JSON.stringify(part.text)}}`, NO_LOGPROBS_NO_FINISH)
        );
      case 'tool-call-delta':
        return (
          this.#opening(part.choice) + this.#chunk(part.choice, toolCallDelta(part), NO_LOGPROBS_NO_FINISH)
        );
      case 'logprobs':
        return (
          this.#opening(part.choice) +
          this.#chunk(
            part.choice,
            '{}',
            `"logprobs":${JSON.stringify(encodeLogprobs(part.tokens))},"finish_reason":null`,
          )
        );
      case 'finish':
        return (
          this.#opening(part.choice) +
          this.#chunk(
            part.choice,
            '{}',
            `"logprobs":null,"finish_reason":"${encodeFinishReason(part.finishReason)}"`,
          )
        );
      case 'usage':
        if (!this.#includeUsage) return '';
        return `${this.#head()}"choices":[],"usage":${JSON.stringify(encodeUsage(part.usage))}}\n\n`;
      case 'error': {
        const { code, message, type } = part.error;
        return `data: ${JSON.stringify({ error: { code, message, type } })}\n\n`;
      }
      case 'reasoning-delta':
        return '';
    }
  }

  done(): string {
    return DONE;
  }

  #head(): string {
    if (this.#envelope === undefined) {
      if (this.#created === 0) this.#created = Math.floor(Date.now() / 1000);
      this.#envelope = `data: {"id":${this.#idJson},"object":"chat.completion.chunk","created":${this.#created},"model":${this.#modelJson},`;
    }
    return this.#envelope;
  }

  #chunk(choice: number, delta: string, tail: string): string {
    return `${this.#head()}"choices":[{"index":${choice},"delta":${delta},${tail}}]${this.#suffix}`;
  }

  /** The role chunk OpenAI opens every choice with, if this choice has not had it yet. */
  #opening(choice: number): string {
    if (choice === 0) {
      if (this.#firstRoleSent) return '';
      this.#firstRoleSent = true;
    } else {
      this.#roleSent ??= [];
      if (this.#roleSent[choice] === true) return '';
      this.#roleSent[choice] = true;
    }
    return this.#chunk(choice, '{"role":"assistant","content":""}', NO_LOGPROBS_NO_FINISH);
  }
}

function toolCallDelta(part: Extract<StreamPart, { type: 'tool-call-delta' }>): string {
  let call = `{"index":${part.index}`;
  if (part.id !== undefined) call += `,"id":${JSON.stringify(part.id)},"type":"function"`;
  call += ',"function":{';
  if (part.name !== undefined) call += `"name":${JSON.stringify(part.name)},`;
  call += `"arguments":${JSON.stringify(part.argumentsDelta)}}}`;
  return `{"tool_calls":[${call}]}`;
}
