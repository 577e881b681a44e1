/**
 * Registries for routing tests: the built-in default config (the seed 002 price table), and small
 * hand-made ones from a compact spec. Built with the real config parser and registry.
 */

import { defaultConfig } from '../../../config/defaults.js';
import { parseConfigObject } from '../../../config/load.js';
import type { ConfigInput } from '../../../config/schema.js';
import type { RoutingOptions } from '../../../core/chat.js';
import type { GatewayError } from '../../../core/errors.js';
import { adapterFor, SUPPORTED_PROVIDER_TYPES } from '../../../providers/index.js';
import { createRegistry, type Registry } from '../../../registry/registry.js';
import type { Priors } from '../../plan.js';
import type { PlanRequest } from '../plan-context.js';

const OPTIONS = {
  adapterFor,
  simulatorUrl: () => 'http://127.0.0.1:9/v1',
  defaultBaseUrl: () => 'http://127.0.0.1:9/v1',
};

/** The registry `switchyard serve` builds with no config file and no provider keys. */
export function defaultRegistry(extra: Partial<ConfigInput> = {}): Registry {
  const { config } = defaultConfig({}, { supportedTypes: SUPPORTED_PROVIDER_TYPES });
  const { config: parsed } = parseConfigObject({ ...config, ...extra }, { source: 'test defaults' });
  return createRegistry(parsed, OPTIONS).registry;
}

export interface ModelSpec {
  tier?: 'basic' | 'intermediate' | 'advanced' | 'expert';
  capabilities?: string[];
  context?: number;
  /** USD per million input and output tokens. */
  price?: [number, number];
  quality?: number;
  latencyMs?: number;
  /** No deployment: the model is configured but unavailable. */
  undeployed?: boolean;
  maxOutput?: number;
}

/** A registry of simulated models from compact specs, plus any routes and rules. */
export function registryOf(
  models: Record<string, ModelSpec>,
  extra: Pick<ConfigInput, 'routes' | 'routing_rules'> = {},
): Registry {
  const config: ConfigInput = {
    providers: { sim: { type: 'simulator' } },
    models: Object.fromEntries(
      Object.entries(models).map(([name, spec]) => [
        name,
        {
          tier: spec.tier ?? 'basic',
          capabilities: spec.capabilities ?? ['chat'],
          ...(spec.context === undefined ? {} : { context_window: spec.context }),
          ...(spec.maxOutput === undefined ? {} : { max_output_tokens: spec.maxOutput }),
          pricing: { input_per_mtok: spec.price?.[0] ?? 1, output_per_mtok: spec.price?.[1] ?? 2 },
          quality: spec.quality ?? 0.8,
          ...(spec.latencyMs === undefined ? {} : { latency_ms: spec.latencyMs }),
          deployments: spec.undeployed ? [] : [{ provider: 'sim', model: name }],
        },
      ]),
    ),
    ...extra,
  };
  const { config: parsed } = parseConfigObject(config, { source: 'test registry' });
  return createRegistry(parsed, OPTIONS).registry;
}

/** A one-message chat request for `auto`. */
export function ask(text: string, routing?: RoutingOptions, extra: Partial<PlanRequest> = {}): PlanRequest {
  return {
    model: 'auto',
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    ...(routing === undefined ? {} : { routing }),
    ...extra,
  };
}

/** Priors from a table `{task: {model: [quality, costPerQuery?]}}`; unknown tasks fall back to `*`. */
export function priorsOf(table: Record<string, Record<string, [number, number?]>>): Priors {
  return {
    get(task, model) {
      const entry = (table[task] ?? table['*'])?.[model];
      if (entry === undefined) return undefined;
      return {
        quality: entry[0],
        ...(entry[1] === undefined ? {} : { costPerQuery: entry[1] }),
        samples: 100,
      };
    },
    tasks: () => Object.keys(table),
  };
}

/** The error a function throws, for asserting on its code and details. */
export function thrown(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected an error');
}
