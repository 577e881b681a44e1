/**
 * @module accounting/price-catalogue
 * Finds the prices of a model by the id a config, a client or an upstream gives it. Config
 * overrides win over the shipped catalogue (default-prices.ts). A lookup tries the id as given,
 * then lower-cased, then with the decorations providers and routers add stripped one at a time —
 * a `provider/` prefix, a Bedrock `anthropic.` prefix, `-latest`, a dated snapshot suffix
 * (`-2024-07-18`, `-20241022`, `@20241022`), a `-v2:0` version — so `gpt-4o-mini-2024-07-18`
 * bills as `gpt-4o-mini` unless a snapshot is priced apart. Results are memoised, so the hot path
 * pays one Map lookup per request.
 */

import { DEFAULT_PRICE_ENTRIES, type PriceEntry, type PriceVerification } from './default-prices.js';
import type { Prices } from './prices.js';

export interface CatalogueEntry {
  readonly model: string;
  readonly provider?: string;
  readonly prices: Readonly<Prices>;
  readonly aliases: readonly string[];
  /** Where the price comes from; `config` for prices set in switchyard.yaml. */
  readonly source: string;
  readonly asOf?: string;
  readonly verification: PriceVerification | 'config';
  readonly note?: string;
}

export interface PriceCatalogue {
  /** Prices of a model, by exact id, alias, or dated-snapshot / prefixed id; undefined if unknown. */
  lookup(model: string): Readonly<Prices> | undefined;
  /** The catalogue entry a model id resolves to, with its source. */
  resolve(model: string): CatalogueEntry | undefined;
  /** Every priced model: shipped entries (with overrides applied) and config-only models. */
  entries(): readonly CatalogueEntry[];
}

// Model ids reaching lookup come from configs and upstream responses; the bound only guards
// against a client spraying random model names through the memo.
const MEMO_LIMIT = 4_096;

const PREFIXES: readonly RegExp[] = [
  /^(?:us|eu|apac|global)\.(?=[a-z]+\.)/, // Bedrock cross-region inference profiles
  /^(?:anthropic|meta|mistral|amazon|cohere)\./, // Bedrock model ids
];
const SUFFIXES: readonly RegExp[] = [
  /-latest$/,
  /@\d{8}$/, // Vertex AI snapshots
  /-v\d+(?::\d+)?$/, // Bedrock / Vertex versions
  /-\d{4}-\d{2}-\d{2}$/, // OpenAI snapshots
  /-\d{8}$/, // Anthropic snapshots
  /-\d{4}$/, // Mistral and older OpenAI snapshots (-2411, -0613)
];

export function createPriceCatalogue(
  overrides: Readonly<Record<string, Prices>> = {},
  defaults: readonly PriceEntry[] = DEFAULT_PRICE_ENTRIES,
): PriceCatalogue {
  /** Canonical id → entry. */
  const byId = new Map<string, CatalogueEntry>();
  /** Lower-cased id or alias → canonical id. */
  const index = new Map<string, string>();
  const overrideByLowerId = new Map<string, Readonly<Prices>>();
  for (const [model, prices] of Object.entries(overrides)) {
    overrideByLowerId.set(model.toLowerCase(), Object.freeze({ ...prices }));
  }

  for (const e of defaults) {
    const override = overrideByLowerId.get(e.model.toLowerCase());
    byId.set(
      e.model,
      override === undefined
        ? { ...e, aliases: e.aliases ?? [] }
        : {
            model: e.model,
            provider: e.provider,
            prices: override,
            aliases: e.aliases ?? [],
            source: 'config',
            verification: 'config',
            note: `overrides the shipped price (${e.source}, ${e.asOf})`,
          },
    );
    index.set(e.model.toLowerCase(), e.model);
    for (const alias of e.aliases ?? []) index.set(alias.toLowerCase(), e.model);
  }
  for (const model of Object.keys(overrides)) {
    const lower = model.toLowerCase();
    const prices = overrideByLowerId.get(lower);
    // Applied above when the override names a shipped model; an override naming an alias or a
    // dated snapshot prices that id apart from its family.
    if (prices === undefined || index.get(lower)?.toLowerCase() === lower) continue;
    byId.set(model, { model, prices, aliases: [], source: 'config', verification: 'config' });
    index.set(lower, model);
  }

  const memo = new Map<string, CatalogueEntry | undefined>();

  function search(model: string): CatalogueEntry | undefined {
    for (const candidate of candidateIds(model)) {
      const id = byId.has(candidate) ? candidate : index.get(candidate);
      if (id !== undefined) return byId.get(id);
    }
    return undefined;
  }

  function resolve(model: string): CatalogueEntry | undefined {
    if (memo.has(model)) return memo.get(model);
    const found = search(model);
    if (memo.size < MEMO_LIMIT) memo.set(model, found);
    return found;
  }

  return {
    lookup: (model) => resolve(model)?.prices,
    resolve,
    entries: () => [...byId.values()],
  };
}

/** The ids tried for a model, most specific first. */
export function candidateIds(model: string): string[] {
  const out = [model];
  let id = model.trim().toLowerCase();
  const push = (next: string): void => {
    if (next.length > 0 && out[out.length - 1] !== next) out.push(next);
  };
  push(id);
  const slash = id.lastIndexOf('/');
  if (slash >= 0) {
    id = id.slice(slash + 1);
    push(id);
  }
  for (const prefix of PREFIXES) {
    const stripped = id.replace(prefix, '');
    if (stripped !== id) {
      id = stripped;
      push(id);
    }
  }
  // Suffixes stack (`-v2@20241022`, `-20241022-v2:0`): strip until none applies.
  for (let changed = true; changed; ) {
    changed = false;
    for (const suffix of SUFFIXES) {
      const stripped = id.replace(suffix, '');
      if (stripped !== id && stripped.length > 0) {
        id = stripped;
        push(id);
        changed = true;
      }
    }
  }
  return out;
}

/**
 * Converts the seed documents' `cost_per_1k_tokens: {input, output}` (USD per thousand tokens) to
 * `Prices`. Rounded to the micro-unit so that 0.0015 per 1k becomes exactly 1.5 per million.
 */
export function fromPer1k(per1k: { input?: number; output?: number }): Prices {
  return { inputPerMTok: per1kToPerM(per1k.input ?? 0), outputPerMTok: per1kToPerM(per1k.output ?? 0) };
}

function per1kToPerM(perThousand: number): number {
  if (!Number.isFinite(perThousand) || perThousand < 0) {
    throw new RangeError(`price per 1k tokens must be a finite non-negative number, got ${perThousand}`);
  }
  return Math.round(perThousand * 1e9) / 1e6;
}
