/**
 * @module routing/strategies/candidate-set
 * A list of candidate models laid out for fast screening: tier ranks, capability bits, context
 * windows, per-token prices and quality in typed arrays, plus the list in blended-price order.
 * Built once per list and remembered by the list's identity, so the router's lists (all chat
 * models, each route's models) are laid out when the router is created and every plan after
 * that is a tight loop over numbers instead of property and Set lookups on 500 objects.
 */

import type { ModelEntry } from '../../registry/registry.js';
import { tierRank } from '../classify/tasks.js';

const CAPABILITY_BITS: Readonly<Record<string, number>> = {
  chat: 1,
  code: 2,
  summarization: 4,
  extraction: 8,
  classification: 16,
  reasoning: 32,
  math: 64,
  creative: 128,
  embeddings: 256,
  vision: 512,
  tools: 1024,
};

/** The bit of a canonical capability; 0 for names outside the canonical set (checked by name instead). */
export function capabilityBit(name: string): number {
  return CAPABILITY_BITS[name] ?? 0;
}

export interface CandidateSet {
  readonly models: readonly ModelEntry[];
  readonly size: number;
  /** 0 basic … 3 expert. */
  readonly tier: Uint8Array;
  readonly caps: Uint32Array;
  /** Union of every candidate's capability bits: what at least one candidate declares. */
  readonly declared: number;
  /** Context window in tokens; Infinity when unknown. */
  readonly context: Float64Array;
  /** Output-token cap; Infinity when unknown. */
  readonly maxOutput: Float64Array;
  /** USD per token. */
  readonly inPrice: Float64Array;
  readonly outPrice: Float64Array;
  readonly quality: Float64Array;
  /** 1 when the model has at least one deployment. */
  readonly available: Uint8Array;
  /** Indices, cheapest blended price first; ties: higher quality, then name. */
  readonly byPrice: Int32Array;
  /** Model family (`gpt`, `claude`, …), for diverse ensembles. */
  readonly family: readonly string[];
  /** The family as a small integer (0 … families − 1), for set membership without strings. */
  readonly familyId: Int32Array;
  readonly families: number;
  /** Scratch space for screening (plan-context.ts), so a plan allocates no per-candidate arrays. */
  readonly scratchIndex: Int32Array;
  readonly scratchCost: Float64Array;
  /** Views of the scratch buffers' first n entries, by n: made on first use, then reused by every plan. */
  readonly scratchIndexViews: (Int32Array | undefined)[];
  readonly scratchCostViews: (Float64Array | undefined)[];
  indexOf(name: string): number;
}

/** Blended USD per million tokens, weighting output 3:1 like a typical chat exchange. */
export function blendedPrice(model: ModelEntry): number {
  return (model.prices.inputPerMTok + 3 * model.prices.outputPerMTok) / 4;
}

/** `gpt-4o-mini` → `gpt`, `claude-haiku-3.5` → `claude`, `llama3-70b` → `llama`. */
export function familyOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  let end = 0;
  while (end < base.length) {
    const c = base.charCodeAt(end);
    if (!(c >= 97 && c <= 122)) break;
    end++;
  }
  return end === 0 ? base : base.slice(0, end);
}

const sets = new WeakMap<readonly ModelEntry[], CandidateSet>();

function build(models: readonly ModelEntry[]): CandidateSet {
  const size = models.length;
  const tier = new Uint8Array(size);
  const caps = new Uint32Array(size);
  const context = new Float64Array(size);
  const maxOutput = new Float64Array(size);
  const inPrice = new Float64Array(size);
  const outPrice = new Float64Array(size);
  const quality = new Float64Array(size);
  const available = new Uint8Array(size);
  const family: string[] = [];
  const familyId = new Int32Array(size);
  const familyIds = new Map<string, number>();
  const positions = new Map<string, number>();
  let declared = 0;
  models.forEach((model, i) => {
    tier[i] = tierRank(model.tier);
    let bits = 0;
    for (const capability of model.capabilities) bits |= capabilityBit(capability);
    caps[i] = bits;
    declared |= bits;
    context[i] = model.contextWindow ?? Number.POSITIVE_INFINITY;
    maxOutput[i] = model.maxOutputTokens ?? Number.POSITIVE_INFINITY;
    inPrice[i] = model.prices.inputPerMTok / 1e6;
    outPrice[i] = model.prices.outputPerMTok / 1e6;
    quality[i] = model.quality;
    available[i] = model.deployments.length > 0 ? 1 : 0;
    const name = familyOf(model.name);
    family.push(name);
    let id = familyIds.get(name);
    if (id === undefined) {
      id = familyIds.size;
      familyIds.set(name, id);
    }
    familyId[i] = id;
    if (!positions.has(model.name)) positions.set(model.name, i);
  });
  const order = models.map((_, i) => i);
  order.sort((a, b) => {
    const ma = models[a]!;
    const mb = models[b]!;
    return (
      blendedPrice(ma) - blendedPrice(mb) ||
      mb.quality - ma.quality ||
      (ma.name < mb.name ? -1 : ma.name > mb.name ? 1 : 0)
    );
  });
  return {
    models,
    size,
    tier,
    caps,
    declared,
    context,
    maxOutput,
    inPrice,
    outPrice,
    quality,
    available,
    byPrice: Int32Array.from(order),
    family,
    familyId,
    families: familyIds.size,
    scratchIndex: new Int32Array(size),
    scratchCost: new Float64Array(size),
    scratchIndexViews: Array.from({ length: size + 1 }, () => undefined),
    scratchCostViews: Array.from({ length: size + 1 }, () => undefined),
    indexOf: (name) => positions.get(name) ?? -1,
  };
}

/**
 * The laid-out form of a candidate list. Lists are remembered by identity: pass the same array
 * again and the layout is reused, so build lists once (the router does) rather than per call.
 */
export function candidateSet(models: readonly ModelEntry[]): CandidateSet {
  let set = sets.get(models);
  if (set === undefined) {
    set = build(models);
    sets.set(models, set);
  }
  return set;
}

/** `set.scratchIndex.subarray(0, count)`, made once per count (a subarray costs more than the screening). */
export function scratchIndexView(set: CandidateSet, count: number): Int32Array {
  let view = set.scratchIndexViews[count];
  if (view === undefined) {
    view = set.scratchIndex.subarray(0, count);
    set.scratchIndexViews[count] = view;
  }
  return view;
}

/** `set.scratchCost.subarray(0, count)`, made once per count. */
export function scratchCostView(set: CandidateSet, count: number): Float64Array {
  let view = set.scratchCostViews[count];
  if (view === undefined) {
    view = set.scratchCost.subarray(0, count);
    set.scratchCostViews[count] = view;
  }
  return view;
}

/** True when candidate `i` declares the capability (by bit when canonical, else by name). */
export function hasCapability(set: CandidateSet, i: number, bit: number, name: string): boolean {
  return bit !== 0 ? (set.caps[i]! & bit) !== 0 : set.models[i]!.capabilities.has(name);
}
