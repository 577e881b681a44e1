/**
 * @module cache/cache-key
 * What makes two requests the same question. The exact key is the SHA-256 of a canonical JSON of
 * everything that shapes the answer: the model or route name asked for and every routing option
 * that can choose among models or upstreams (all but `cache`, `priority` and `tags`, so an option
 * added later splits the key rather than sharing answers it should not), the messages, tools and tool choice, response format, sampling
 * (temperature, top_p, top_k, seed, penalties, logit bias), limits (max_tokens, stop, n),
 * logprobs, reasoning settings, wire fields passed through — and the caller's tenant scope, so
 * one project's (or key's) answers are never served to another unless `cache.scope: global`.
 * Left out because they do not change the answer: `stream` (a cached answer replays either
 * way), the end-user id and OpenAI's `metadata`.
 *
 * The semantic partition key hashes the same fields with the last user message's text left out:
 * a near-duplicate must agree on everything else exactly (same conversation so far, same model,
 * same settings) before lexical similarity of that one message is allowed to decide.
 */

import { createHash } from 'node:crypto';
import type { ChatRequest, Message, RoutingOptions } from '../core/chat.js';
import type { Caller } from '../gateway/request-context.js';
import type { CacheScope } from './cache-settings.js';
import { canonicalJson } from './canonical-json.js';

/** Bumped whenever the key's inputs or the stored entry's shape change: old entries then miss. */
export const KEY_VERSION = 'r1';

/** The tenant whose answers a caller may be served. */
export function scopeOf(caller: Caller, scope: CacheScope): string {
  if (scope === 'global') return 'global';
  if (scope === 'project' && caller.project !== undefined) return `project:${caller.project}`;
  // Callers without a virtual key (master key, open gateway) are the operator: one tenant.
  return caller.keyId === undefined ? 'operator' : `key:${caller.keyId}`;
}

/** Routing options that do not change the answer; every other one (present or future) is keyed. */
function answerRouting(routing: RoutingOptions | undefined): Partial<RoutingOptions> | undefined {
  if (routing === undefined) return undefined;
  const { cache: _cache, priority: _priority, tags: _tags, ...rest } = routing;
  return Object.keys(rest).length === 0 ? undefined : rest;
}

function keyFields(
  request: ChatRequest,
  scope: string,
  messages: readonly unknown[],
): Record<string, unknown> {
  return {
    scope,
    model: request.model,
    routing: answerRouting(request.routing),
    messages,
    tools: request.tools,
    toolChoice: request.toolChoice,
    parallelToolCalls: request.parallelToolCalls,
    responseFormat: request.responseFormat,
    temperature: request.temperature,
    topP: request.topP,
    topK: request.topK,
    seed: request.seed,
    presencePenalty: request.presencePenalty,
    frequencyPenalty: request.frequencyPenalty,
    logitBias: request.logitBias,
    maxTokens: request.maxTokens,
    stop: request.stop,
    n: request.n,
    logprobs: request.logprobs,
    topLogprobs: request.topLogprobs,
    reasoning: request.reasoning,
    passthrough: request.passthrough,
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The exact-match key of a request in a tenant scope. */
export function exactKey(request: ChatRequest, scope: string): string {
  return `${KEY_VERSION}:${sha256(canonicalJson(keyFields(request, scope, request.messages)))}`;
}

/** The text of the last message when it is a user message of text parts only; else undefined. */
export function lastUserText(messages: readonly Message[]): string | undefined {
  const last = messages.at(-1);
  if (last === undefined || last.role !== 'user') return undefined;
  let text = '';
  for (const part of last.content) {
    if (part.type !== 'text') return undefined;
    text += part.text;
  }
  return text;
}

/** The semantic partition: the exact key's inputs with the last user message's text left out. */
export function partitionKey(request: ChatRequest, scope: string): string {
  const messages = request.messages.slice(0, -1);
  const last = request.messages.at(-1);
  const marker =
    last?.role === 'user' && last.name !== undefined ? { role: 'user', name: last.name } : 'user';
  return sha256(canonicalJson(keyFields(request, scope, [...messages, { last: marker }])));
}
