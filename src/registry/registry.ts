/**
 * @module registry/registry
 * Logical models and their deployments, built once from the validated config. A logical model
 * (what clients name) has a tier, capabilities, a context window, prices per token class, a
 * quality score and one or more deployments (provider + upstream model id + weight + limits).
 * Seed-format fields (`cost_per_1k_tokens`, `quality_score`, `max_tokens`, model-level
 * `provider`) are normalised here, so nothing downstream knows there were two forms.
 */

import type { Prices } from '../accounting/prices.js';
import type {
  Config,
  DeploymentConfig,
  ModelConfig,
  ProviderConfig,
  RouteConfig,
  Tier,
} from '../config/schema.js';
import type { ConnectionLimit, ProviderAdapter, UpstreamTarget } from '../providers/spec.js';

export interface DeploymentLimits {
  rpm?: number;
  rpd?: number;
  tpm?: number;
  tpd?: number;
  maxConcurrency?: number;
}

export interface Deployment {
  /** Stable id used in metrics, logs and the ledger: `model@provider`, plus `#n` when repeated. */
  id: string;
  model: string;
  provider: string;
  providerType: ProviderConfig['type'];
  target: UpstreamTarget;
  adapter: ProviderAdapter;
  weight: number;
  limits: DeploymentLimits;
  /** What this deployment charges: its own prices, or the model's. */
  prices: Prices;
  /** Per-attempt timeout in milliseconds. */
  timeoutMs: number;
  /** The provider's `max_connections`, shared by its deployments; absent, the origin's shared pool. */
  connectionLimit?: ConnectionLimit;
}

export interface ModelEntry {
  name: string;
  tier: Tier;
  /** Canonical capability names (`chat`, `code`, `embeddings`, …) plus the names config used. */
  capabilities: ReadonlySet<string>;
  contextWindow: number | undefined;
  maxOutputTokens: number | undefined;
  prices: Prices;
  /** True when prices came from config or the catalogue; false when nothing priced the model. */
  priced: boolean;
  quality: number;
  /** Expected latency from config (seed `latency_ms`), a prior for latency-aware strategies. */
  latencyMs: number | undefined;
  dimensions: number | undefined;
  description: string | undefined;
  deployments: Deployment[];
  /** Why the model has no usable deployment, when it has none. */
  unavailableReason: string | undefined;
}

export interface Registry {
  readonly models: ReadonlyMap<string, ModelEntry>;
  readonly routes: ReadonlyMap<string, RouteConfig>;
  readonly routingRules: Config['routing_rules'];
  get(name: string): ModelEntry | undefined;
  /** Every deployment of every model, for health and circuit views. */
  deployments(): Deployment[];
}

export interface RegistryOptions {
  /** Adapter for a provider type, or undefined when that protocol is not available. */
  adapterFor(type: ProviderConfig['type']): ProviderAdapter | undefined;
  /** Base URL of an in-process simulator provider, by provider name. */
  simulatorUrl?(provider: string): string | undefined;
  /** Default base URL for a provider type when config gives none. */
  defaultBaseUrl?(type: ProviderConfig['type']): string | undefined;
  /** Shipped price catalogue, consulted when config gives no prices. */
  lookupPrices?(model: string): Prices | undefined;
}

/** Seed and colloquial capability names mapped to the canonical ones strategies reason about. */
const CAPABILITY_ALIASES: Readonly<Record<string, string>> = {
  'text-generation': 'chat',
  conversation: 'chat',
  chat: 'chat',
  'code-generation': 'code',
  'code-completion': 'code',
  code: 'code',
  analysis: 'reasoning',
  reasoning: 'reasoning',
  math: 'math',
  summarization: 'summarization',
  extraction: 'extraction',
  classification: 'classification',
  creative: 'creative',
  embeddings: 'embeddings',
  embedding: 'embeddings',
  vision: 'vision',
  tools: 'tools',
  'function-calling': 'tools',
};

const DEFAULT_TIMEOUT_MS = 120_000;

