/**
 * @module providers/gemini/gemini-stream-decoder
 * `streamGenerateContent?alt=sse` events → canonical stream parts. Every event is a whole
 * GenerateContentResponse chunk: `start` comes from the first, then per candidate its text,
 * thought (reasoning) deltas and function calls — Gemini sends each call whole, so it becomes
 * one tool-call delta with id, name and all the arguments — and a `finish` on the chunk that
 * carries the candidate's `finishReason`. Usage metadata repeats on every chunk with running
 * counts; one `usage` part is emitted once every candidate has finished (again only if a later
 * chunk changes it), or at the end when the stream stopped early, so that what was consumed is
 * still accounted. Gemini sends no terminal event: the message is over (`done`) once every
 * candidate has finished, so a stream that ends before a finish reason is a cut stream. A
 * prompt blocked outright finishes choice 0 with the content filter. An `{"error": …}` event
 * becomes an `error` part.
 */

import type { StreamPart } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, numberOr, stringOr } from '../shared/json.js';
import type { StreamDecoder, StreamEvent, UpstreamTarget } from '../spec.js';
import { createdOf, responseModel, toToolCall } from './gemini-chat-response.js';
import { classifyGeminiInBandError } from './gemini-error.js';
import { tagSignature } from './gemini-thought-signature.js';
import { mapGeminiBlockReason, mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { mapGeminiLogprobs } from './map-gemini-logprobs.js';
import { mapGeminiUsage } from './map-gemini-usage.js';

function malformed(target: UpstreamTarget, reason: string, cause?: unknown): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `malformed stream from upstream: ${reason}`, {
    details: { provider: target.provider },
    cause,
  });
}

interface ChoiceState {
  /** Function calls seen so far: the next call's position. */
  calls: number;
  finished: boolean;
}

export function createGeminiStreamDecoder(target: UpstreamTarget): StreamDecoder {
  let started = false;
  let done = false;
  let responseId = '';
  const choices: ChoiceState[] = [];
  let unfinished = 0;
  /** The latest usage metadata, and whether it has changed since a usage part went out. */
  let usage: unknown;
  let usagePending = false;

  function stateOf(index: number): ChoiceState {
    let state = choices[index];
    if (state === undefined) {
      state = { calls: 0, finished: false };
      choices[index] = state;
      unfinished++;
    }
    return state;
  }

  function finish(index: number, state: ChoiceState, out: StreamPart[], raw: string, blocked: boolean): void {
    if (state.finished) return;
    state.finished = true;
    unfinished--;
    out.push({
      type: 'finish',
      choice: index,
      finishReason: blocked ? mapGeminiBlockReason(raw) : mapGeminiFinishReason(raw, state.calls > 0),
    });
  }

  function pushCandidate(value: unknown, position: number, out: StreamPart[]): void {
    if (!isRecord(value)) return;
    const index = numberOr(value.index) ?? position;
    const state = stateOf(index);
    const content = value.content;
    const parts = isRecord(content) && Array.isArray(content.parts) ? content.parts : undefined;
    if (parts !== undefined) {
      for (const part of parts) {
        if (!isRecord(part)) continue;
        const signature = stringOr(part.thoughtSignature);
        const text = stringOr(part.text);
        if (text !== undefined) {
          if (part.thought === true) {
            out.push(
              signature === undefined
                ? { type: 'reasoning-delta', choice: index, text }
                : { type: 'reasoning-delta', choice: index, text, signature: tagSignature(signature) },
            );
            continue;
          }
          if (signature !== undefined) {
            out.push({
              type: 'reasoning-delta',
              choice: index,
              text: '',
              signature: tagSignature(signature),
            });
          }
          if (text !== '') out.push({ type: 'text-delta', choice: index, text });
          continue;
        }
        const call = toToolCall(part, responseId, state.calls);
        if (call === undefined) continue;
        out.push({
          type: 'tool-call-delta',
          choice: index,
          index: state.calls,
          id: call.id,
          name: call.name,
          argumentsDelta: call.arguments,
        });
        state.calls++;
      }
    }
    const logprobs = mapGeminiLogprobs(value.logprobsResult);
    if (logprobs !== undefined && logprobs.length > 0)
      out.push({ type: 'logprobs', choice: index, tokens: logprobs });
    const reason = stringOr(value.finishReason);
    if (reason !== undefined && reason !== '' && reason !== 'FINISH_REASON_UNSPECIFIED') {
      finish(index, state, out, reason, false);
    }
  }

  function flushUsage(out: StreamPart[]): void {
    if (!usagePending) return;
    usagePending = false;
    out.push({ type: 'usage', usage: mapGeminiUsage(usage) });
  }

  return {
    get done(): boolean {
      return done;
    },

    push(event: StreamEvent): StreamPart[] {
      let chunk: unknown;
      try {
        chunk = JSON.parse(event.data);
      } catch (cause) {
        throw malformed(target, 'a data line is not JSON', cause);
      }
      if (!isRecord(chunk)) throw malformed(target, 'a chunk is not a JSON object');
      if (chunk.error !== undefined && chunk.error !== null) {
        return [{ type: 'error', error: classifyGeminiInBandError(chunk, target) }];
      }

      const out: StreamPart[] = [];
      if (!started) {
        started = true;
        responseId = stringOr(chunk.responseId) ?? '';
        out.push({
          type: 'start',
          id: responseId,
          model: responseModel(chunk, target),
          created: createdOf(chunk),
        });
      }
      if (isRecord(chunk.usageMetadata)) {
        usage = chunk.usageMetadata;
        usagePending = true;
      }
      const candidates = chunk.candidates;
      if (Array.isArray(candidates) && candidates.length > 0) {
        for (let position = 0; position < candidates.length; position++) {
          pushCandidate(candidates[position], position, out);
        }
      } else if (isRecord(chunk.promptFeedback)) {
        const blockReason = stringOr(chunk.promptFeedback.blockReason);
        if (blockReason !== undefined && blockReason !== '') finish(0, stateOf(0), out, blockReason, true);
      }
      if (!done && choices.length > 0 && unfinished === 0) done = true;
      if (done) flushUsage(out);
      return out;
    },

    end(): StreamPart[] {
      const out: StreamPart[] = [];
      flushUsage(out);
      return out;
    },
  };
}
