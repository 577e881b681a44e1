/**
 * @module config/defaults
 * The configuration used when no file is given: the models of the seed documents' price table,
 * each deployed on its real provider when that provider's API key is in the environment, and on
 * the built-in simulator otherwise — so `npm start` on a fresh machine serves answers at once,
 * and says plainly which models are simulated.
 */

import type { ConfigInput } from './schema.js';

interface DefaultModel {
  name: string;
  provider: 'openai' | 'anthropic';
  upstream: string;
  tier: 'basic' | 'intermediate' | 'advanced' | 'expert';
  capabilities: string[];
  contextWindow: number;
  pricing: {
    input_per_mtok: number;
    output_per_mtok: number;
    cached_input_per_mtok?: number;
    cache_write_per_mtok?: number;
  };
  quality: number;
  dimensions?: number;
}

/** Prices per million tokens as the providers publish them (and as seed 002's table lists them). */
const MODELS: readonly DefaultModel[] = [
  {
    name: 'gpt-4o-mini',
    provider: 'openai',
    upstream: 'gpt-4o-mini',
    tier: 'basic',
    capabilities: ['chat', 'code', 'summarization', 'extraction', 'classification'],
    contextWindow: 128_000,
    pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075 },
    quality: 0.8,
  },
  {
    name: 'claude-haiku-3.5',
    provider: 'anthropic',
    upstream: 'claude-3-5-haiku-latest',
    tier: 'intermediate',
    capabilities: ['chat', 'code', 'summarization', 'extraction', 'classification'],
    contextWindow: 200_000,
    pricing: {
      input_per_mtok: 0.8,
      output_per_mtok: 4,
      cached_input_per_mtok: 0.08,
      cache_write_per_mtok: 1,
    },
    quality: 0.84,
  },
  {
    name: 'gpt-4o',
    provider: 'openai',
    upstream: 'gpt-4o',
    tier: 'advanced',
    capabilities: ['chat', 'code', 'summarization', 'extraction', 'classification', 'reasoning', 'vision'],
    contextWindow: 128_000,
    pricing: { input_per_mtok: 2.5, output_per_mtok: 10, cached_input_per_mtok: 1.25 },
    quality: 0.88,
  },
  {
    name: 'claude-sonnet-3.5',
    provider: 'anthropic',
    upstream: 'claude-3-5-sonnet-latest',
    tier: 'advanced',
    capabilities: ['chat', 'code', 'summarization', 'extraction', 'reasoning', 'math', 'creative', 'vision'],
    contextWindow: 200_000,
    pricing: {
      input_per_mtok: 3,
      output_per_mtok: 15,
      cached_input_per_mtok: 0.3,
      cache_write_per_mtok: 3.75,
    },
    quality: 0.9,
  },
  {
    name: 'claude-opus-3',
    provider: 'anthropic',
    upstream: 'claude-3-opus-latest',
    tier: 'expert',
    capabilities: ['chat', 'code', 'summarization', 'reasoning', 'math', 'creative', 'vision'],
    contextWindow: 200_000,
    pricing: {
      input_per_mtok: 15,
      output_per_mtok: 75,
      cached_input_per_mtok: 1.5,
      cache_write_per_mtok: 18.75,
    },
    quality: 0.93,
  },
  {
    name: 'text-embedding-3-small',
    provider: 'openai',
    upstream: 'text-embedding-3-small',
    tier: 'basic',
    capabilities: ['embeddings'],
    contextWindow: 8191,
    pricing: { input_per_mtok: 0.02, output_per_mtok: 0 },
    quality: 0.8,
    dimensions: 1536,
  },
];

const KEY_VARIABLES = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' } as const;

/** Provider types this build can call; others stay simulated even when their key is present. */
export interface DefaultConfigOptions {
  supportedTypes: ReadonlySet<string>;
}

export interface DefaultConfig {
  config: ConfigInput;
  /** Models served by the simulator, for the start-up banner. */
  simulated: string[];
  /** Models served by a real provider. */
  live: string[];
}

export function defaultConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: DefaultConfigOptions,
): DefaultConfig {
  const providers: NonNullable<ConfigInput['providers']> = {
    sim: { type: 'simulator', profile: { latency_ms: 20, ttft_ms: 10, tokens_per_s: 0 } },
  };
  const live = new Set<string>();
  for (const [provider, variable] of Object.entries(KEY_VARIABLES)) {
    const key = env[variable];
    if (key && options.supportedTypes.has(provider)) {
      providers[provider] = { type: provider as 'openai' | 'anthropic', api_key: key };
      live.add(provider);
    }
  }
  const models: NonNullable<ConfigInput['models']> = {};
  const simulated: string[] = [];
  const served: string[] = [];
  for (const model of MODELS) {
    const real = live.has(model.provider);
    (real ? served : simulated).push(model.name);
    models[model.name] = {
      tier: model.tier,
      capabilities: model.capabilities,
      context_window: model.contextWindow,
      pricing: model.pricing,
      quality: model.quality,
      ...(model.dimensions === undefined ? {} : { dimensions: model.dimensions }),
      deployments: [{ provider: real ? model.provider : 'sim', model: model.upstream }],
    };
  }
  return {
    config: {
      auth: env.SWITCHYARD_MASTER_KEY ? { master_key: env.SWITCHYARD_MASTER_KEY } : {},
      providers,
      models,
    },
    simulated,
    live: served,
  };
}