function tierFromQuality(quality: number): Tier {
  if (quality >= 0.93) return 'expert';
  if (quality >= 0.88) return 'advanced';
  if (quality >= 0.82) return 'intermediate';
  return 'basic';
}

function capabilitiesOf(name: string, model: ModelConfig): Set<string> {
  const declared =
    model.capabilities ?? (model.dimensions !== undefined || /embed/i.test(name) ? ['embeddings'] : ['chat']);
  const out = new Set<string>();
  for (const capability of declared) {
    out.add(capability);
    const canonical = CAPABILITY_ALIASES[capability.toLowerCase()];
    if (canonical) out.add(canonical);
  }
  return out;
}

function fromPricing(p: NonNullable<ModelConfig['pricing']>): Prices {
  const prices: Prices = { inputPerMTok: p.input_per_mtok, outputPerMTok: p.output_per_mtok };
  if (p.cached_input_per_mtok !== undefined) prices.cachedInputPerMTok = p.cached_input_per_mtok;
  if (p.cache_write_per_mtok !== undefined) prices.cacheWritePerMTok = p.cache_write_per_mtok;
  if (p.reasoning_per_mtok !== undefined) prices.reasoningPerMTok = p.reasoning_per_mtok;
  return prices;
}

function pricesOf(
  model: ModelConfig,
  upstreamIds: string[],
  options: RegistryOptions,
): { prices: Prices; priced: boolean } {
  if (model.pricing) return { prices: fromPricing(model.pricing), priced: true };
  if (model.cost_per_1k_tokens) {
    // Per-1k prices times 1000 are per-million prices; round away binary noise (0.0015 * 1000).
    const perMillion = (per1k: number | undefined) => Math.round((per1k ?? 0) * 1000 * 1e9) / 1e9;
    return {
      prices: {
        inputPerMTok: perMillion(model.cost_per_1k_tokens.input),
        outputPerMTok: perMillion(model.cost_per_1k_tokens.output),
      },
      priced: true,
    };
  }
  for (const id of upstreamIds) {
    const found = options.lookupPrices?.(id);
    if (found) return { prices: found, priced: true };
  }
  return { prices: { inputPerMTok: 0, outputPerMTok: 0 }, priced: false };
}

function targetOf(
  providerName: string,
  provider: ProviderConfig,
  upstreamModel: string,
  options: RegistryOptions,
): UpstreamTarget | string {
  let baseUrl: string | undefined;
  if (provider.type === 'simulator') baseUrl = options.simulatorUrl?.(providerName);
  else baseUrl = provider.base_url ?? options.defaultBaseUrl?.(provider.type);
  if (baseUrl === undefined) return `provider "${providerName}" has no base_url`;
  const target: UpstreamTarget = {
    provider: providerName,
    type: provider.type,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    model: upstreamModel,
  };
  if (provider.type === 'simulator') return target;
  if (provider.api_key) target.apiKey = provider.api_key;
  if (provider.headers) target.headers = { ...provider.headers };
  if (provider.max_tokens_field) target.maxTokensField = provider.max_tokens_field;
  if (provider.type === 'azure' || provider.type === 'gemini') target.apiVersion = provider.api_version;
  if (provider.type === 'anthropic') {
    target.apiVersion = provider.anthropic_version;
    if (provider.beta && provider.beta.length > 0) {
      const existing = target.headers?.['anthropic-beta'];
      target.headers = {
        ...target.headers,
        'anthropic-beta': [existing, ...provider.beta].filter(Boolean).join(','),
      };
    }
  }
  if (provider.type === 'openai' || provider.type === 'github' || provider.type === 'huggingface') {
    if (provider.organization) target.organization = provider.organization;
    if (provider.project) target.project = provider.project;
  }
  return target;
}

