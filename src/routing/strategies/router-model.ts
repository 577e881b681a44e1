/**
 * @module routing/strategies/router-model
 * A cheap model reads the request and labels it — its task and its difficulty tier (or a rating
 * 0–10) — and thresholds map the rating to one of the route's models, weakest first (RouteLLM's
 * "a threshold on the router's score"). The route names the classifier in `model`, the targets in
 * `models` (weakest to strongest) and, optionally, each target's lowest rating in `weights`
 * (`{gpt-4o: 4, claude-opus-3: 8}`, on the 0–10 scale or as a share); without them the targets
 * split the scale evenly.
 *
 * Calling the classifier is I/O, which strategies do not do: the plan carries the classifier's
 * request (`plan.classifier`), the executor sends it and re-plans from the answer with
 * `planFromClassifierAnswer`; the classifier's call is billed as an attempt of the same request.
 * The plan's own attempts come from the local classifier's tier: they run when the classifier
 * call fails (or the route's classifier is not deployed), and the trace says which it was.
 */

import type { RouteConfig } from '../../config/schema.js';
import type { ChatRequest } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import type { Registry } from '../../registry/registry.js';
import { canonicalTask, TASKS, TIERS, type Tier } from '../classify/tasks.js';
import type { PlannedAttempt, RoutePlan, RouterClassifier } from '../plan.js';
import { contextFor, type PlanRequest, type PlanStrategy } from './plan-context.js';

const TIER_HINTS: Readonly<Record<Tier, string>> = {
  basic: 'a greeting, a one-line fact, simple arithmetic',
  intermediate: 'a short explanation, a small function, a summary',
  advanced: 'multi-step reasoning, a non-trivial program, careful analysis',
  expert: 'research, novel system design, hard proofs, long multi-step analysis',
};

const ROUTER_SYSTEM_PROMPT =
  'You route requests to AI models. Label the request below with its task, one of: ' +
  `${TASKS.filter((t) => t !== 'embeddings').join(', ')}; and its difficulty tier, one of: ` +
  `${TIERS.map((tier) => `${tier} (${TIER_HINTS[tier]})`).join('; ')}. ` +
  'Reply with the two labels only, task then tier, for example: code advanced.';

/** How much of the request the classifier reads; the ask is at the start or the end. */
const MAX_PROMPT_CHARS = 4000;

export interface RouterTarget {
  model: string;
  /** Lowest rating, 0..1, that sends a request to this model. */
  threshold: number;
}

/** The classifier's request: the last user message (trimmed), asking for its task and tier labels. */
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
      { role: 'user', content: [{ type: 'text', text: `Request:\n"""\n${text}\n"""` }] },
    ],
    stream: false,
    // Two labels need a few tokens; room for a model that adds a word or two.
    maxTokens: 16,
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

const NUMBER = /(\d+(?:\.\d+)?)\s*(?:\/\s*(100|10))?/;
/** A number the answer labels as its verdict ("Difficulty: 7", "the answer is 7"). */
const LABELLED_NUMBER =
  /\b(?:answer is|answer|difficulty|rating|score|tier)\s*(?:is\s*)?[:=]?\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(100|10))?/i;

/**
 * The classifier's rating as a share, 0..1: a number 0–10 (or `7/10`, `0.7`, preferring one the
 * answer labels as its verdict), or a tier word (`code advanced` → 0.7).
 */
export function parseRouterAnswer(text: string): number | undefined {
  const match = LABELLED_NUMBER.exec(text) ?? NUMBER.exec(text);
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

/** The first task label in the classifier's answer, for the trace. */
export function parseRouterTask(text: string): string | undefined {
  for (const word of text.toLowerCase().match(/[a-z-]+/g) ?? []) {
    const task = canonicalTask(word);
    if (task !== undefined) return task;
  }
  return undefined;
}

type SequencePlan = Extract<RoutePlan, { kind: 'sequence' }>;

function planFromRating(
  rating: number,
  source: string,
  targets: readonly RouterTarget[],
  registry: Registry,
  routeName: string | undefined,
  minConfidence: number | undefined,
): SequencePlan {
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
function planFromAnswer(
  answer: string,
  classifier: string,
  targets: readonly RouterTarget[],
  registry: Registry,
  routeName: string | undefined,
  minConfidence: number | undefined,
): SequencePlan {
  const rating = parseRouterAnswer(answer);
  if (rating === undefined) {
    return planFromRating(
      1,
      `${classifier} (unreadable answer, strongest model)`,
      targets,
      registry,
      routeName,
      minConfidence,
    );
  }
  const task = parseRouterTask(answer);
  return planFromRating(
    rating,
    task === undefined ? classifier : `${classifier} (task ${task})`,
    targets,
    registry,
    routeName,
    minConfidence,
  );
}

/** The plan for a classifier's answer to a route's request (without the executor; for tests and tools). */
export function planFromRouterAnswer(
  answer: string,
  route: RouteConfig,
  registry: Registry,
  routeName?: string,
): RoutePlan {
  const targets = routerTargets(route, routeName === undefined ? 'route' : `routes.${routeName}`);
  return planFromAnswer(
    answer,
    route.model ?? 'classifier',
    targets,
    registry,
    routeName,
    route.min_confidence,
  );
}

/**
 * What the executor runs once the plan's classifier has answered: the route's model for the
 * answer's rating, with the plan's budget, route and hedging kept.
 */
export function planFromClassifierAnswer(
  plan: SequencePlan & { classifier: RouterClassifier },
  answer: string,
  registry: Registry,
): RoutePlan {
  const { classifier } = plan;
  const next = planFromAnswer(
    answer,
    classifier.model,
    classifier.targets,
    registry,
    plan.route,
    classifier.minConfidence,
  );
  return {
    ...next,
    ...(plan.maxCostUsd === undefined ? {} : { maxCostUsd: plan.maxCostUsd }),
    ...(plan.hedgeAfterMs === undefined ? {} : { hedgeAfterMs: plan.hedgeAfterMs }),
  };
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
  const where = context.routeName === undefined ? 'route' : `routes.${context.routeName}`;
  const targets = routerTargets(route, where);
  const tier = context.classification().tier;
  const minConfidence = route.min_confidence;
  const max = context.maxCostUsd;
  const classifierName = route.model;
  const deployed =
    classifierName !== undefined && (registry.get(classifierName)?.deployments.length ?? 0) > 0;
  const local = planFromRating(
    TIER_RATINGS[tier],
    `local classifier (tier ${tier})`,
    targets,
    registry,
    context.routeName,
    minConfidence,
  );
  const plan: SequencePlan = { ...local, ...(max === undefined ? {} : { maxCostUsd: max }) };
  if (!deployed || context.operation !== 'chat') {
    const why = classifierName === undefined ? 'no classifier model' : `${classifierName} is not deployed`;
    return { ...plan, reason: `${local.reason} (${why})` };
  }
  return {
    ...plan,
    classifier: {
      model: classifierName,
      request: routerPrompt(request, classifierName),
      targets,
      ...(minConfidence === undefined ? {} : { minConfidence }),
    },
    reason: `router-model: ${classifierName} classifies the request (should it fail: local classifier, tier ${tier} → ${local.attempts[0]!.model})`,
  };
};
