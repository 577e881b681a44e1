/**
 * @module providers/openai/openai-stream-decoder
 * `chat.completion.chunk` events → canonical stream parts. One `start` from the first chunk that
 * names the completion (Azure opens with an anonymous prompt-filter chunk, which is skipped),
 * then per choice: text, refusal and reasoning deltas, tool-call deltas (id and name passed on
 * once per call, argument fragments as they come), logprobs and the finish; usage from the
 * usage chunk; `[DONE]` marks the end. An `{"error": …}` event becomes an `error` part carrying a
 * classified GatewayError. Whether a stream that stopped without `[DONE]` or without a finish
 * was cut is the executor's call: it reads `done`.
 */

import type { StreamPart } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, numberOr, stringOr } from '../shared/json.js';
import type { StreamDecoder, StreamEvent, UpstreamTarget } from '../spec.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { mapOpenAILogprobs } from './map-openai-logprobs.js';
import { mapOpenAIUsage } from './map-openai-usage.js';
import { classifyOpenAIInBandError } from './openai-error.js';

function malformed(target: UpstreamTarget, reason: string, cause?: unknown): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `malformed stream from upstream: ${reason}`, {
    details: { provider: target.provider },
    cause,
  });
}

export function createOpenAIStreamDecoder(target: UpstreamTarget): StreamDecoder {
  return new OpenAIStreamDecoder(target);
}

/** A class, not closures: each open stream keeps one small object rather than a function per method. */
class OpenAIStreamDecoder implements StreamDecoder {
  readonly #target: UpstreamTarget;
  #started = false;
  #done = false;
  /** Per choice, per tool-call index: bit 1 = id passed on, bit 2 = name passed on. */
  #toolCallsSeen: number[][] | undefined;

  constructor(target: UpstreamTarget) {
    this.#target = target;
  }

  get done(): boolean {
    return this.#done;
  }

  push(event: StreamEvent): StreamPart[] {
    const data = event.data;
    const target = this.#target;
    // Matched by prefix, as the official client does.
    if (data.startsWith('[DONE]')) {
      this.#done = true;
      return [];
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch (cause) {
      throw malformed(target, 'a data line is not JSON', cause);
    }
    if (!isRecord(chunk)) throw malformed(target, 'a chunk is not a JSON object');

    if (chunk.error !== undefined && chunk.error !== null) {
      return [{ type: 'error', error: classifyOpenAIInBandError(chunk, target) }];
    }

    const out: StreamPart[] = [];
    const choices = chunk.choices;
    const hasChoices = Array.isArray(choices) && choices.length > 0;
    const usage = chunk.usage;
    if (!this.#started) {
      const id = stringOr(chunk.id) ?? '';
      if (id !== '' || hasChoices || isRecord(usage)) {
        this.#started = true;
        const model = stringOr(chunk.model);
        out.push({
          type: 'start',
          id,
          model: model === undefined || model === '' ? target.model : model,
          created: numberOr(chunk.created) ?? 0,
        });
      }
    }
    if (hasChoices) {
      for (let position = 0; position < choices.length; position++)
        this.#pushChoice(choices[position], position, out);
    }
    if (isRecord(usage)) out.push({ type: 'usage', usage: mapOpenAIUsage(usage) });
    return out;
  }

  end(): StreamPart[] {
    return [];
  }

  #firstTime(choice: number, index: number, bit: number): boolean {
    this.#toolCallsSeen ??= [];
    let calls = this.#toolCallsSeen[choice];
    if (calls === undefined) {
      calls = [];
      this.#toolCallsSeen[choice] = calls;
    }
    const seen = calls[index] ?? 0;
    if ((seen & bit) !== 0) return false;
    calls[index] = seen | bit;
    return true;
  }

  #pushToolCalls(choice: number, deltas: unknown[], out: StreamPart[]): void {
    for (let position = 0; position < deltas.length; position++) {
      const delta = deltas[position];
      if (!isRecord(delta)) continue;
      const index = numberOr(delta.index) ?? position;
      const fn = isRecord(delta.function) ? delta.function : undefined;
      const part: Extract<StreamPart, { type: 'tool-call-delta' }> = {
        type: 'tool-call-delta',
        choice,
        index,
        argumentsDelta: fn === undefined ? '' : (stringOr(fn.arguments) ?? ''),
      };
      const id = stringOr(delta.id);
      if (id !== undefined && id !== '' && this.#firstTime(choice, index, 1)) part.id = id;
      const name = fn === undefined ? undefined : stringOr(fn.name);
      if (name !== undefined && name !== '' && this.#firstTime(choice, index, 2)) part.name = name;
      if (part.id === undefined && part.name === undefined && part.argumentsDelta === '') continue;
      out.push(part);
    }
  }

  #pushChoice(value: unknown, position: number, out: StreamPart[]): void {
    if (!isRecord(value)) return;
    const choice = numberOr(value.index) ?? position;
    const delta = value.delta;
    if (isRecord(delta)) {
      // `reasoning_content` / `reasoning` come from OpenAI-compatible reasoning servers (vLLM, DeepSeek).
      const reasoning = stringOr(delta.reasoning_content) ?? stringOr(delta.reasoning);
      if (reasoning !== undefined && reasoning !== '')
        out.push({ type: 'reasoning-delta', choice, text: reasoning });
      const content = delta.content;
      if (typeof content === 'string' && content !== '')
        out.push({ type: 'text-delta', choice, text: content });
      const refusal = delta.refusal;
      if (typeof refusal === 'string' && refusal !== '')
        out.push({ type: 'refusal-delta', choice, text: refusal });
      if (Array.isArray(delta.tool_calls)) this.#pushToolCalls(choice, delta.tool_calls, out);
    }
    const logprobs = value.logprobs;
    if (isRecord(logprobs)) {
      const tokens = mapOpenAILogprobs(logprobs.content);
      if (tokens !== undefined && tokens.length > 0) out.push({ type: 'logprobs', choice, tokens });
    }
    const finish = value.finish_reason;
    if (typeof finish === 'string' && finish !== '') {
      out.push({ type: 'finish', choice, finishReason: mapOpenAIFinishReason(finish) });
    }
  }
}
