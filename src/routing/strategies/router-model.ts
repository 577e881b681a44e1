/**
 * @module routing/strategies/router-model
 * A cheap model reads the request and rates how hard it is (0–10); thresholds map the rating to
 * one of the route's models, weakest first (RouteLLM's "a threshold on the router's score"). The
 * route names the classifier in `model`, the targets in `models` (weakest to strongest) and,
 * optionally, each target's lowest rating in `weights` (`{gpt-4o: 4, claude-opus-3: 8}`, on the
 * 0–10 scale or as a share); without them the targets split the scale evenly.
 *
 * Calling the classifier is I/O, which strategies do not do: the caller builds the classifier's
 * request with `routerPrompt`, sends it, and turns the answer into the plan with
 * `planFromRouterAnswer`. Until the executor does that for every request, the strategy itself
 * plans from the local classifier's tier as a stand-in rating, and says so in the trace.
 */

import type { RouteConfig } from '../../config/schema.js';
import type { ChatRequest } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import type { Registry } from '../../registry/registry.js';
import type { Tier } from '../classify/tasks.js';
import type { PlannedAttempt, RoutePlan } from '../plan.js';
import { contextFor, type PlanRequest, type PlanStrategy } from './plan-context.js';

const ROUTER_SYSTEM_PROMPT =
  'You route requests to AI models. Rate how difficult the request below is for an AI assistant, ' +
  'from 0 (trivial: a greeting, a one-line fact, simple arithmetic) to 10 (expert: research, novel ' +
  'system design, hard proofs, long multi-step analysis). Reply with the number only.';

/** How much of the request the classifier reads; the ask is at the start or the end. */
const MAX_PROMPT_CHARS = 4000;

export interface RouterTarget {
  model: string;
  /** Lowest rating, 0..1, that sends a request to this model. */
  threshold: number;
}

/** The classifier's request: the last user message (trimmed), asking for a 0–10 rating. */
export function routerPrompt(request: PlanRequest, classifier?: string): ChatRequest {
  let text = '';
  const messages = request.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== 'user') continue;
    for (const part of message.content) if (part.type === 'text') text += part.text;
    break;
  }
  if (text.length > MAX_PROMPT_CHARS) {
    const half = MAX_PROMPT_CHARS / 2;
    text = `${text.slice(0, half)}\n[…]\n${text.slice(text.length - half)}`;
  }
  return {
    model: classifier ?? request.model,
    messages: [
      { role: 'system', content: [{ type: 'text', text: ROUTER_SYSTEM_PROMPT }] },
      { role: 'user', content: [{ type: 'text', text: `Request:\n"""\n${text}\n"""\nDifficulty (0-10):` }] },
    ],
    stream: false,
    maxTokens: 5,
    temperature: 0,
  };
}

const WORD_RATINGS: Readonly<Record<string, number>> = {
  trivial: 0.05,
  basic: 0.15,
  easy: 0.2,
  simple: 0.2,
  intermediate: 0.45,
  medium: 0.5,
  moderate: 0.5,
  advanced: 0.7,
  hard: 0.75,
  difficult: 0.75,
  expert: 0.9,
};

/** The classifier's rating as a share, 0..1: a number 0–10 (or `7/10`, `0.7`), or a tier word. */
export function parseRouterAnswer(text: string): number | undefined {
  const match = /(\d+(?:\.\d+)?)\s*(?:\/\s*(100|10))?/.exec(text);
  if (match) {
    const value = Number(match[1]);
    const scale =
      match[2] === undefined ? (value <= 1 && match[1]!.includes('.') ? 1 : 10) : Number(match[2]);
    if (value >= 0 && value <= scale) return value / scale;
    return undefined;
  }
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    const rating = WORD_RATINGS[word];
    if (rating !== undefined) return rating;
  }
  return undefined;
}

