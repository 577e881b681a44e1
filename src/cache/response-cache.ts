/**
 * @module cache/response-cache
 * The response cache of chat requests (DESIGN.md §1: after admission, before routing executes).
 * `lookup` runs once per request: it applies the policy (`cache-policy.ts`), looks the exact key
 * up and, on a miss with the semantic stage on, the most similar earlier prompt of the same
 * partition; it answers with a `CacheLookup` that the gateway uses for the rest of the request —
 * to serve a hit, and on a miss to keep the answer once it is complete (`store` for a whole
 * result, `tap` + `storeTapped` for a stream, whose parts it rebuilds into one result).
 *
 * Keeping an answer never delays the response: the entry is encoded and written on a later turn
 * of the event loop (`setImmediate`), after the response has gone out, and the write is not
 * awaited by anyone. A store that fails (Redis down, say) costs one bounded wait: the cache then
 * stands aside for a few seconds — requests pass as `skip` — instead of slowing every request.
 */

import type { Registry as MetricsRegistry } from 'prom-client';
import { formatUsd } from '../accounting/compute-cost.js';
import type { ChatRequest, ChatResult, StreamPart } from '../core/chat.js';
import type { Usage } from '../core/usage.js';
import { tapParts } from '../execution/part-stream.js';
import { resultToParts } from '../execution/result-stream.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { Logger } from '../observability/logger.js';
import type { Deployment, ModelEntry, Registry } from '../registry/registry.js';
import type { CacheStore } from '../storage/cache-ports.js';
import { decodeEntry, encodeEntry } from './cache-entry.js';
import { exactKey, lastUserText, partitionKey, scopeOf } from './cache-key.js';
import { type CacheMatch, type CacheResult, createCacheMetrics } from './cache-metrics.js';
import { cachePolicy, isCacheable } from './cache-policy.js';
import type { CacheSettings } from './cache-settings.js';
import { type LexicalVector, vectorise } from './lexical-vector.js';
import { createSemanticIndex } from './semantic-index.js';
import { createStreamCollector } from './stream-collector.js';

/** Longest last user message the semantic stage compares (longer ones only hit exactly). */
export const MAX_SEMANTIC_CHARS = 4_000;
/** How long the cache stands aside after its store failed. */
export const UNAVAILABLE_BACKOFF_MS = 5_000;

export interface AnsweredBy {
  model: ModelEntry;
  deployment: Deployment;
}

export interface CacheHit extends AnsweredBy {
  /** The stored answer; its usage is the usage reported when it was produced. */
  result: ChatResult;
  /** What the answer cost when it was produced: this request's saving. */
  savedNanos: number;
  match: CacheMatch;
  /** Cosine similarity of a semantic match. */
  similarity?: number;
  /** For the decision trace. */
  decision: string;
}

/** What the cache decided for one request, and how to keep its answer. */
export interface CacheLookup {
  readonly status: CacheResult;
  readonly hit?: CacheHit;
  /** Keeps a complete answer for later requests (after the response is out); never throws. */
  store(result: ChatResult, answeredBy: AnsweredBy, costNanos: number): void;
  /** The stream's parts, watched so that `storeTapped` can keep the whole answer. */
  tap(parts: AsyncGenerator<StreamPart, void>): AsyncGenerator<StreamPart, void>;
  /** Keeps the tapped stream's answer, when it completed, with the gateway's final usage. */
  storeTapped(answeredBy: AnsweredBy, usage: Usage, costNanos: number): void;
}

export interface ResponseCache {
  /** Decides for one request; `registry` resolves a hit's model (the current one, across reloads). */
  lookup(request: ChatRequest, context: RequestContext, registry: Registry): Promise<CacheLookup>;
  /** Drops every cached answer; resolves to how many. */
  clear(): Promise<number>;
  /** Resolves once every answer handed to `store` so far has been written (or refused). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface ResponseCacheOptions {
  settings: CacheSettings;
  store: CacheStore;
  logger: Logger;
  /** Where `switchyard_cache_*` metrics go; none when absent. */
  metricsRegistry?: MetricsRegistry;
  now?: () => number;
}

const noop = (): void => {};

