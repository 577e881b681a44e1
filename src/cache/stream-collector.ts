/**
 * @module cache/stream-collector
 * Rebuilds the canonical result of a stream from its parts as they pass, so a streamed answer can
 * be cached like any other and replayed later — as a stream or not — with the same text,
 * reasoning, refusal, tool calls, logprobs and finish reasons. A stream with an error part, or
 * one that ended before every choice finished, yields no result.
 */

import type {
  AssistantMessage,
  ChatResult,
  ContentPart,
  LogprobToken,
  StreamPart,
  ToolCall,
} from '../core/chat.js';
import type { FinishReason } from '../core/finish-reason.js';
import type { Usage } from '../core/usage.js';

interface ChoiceState {
  text: string;
  thinking: string;
  signature?: string;
  refusal: string;
  toolCalls: Map<number, ToolCall>;
  logprobs: LogprobToken[];
  finishReason?: FinishReason;
}

export interface StreamCollector {
  add(part: StreamPart): void;
  /** The whole answer, once the stream finished every choice without error; else undefined. */
  result(): ChatResult | undefined;
}

export function createStreamCollector(): StreamCollector {
  let start: Extract<StreamPart, { type: 'start' }> | undefined;
  let usage: Usage | undefined;
  let failed = false;
  const choices = new Map<number, ChoiceState>();

  function choice(index: number): ChoiceState {
    let state = choices.get(index);
    if (state === undefined) {
      state = { text: '', thinking: '', refusal: '', toolCalls: new Map(), logprobs: [] };
      choices.set(index, state);
    }
    return state;
  }

  return {
    add(part) {
      switch (part.type) {
        case 'start':
          start = part;
          break;
        case 'text-delta':
          choice(part.choice).text += part.text;
          break;
        case 'reasoning-delta': {
          const state = choice(part.choice);
          state.thinking += part.text;
          if (part.signature !== undefined) state.signature = part.signature;
          break;
        }
        case 'refusal-delta':
          choice(part.choice).refusal += part.text;
          break;
        case 'tool-call-delta': {
          const calls = choice(part.choice).toolCalls;
          const call = calls.get(part.index) ?? { id: '', name: '', arguments: '' };
          if (part.id !== undefined) call.id = part.id;
          if (part.name !== undefined) call.name = part.name;
          call.arguments += part.argumentsDelta;
          calls.set(part.index, call);
          break;
        }
        case 'logprobs':
          choice(part.choice).logprobs.push(...part.tokens);
          break;
        case 'finish':
          choice(part.choice).finishReason = part.finishReason;
          break;
        case 'usage':
          usage = part.usage;
          break;
        case 'error':
          failed = true;
          break;
      }
    },

    result() {
      if (failed || start === undefined || choices.size === 0) return undefined;
      const out: ChatResult['choices'] = [];
      for (const [index, state] of [...choices].sort((a, b) => a[0] - b[0])) {
        if (state.finishReason === undefined) return undefined;
        const content: ContentPart[] = [];
        if (state.thinking !== '' || state.signature !== undefined) {
          content.push({
            type: 'thinking',
            text: state.thinking,
            ...(state.signature === undefined ? {} : { signature: state.signature }),
          });
        }
        if (state.text !== '') content.push({ type: 'text', text: state.text });
        const message: AssistantMessage = { role: 'assistant', content };
        if (state.toolCalls.size > 0) {
          message.toolCalls = [...state.toolCalls].sort((a, b) => a[0] - b[0]).map(([, call]) => call);
        }
        if (state.refusal !== '') message.refusal = state.refusal;
        out.push({
          index,
          message,
          finishReason: state.finishReason,
          ...(state.logprobs.length > 0 ? { logprobs: state.logprobs } : {}),
        });
      }
      return {
        id: start.id,
        model: start.model,
        created: start.created,
        choices: out,
        usage: usage ?? { inputTokens: 0, outputTokens: 0, estimated: true },
        ...(start.systemFingerprint === undefined ? {} : { systemFingerprint: start.systemFingerprint }),
      };
    },
  };
}
