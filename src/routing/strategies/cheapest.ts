/**
 * @module routing/strategies/cheapest
 * The cheapest available model that has the capability the request needs and whose context
 * window fits the prompt. Ties go to the higher quality, then the name. (Task and complexity
 * classification narrows the candidates further once it exists; this is the price ordering.)
 */

import { GatewayError } from '../../core/errors.js';
import type { ModelEntry } from '../../registry/registry.js';
import type { RoutePlan } from '../plan.js';

/** Blended price per million tokens, weighting output 3:1 like a typical chat exchange. */
export function blendedPrice(model: ModelEntry): number {
  return (model.prices.inputPerMTok + 3 * model.prices.outputPerMTok) / 4;
}

export function planCheapest(
  candidates: readonly ModelEntry[],
  need: { capability: string; promptTokens?: number },
  route?: string,
): RoutePlan {
  const eligible = candidates.filter(
    (m) =>
      m.deployments.length > 0 &&
      m.capabilities.has(need.capability) &&
      (need.promptTokens === undefined ||
        m.contextWindow === undefined ||
        m.contextWindow >= need.promptTokens),
  );
  if (eligible.length === 0) {
    throw new GatewayError('MODEL_UNAVAILABLE', `no available model has the ${need.capability} capability`, {
      details: { capability: need.capability },
    });
  }
  eligible.sort(
    (a, b) => blendedPrice(a) - blendedPrice(b) || b.quality - a.quality || a.name.localeCompare(b.name),
  );
  const chosen = eligible[0]!;
  return {
    kind: 'sequence',
    strategy: 'cheapest',
    ...(route === undefined ? {} : { route }),
    attempts: [{ model: chosen.name, reason: `cheapest of ${eligible.length} with ${need.capability}` }],
    reason: `cheapest: ${chosen.name} ($${blendedPrice(chosen).toFixed(4)}/Mtok blended) among ${eligible.length} candidates with ${need.capability}`,
  };
}