function passThrough(parts: AsyncGenerator<StreamPart, void>): AsyncGenerator<StreamPart, void> {
  return parts;
}

/** The lookup of a request the cache does not touch (also: the cache is off). */
export const CACHE_SKIPPED: CacheLookup = Object.freeze({
  status: 'skip',
  store: noop,
  tap: passThrough,
  storeTapped: noop,
});

interface SemanticProbe {
  partition: string;
  vector: LexicalVector;
}

/** The decision-trace line of a hit: the ledger's record of what kind of hit, and what it saved. */
function hitDecision(match: string, ageMs: number, savedNanos: number): string {
  const age = ageMs < 120_000 ? `${Math.round(ageMs / 1000)} s` : `${Math.round(ageMs / 60_000)} min`;
  const saved = Number.isSafeInteger(savedNanos) ? formatUsd(savedNanos, 9) : 'unknown';
  return `served from the response cache (${match}, stored ${age} ago, saved ${saved})`;
}

export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const { settings, store, logger } = options;
  const now = options.now ?? Date.now;
  const metrics = createCacheMetrics(options.metricsRegistry);
  const index = settings.semantic.enabled
    ? createSemanticIndex({ maxEntries: settings.semantic.maxEntries, now })
    : undefined;
  const pending = new Set<Promise<void>>();
  let unavailableUntil = 0;
  let closed = false;
  let lastWarning = 0;
  let suppressed = 0;

  /** The store failed: say so (at most every few seconds) and stand aside for a while. */
  function unavailable(error: unknown, during: string): void {
    unavailableUntil = now() + UNAVAILABLE_BACKOFF_MS;
    const at = now();
    if (at - lastWarning < UNAVAILABLE_BACKOFF_MS) {
      suppressed++;
      return;
    }
    lastWarning = at;
    logger.warn(`response cache unavailable during ${during}; bypassing it for a few seconds`, {
      error,
      ...(suppressed > 0 ? { suppressed } : {}),
    });
    suppressed = 0;
  }

  function answeredBy(registry: Registry, model: string, deployment: string): AnsweredBy | undefined {
    const entry = registry.get(model);
    const found = entry?.deployments.find((d) => d.id === deployment);
    return entry === undefined || found === undefined ? undefined : { model: entry, deployment: found };
  }

  /** The stored answer under `key`, if it decodes and its model is still configured. */
  async function read(
    registry: Registry,
    key: string,
  ): Promise<(AnsweredBy & { result: ChatResult; savedNanos: number; ageMs: number }) | undefined> {
    const bytes = await store.get(key);
    if (bytes === undefined) return undefined;
    const entry = decodeEntry(bytes);
    if (entry === undefined) return undefined;
    const by = answeredBy(registry, entry.model, entry.deployment);
    if (by === undefined) return undefined;
    return {
      ...by,
      result: entry.result,
      savedNanos: entry.costNanos,
      ageMs: Math.max(0, now() - entry.storedAt),
    };
  }

  async function find(
    registry: Registry,
    key: string,
    probe: SemanticProbe | undefined,
  ): Promise<CacheHit | undefined> {
    const exact = await read(registry, key);
    if (exact !== undefined) {
      const { ageMs, ...hit } = exact;
      return { ...hit, match: 'exact', decision: hitDecision('exact match', ageMs, hit.savedNanos) };
    }
    if (probe === undefined || index === undefined) return undefined;
    const match = index.search(probe.partition, probe.vector, settings.semantic.threshold);
    if (match === undefined) return undefined;
    const similar = await read(registry, match.key);
    if (similar === undefined) {
      index.remove(match.key);
      return undefined;
    }
    const { ageMs, ...hit } = similar;
    return {
      ...hit,
      match: 'semantic',
      similarity: match.similarity,
      decision: hitDecision(
        `semantic match, lexical similarity ${match.similarity.toFixed(3)}`,
        ageMs,
        hit.savedNanos,
      ),
    };
  }

  function write(
    key: string,
    probe: SemanticProbe | undefined,
    result: ChatResult,
    by: AnsweredBy,
    costNanos: number,
  ): void {
    if (closed) return;
    const text = encodeEntry({
      model: by.model.name,
      deployment: by.deployment.id,
      costNanos,
      storedAt: now(),
      result,
    });
    const expiresAt = now() + settings.ttlMs;
    const done = store.set(key, text, settings.ttlMs).then(
      (stored) => {
        metrics.write(stored ? 'stored' : 'refused');
        if (stored && probe !== undefined) index?.add(probe.partition, key, probe.vector, expiresAt);
      },
      (error: unknown) => {
        metrics.write('failed');
        unavailable(error, 'a write');
      },
    );
    pending.add(done);
    void done.finally(() => pending.delete(done));
  }

  function storing(status: CacheResult, key: string, probe: SemanticProbe | undefined): CacheLookup {
    let collector: ReturnType<typeof createStreamCollector> | undefined;
    const keep = (result: ChatResult, by: AnsweredBy, costNanos: number): void => {
      if (closed || !isCacheable(result)) return;
      // After the response: the encoding and the write are nobody's latency.
      const scheduled = new Promise<void>((resolve) => {
        setImmediate(() => {
          try {
            write(key, probe, result, by, costNanos);
          } catch (error) {
            logger.error('response cache write failed', { error });
          }
          resolve();
        });
      });
      pending.add(scheduled);
      void scheduled.finally(() => pending.delete(scheduled));
    };
    return {
      status,
      store: keep,
      tap(parts) {
        const tapped = createStreamCollector();
        collector = tapped;
        return tapParts(parts, (part) => tapped.add(part));
      },
      storeTapped(by, usage, costNanos) {
        const result = collector?.result();
        if (result !== undefined) keep({ ...result, usage }, by, costNanos);
      },
    };
  }

  function semanticProbe(request: ChatRequest, scope: string): SemanticProbe | undefined {
    if (index === undefined) return undefined;
    const text = lastUserText(request.messages);
    if (text === undefined || text.length > MAX_SEMANTIC_CHARS || text.trim() === '') return undefined;
    return { partition: partitionKey(request, scope), vector: vectorise(text) };
  }

  return {
    async lookup(request, context, registry) {
      const policy = cachePolicy(request, settings.cacheNondeterministic);
      if ((!policy.lookup && !policy.store) || closed || now() < unavailableUntil) {
        metrics.request('skip');
        return CACHE_SKIPPED;
      }
      const scope = scopeOf(context.caller, settings.scope);
      const key = exactKey(request, scope);
      const probe = semanticProbe(request, scope);
      if (!policy.lookup) {
        metrics.request('skip');
        return storing('skip', key, probe);
      }
      let hit: CacheHit | undefined;
      try {
        hit = await find(registry, key, probe);
      } catch (error) {
        unavailable(error, 'a lookup');
        metrics.request('skip');
        return CACHE_SKIPPED;
      }
      if (hit === undefined) {
        metrics.request('miss');
        return storing('miss', key, probe);
      }
      metrics.request('hit', hit.match);
      return { status: 'hit', hit, store: noop, tap: passThrough, storeTapped: noop };
    },

    clear: () => store.clear(),

    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },

    async close() {
      if (closed) return;
      while (pending.size > 0) await Promise.allSettled([...pending]);
      closed = true;
      await store.close();
    },
  };
}

/**
 * A cached answer as a stream: the parts a provider's stream would have produced — start (with
 * the system fingerprint), content, tool calls, logprobs, finish per choice, usage — so any wire
 * encoder replays it as a well-formed stream.
 */
export async function* replayStream(result: ChatResult): AsyncGenerator<StreamPart, void> {
  const logprobs = new Map<number, ChatResult['choices'][number]['logprobs']>();
  for (const choice of result.choices)
    if (choice.logprobs?.length) logprobs.set(choice.index, choice.logprobs);
  for (const part of resultToParts(result)) {
    if (part.type === 'start' && result.systemFingerprint !== undefined) {
      yield { ...part, systemFingerprint: result.systemFingerprint };
      continue;
    }
    if (part.type === 'finish') {
      const tokens = logprobs.get(part.choice);
      if (tokens !== undefined) yield { type: 'logprobs', choice: part.choice, tokens };
    }
    yield part;
  }
}
