/**
 * @module eval/replay-registry
 * The registry the real strategies plan against during a replay: one model per dataset model,
 * served by a `replay` simulator provider that is never called, priced so that its blended price
 * per token is proportional to its mean cost per query on the training rows, with the quality
 * learned there. Built through the config schema and `createRegistry`, so strategies see exactly
 * what a gateway configured with these models would give them.
 */

import { configSchema, NAME_PATTERN } from '../config/schema.js';
import { adapterFor } from '../providers/index.js';
import { createRegistry, type ModelEntry, type Registry } from '../registry/registry.js';
import type { LearnedPriors } from '../routing/priors.js';

/** Tokens a query is assumed to weigh when a mean cost per query is turned into a price per token. */
const TOKENS_PER_QUERY = 1_000;

export interface ReplayRegistry {
  registry: Registry;
  /** Registry name of a dataset model (names config would refuse are rewritten). */
  nameOf(model: string): string;
  /** Dataset model of a registry name. */
  modelOf(name: string): string;
}

/** What a replay-registry model is expected to cost per query: its mean on the training rows. */
export function expectedCostUsd(model: ModelEntry): number {
  return (model.prices.inputPerMTok * TOKENS_PER_QUERY) / 1e6;
}

function configName(model: string, taken: Set<string>): string {
  let name =
    NAME_PATTERN.test(model) && !model.includes('..') && !model.includes('//')
      ? model
      : model
          .replace(/[^A-Za-z0-9._:@/-]/g, '_')
          .replace(/^[^A-Za-z0-9]+/, 'm')
          .replace(/\.\.|\/\//g, '_');
  name = name.slice(0, 128);
  for (let n = 2; taken.has(name); n++) name = `${name.slice(0, 120)}-${n}`;
  taken.add(name);
  return name;
}

export function createReplayRegistry(models: readonly string[], priors: LearnedPriors): ReplayRegistry {
  const taken = new Set<string>();
  const toName = new Map<string, string>();
  const toModel = new Map<string, string>();
  const modelConfigs: Record<string, unknown> = {};
  for (const model of models) {
    const name = configName(model, taken);
    toName.set(model, name);
    toModel.set(name, model);
    const prior = priors.overall(model);
    const perMTok = ((prior?.costPerQuery ?? 0) * 1e6) / TOKENS_PER_QUERY;
    modelConfigs[name] = {
      capabilities: ['chat'],
      pricing: { input_per_mtok: perMTok, output_per_mtok: perMTok },
      quality: Math.min(1, Math.max(0, prior?.quality ?? 0.5)),
      deployments: [{ provider: 'replay', model: name }],
    };
  }
  const config = configSchema.parse({ providers: { replay: { type: 'simulator' } }, models: modelConfigs });
  const { registry } = createRegistry(config, {
    adapterFor,
    // Never called: the replay answers from the dataset. Any URL marks the deployment usable.
    simulatorUrl: () => 'http://127.0.0.1:0/v1',
  });
  return {
    registry,
    nameOf: (model) => toName.get(model) ?? model,
    modelOf: (name) => toModel.get(name) ?? name,
  };
}