/** Builds the registry. Returns it with warnings for models left without a usable deployment. */
export function createRegistry(
  config: Config,
  options: RegistryOptions,
): { registry: Registry; warnings: string[] } {
  const warnings: string[] = [];
  const models = new Map<string, ModelEntry>();
  const usedIds = new Set<string>();
  // One per capped provider, shared by its deployments.
  const connectionLimits = new Map<string, ConnectionLimit>();
  const connectionLimitOf = (
    provider: string,
    connections: number | undefined,
  ): ConnectionLimit | undefined => {
    if (connections === undefined) return undefined;
    let limit = connectionLimits.get(provider);
    if (limit === undefined) {
      limit = { provider, connections };
      connectionLimits.set(provider, limit);
    }
    return limit;
  };

  for (const [name, model] of Object.entries(config.models)) {
    const deploymentConfigs: DeploymentConfig[] =
      model.deployments ??
      (model.provider && config.providers[model.provider] ? [{ provider: model.provider, weight: 1 }] : []);
    const quality = model.quality ?? model.quality_score ?? 0.7;
    const { prices, priced } = pricesOf(
      model,
      [...deploymentConfigs.map((d) => d.model ?? name), name],
      options,
    );
    const deployments: Deployment[] = [];
    const reasons: string[] = [];
    for (const deploymentConfig of deploymentConfigs) {
      const provider = config.providers[deploymentConfig.provider];
      if (!provider) continue; // reported by config/check
      const adapter = options.adapterFor(provider.type);
      if (!adapter) {
        reasons.push(`provider type ${provider.type} is not supported by this build`);
        continue;
      }
      const target = targetOf(deploymentConfig.provider, provider, deploymentConfig.model ?? name, options);
      if (typeof target === 'string') {
        reasons.push(target);
        continue;
      }
      let id = `${name}@${deploymentConfig.provider}`;
      for (let n = 2; usedIds.has(id); n++) id = `${name}@${deploymentConfig.provider}#${n}`;
      usedIds.add(id);
      const limits = deploymentConfig.limits ?? {};
      deployments.push({
        id,
        model: name,
        provider: deploymentConfig.provider,
        providerType: provider.type,
        target,
        adapter,
        weight: deploymentConfig.weight,
        limits: {
          ...(limits.rpm === undefined ? {} : { rpm: limits.rpm }),
          ...(limits.rpd === undefined ? {} : { rpd: limits.rpd }),
          ...(limits.tpm === undefined ? {} : { tpm: limits.tpm }),
          ...(limits.tpd === undefined ? {} : { tpd: limits.tpd }),
          ...(limits.max_concurrency === undefined ? {} : { maxConcurrency: limits.max_concurrency }),
        },
        prices: deploymentConfig.pricing ? fromPricing(deploymentConfig.pricing) : prices,
        timeoutMs: provider.timeout_ms ?? DEFAULT_TIMEOUT_MS,
        connectionLimit: connectionLimitOf(deploymentConfig.provider, provider.max_connections),
      });
    }
    let unavailableReason: string | undefined;
    if (deployments.length === 0) {
      if (reasons.length > 0) unavailableReason = reasons.join('; ');
      else if (model.provider) unavailableReason = `provider "${model.provider}" is not configured`;
      else unavailableReason = 'no deployments configured';
      if (reasons.length > 0) warnings.push(`models.${name}: unavailable: ${unavailableReason}`);
    }
    if (!priced && deployments.some((d) => d.providerType !== 'simulator' && d.providerType !== 'ollama')) {
      warnings.push(`models.${name}: no prices in config or catalogue; its cost is recorded as 0`);
    }
    models.set(name, {
      name,
      tier: model.tier ?? tierFromQuality(quality),
      capabilities: capabilitiesOf(name, model),
      contextWindow: model.context_window ?? model.max_tokens,
      maxOutputTokens: model.max_output_tokens,
      prices,
      priced,
      quality,
      latencyMs: model.latency_ms,
      dimensions: model.dimensions,
      description: model.description,
      deployments,
      unavailableReason,
    });
  }

  const routes = new Map(Object.entries(config.routes));
  const registry: Registry = {
    models,
    routes,
    routingRules: config.routing_rules,
    get: (name) => models.get(name),
    deployments: () => [...models.values()].flatMap((model) => model.deployments),
  };
  return { registry, warnings };
}