/** The route's targets with their thresholds, lowest first. Throws INVALID_REQUEST on a bad route. */
export function routerTargets(route: RouteConfig, where = 'route'): RouterTarget[] {
  const models = route.models ?? [];
  if (models.length === 0) {
    throw new GatewayError('INVALID_REQUEST', `${where}: router-model needs models (weakest to strongest)`);
  }
  const weights = route.weights ?? {};
  for (const key of Object.keys(weights)) {
    if (!models.includes(key)) {
      throw new GatewayError('INVALID_REQUEST', `${where}.weights.${key}: not one of the route's models`);
    }
  }
  const targets = models.map((model, k) => {
    const given = weights[model];
    const threshold = given === undefined ? k / models.length : given > 1 ? given / 10 : given;
    return { model, threshold };
  });
  // The weakest model takes everything below the first threshold.
  targets[0]!.threshold = Math.min(targets[0]!.threshold, 0);
  return targets.sort((a, b) => a.threshold - b.threshold);
}

function planFromRating(
  rating: number,
  source: string,
  route: RouteConfig,
  registry: Registry,
  routeName: string | undefined,
): RoutePlan {
  const targets = routerTargets(route, routeName === undefined ? 'route' : `routes.${routeName}`);
  let chosen = 0;
  for (let k = 0; k < targets.length; k++) if (rating >= targets[k]!.threshold) chosen = k;
  // The chosen model, then the stronger ones as fallbacks; weaker ones only if nothing stronger is deployed.
  const order = [...targets.slice(chosen), ...targets.slice(0, chosen).reverse()];
  const attempts: PlannedAttempt[] = [];
  for (const target of order) {
    const model = registry.get(target.model);
    if (model === undefined || model.deployments.length === 0) continue;
    attempts.push({
      model: target.model,
      reason:
        attempts.length === 0
          ? `rating ${(rating * 10).toFixed(1)}/10 >= threshold ${(target.threshold * 10).toFixed(1)}`
          : 'fallback',
    });
  }
  if (attempts.length === 0) {
    throw new GatewayError('MODEL_UNAVAILABLE', 'router-model: none of the route models is available', {
      details: { models: targets.map((t) => t.model) },
    });
  }
  const minConfidence = route.min_confidence;
  return {
    kind: 'sequence',
    strategy: 'router-model',
    ...(routeName === undefined ? {} : { route: routeName }),
    attempts,
    ...(minConfidence === undefined ? {} : { escalate: { minConfidence } }),
    reason: `router-model: ${source} rated ${(rating * 10).toFixed(1)}/10 → ${attempts[0]!.model}`,
  };
}

/**
 * The plan for a classifier's answer. An answer that cannot be read falls back to the strongest
 * target (a wrong "easy" costs quality; a wrong "hard" only costs money).
 */
export function planFromRouterAnswer(
  answer: string,
  route: RouteConfig,
  registry: Registry,
  routeName?: string,
): RoutePlan {
  const rating = parseRouterAnswer(answer);
  const classifier = route.model ?? 'classifier';
  if (rating === undefined) {
    return planFromRating(
      1,
      `${classifier} (unreadable answer, strongest model)`,
      route,
      registry,
      routeName,
    );
  }
  return planFromRating(rating, classifier, route, registry, routeName);
}

/** A rating for each tier, for the stand-in: the middle of the range each tier usually gets. */
const TIER_RATINGS: Readonly<Record<Tier, number>> = {
  basic: 0.15,
  intermediate: 0.45,
  advanced: 0.7,
  expert: 0.9,
};

export const routerModel: PlanStrategy = (request, candidates, snapshot, registry, given): RoutePlan => {
  const context = contextFor(request, candidates, snapshot, registry, given);
  const route = context.route;
  if (route === undefined) {
    throw new GatewayError('INVALID_REQUEST', 'router-model: needs a route with a classifier and models', {
      details: { field: 'strategy' },
    });
  }
  const classification = context.classification();
  return planFromRating(
    TIER_RATINGS[classification.tier],
    `local classifier (tier ${classification.tier}; ${route.model ?? 'classifier'} call not wired)`,
    route,
    registry,
    context.routeName,
  );
};
