/**
 * @module config/check
 * Cross-reference checks that a schema cannot express: deployments name configured providers,
 * routes name known models (not other routes: strategies resolve model names only), the seed
 * and native forms of a field are not both given with different values. Errors stop the
 * gateway; warnings are printed and the gateway starts.
 */

import { isIP } from 'node:net';
import { nonPublicReason } from '../security/address-ranges.js';
import { parseAllowEntry } from '../security/upstream-allowlist.js';
import type { Config } from './schema.js';

export interface CheckResult {
  errors: string[];
  warnings: string[];
}

export function checkConfig(config: Config): CheckResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const providers = Object.keys(config.providers);
  const models = new Set(Object.keys(config.models));
  const routes = new Set(Object.keys(config.routes));
  const providerList = providers.length > 0 ? providers.join(', ') : 'none';

  for (const [modelName, model] of Object.entries(config.models)) {
    const at = `models.${modelName}`;
    if (routes.has(modelName))
      errors.push(`${at}: a route has the same name; model and route names must differ`);
    if (model.pricing && model.cost_per_1k_tokens) {
      errors.push(`${at}: give either pricing or cost_per_1k_tokens, not both`);
    }
    if (
      model.quality !== undefined &&
      model.quality_score !== undefined &&
      model.quality !== model.quality_score
    ) {
      errors.push(`${at}: quality and quality_score disagree`);
    }
    if (model.deployments && model.provider) {
      errors.push(`${at}: give either provider (shorthand) or deployments, not both`);
    }
    model.deployments?.forEach((deployment, index) => {
      const provider = config.providers[deployment.provider];
      if (!provider) {
        errors.push(
          `${at}.deployments.${index}.provider: unknown provider "${deployment.provider}" (configured: ${providerList})`,
        );
      } else if (deployment.simulate && provider.type !== 'simulator') {
        errors.push(`${at}.deployments.${index}.simulate: only a simulator provider takes simulate settings`);
      }
    });
    if (model.provider && !config.providers[model.provider]) {
      warnings.push(
        `${at}.provider: provider "${model.provider}" is not configured (configured: ${providerList}); the model is listed but unavailable`,
      );
    }
    if (!model.deployments && !model.provider) {
      warnings.push(`${at}: no deployments; the model is listed but unavailable`);
    }
  }

  for (const [routeName, route] of Object.entries(config.routes)) {
    const at = `routes.${routeName}`;
    // Strategies resolve model names only: a route named here would fail on every request.
    const modelName = (path: string, name: string) => {
      if (models.has(name)) return;
      errors.push(
        routes.has(name)
          ? `${path}: "${name}" is a route; name models here (routes do not nest)`
          : `${path}: unknown model "${name}"`,
      );
    };
    const check = (field: string, names: readonly string[] | undefined) => {
      names?.forEach((name, index) => {
        modelName(`${at}.${field}.${index}`, name);
      });
    };
    if (route.model !== undefined) modelName(`${at}.model`, route.model);
    if (route.aggregator !== undefined && !models.has(route.aggregator)) {
      errors.push(`${at}.aggregator: unknown model "${route.aggregator}"`);
    }
    check('models', route.models);
    check('chain', route.chain);
    check(
      'variants',
      route.variants?.map((variant) => variant.model),
    );
    route.rules?.forEach((rule, index) => {
      check(`rules.${index}.preferred`, rule.preferred);
      check(`rules.${index}.fallback`, rule.fallback);
    });
    if (route.strategy === 'direct' && route.model === undefined)
      errors.push(`${at}.model: required by strategy direct`);
    if (route.strategy === 'custom' && route.module === undefined)
      errors.push(`${at}.module: required by strategy custom`);
    if (route.strategy === 'ab' && (route.variants?.length ?? 0) === 0) {
      errors.push(`${at}.variants: required by strategy ab`);
    }
  }

  config.routing_rules.forEach((rule, index) => {
    for (const [field, names] of [
      ['preferred_models', rule.preferred_models],
      ['fallback_models', rule.fallback_models],
    ] as const) {
      names.forEach((name, position) => {
        if (!models.has(name)) {
          warnings.push(`routing_rules.${index}.${field}.${position}: unknown model "${name}" is skipped`);
        }
      });
    }
  });

  config.security.upstream_allowlist.forEach((input, index) => {
    const entry = parseAllowEntry(input);
    const at = `security.upstream_allowlist.${index}`;
    if (typeof entry === 'string') {
      errors.push(`${at}: ${entry}`);
      return;
    }
    // An IP literal that is not public, without allow_private, would refuse every request.
    const reason = isIP(entry.host) === 0 || entry.allowPrivate ? undefined : nonPublicReason(entry.host);
    if (reason !== undefined) {
      errors.push(`${at}: ${entry.url} is a ${reason} address; add allow_private: true to allow it`);
    }
  });

  if (config.auth.master_key !== undefined && config.auth.master_key.length < 16) {
    errors.push('auth.master_key: must be at least 16 characters');
  }
  const redisUrl = config.storage.redis_url;
  if (config.cache.store === 'redis' && (redisUrl === undefined || redisUrl === '')) {
    errors.push('cache.store: redis needs storage.redis_url (or use auto, memory or sqlite)');
  }
  if (config.cache.store === 'sqlite' && !config.storage.url.startsWith('sqlite://')) {
    errors.push('cache.store: sqlite needs a sqlite:// storage.url (or use auto, memory or redis)');
  }
  return { errors, warnings };
}
