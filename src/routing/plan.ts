/**
 * @module routing/plan
 * What a routing strategy decides and the executor carries out. A plan is data: which models to
 * try in which order (or in parallel), when to escalate, and the human-readable reason that
 * becomes the decision trace (`x-switchyard-route`, the ledger's `routeTrace`).
 */

import type { ChatRequest } from '../core/chat.js';
import type { ModelEntry, Registry } from '../registry/registry.js';

export interface PlannedAttempt {
  /** Logical model name. */
  model: string;
  /** A specific deployment id; otherwise the executor's load balancer picks one. */
  deployment?: string;
  /** Deadline for this step, all of its retries included. */
  deadlineMs?: number;
  /** Why this step is in the plan. */
  reason?: string;
  /** A learned verifier that gives this step's confidence (from the priors, for the request's task). */
  verifier?: { task: string; weights: VerifierWeights };
}

/**
 * A learned verifier: logistic-regression weights over named answer features (see
 * `execution/confidence/learned-verifier`), giving the probability that a model's answer is right.
 * Learned per (task, model) by `switchyard eval --train`, shipped in the priors file.
 */
export interface VerifierWeights {
  /** Models asked the same question alongside, for the `agrees:`/`overlap:` features; each is called and paid. */
  peers: readonly string[];
  features: readonly string[];
  intercept: number;
  /** One per feature, on the raw feature values. */
  weights: readonly number[];
}

/** A cascade learned for a task: what `fallback` runs when neither the request nor the route names a chain. */
export interface LearnedCascade {
  chain: readonly string[];
  /** Escalate when a step's confidence (its verifier's probability of being right) is below this. */
  minConfidence: number;
}

/**
 * router-model: the model to ask before anything else, and how its answer maps to a model. The
 * executor makes the call and re-plans with `planFromClassifierAnswer`; when the call fails the
 * plan's own attempts (from the local classifier) run.
 */
export interface RouterClassifier {
  model: string;
  request: ChatRequest;
  /** The route's models with the lowest rating (0..1) that sends a request to each, lowest first. */
  targets: readonly { model: string; threshold: number }[];
  minConfidence?: number;
}

export type RoutePlan =
  | {
      kind: 'sequence';
      strategy: string;
      /** The route name the client asked for, when it asked for a route. */
      route?: string;
      attempts: PlannedAttempt[];
      /** Escalate to the next step when the answer's confidence is below this. */
      escalate?: { minConfidence: number };
      /** Send a second attempt to another deployment when the first has not answered by then. */
      hedgeAfterMs?: number;
      /** The plan's budget (the stricter of the request's and the route's `max_cost`): a cascade stops before passing it. */
      maxCostUsd?: number;
      /** router-model: classify with this model first, then run the model its answer maps to. */
      classifier?: RouterClassifier;
      reason: string;
    }
  | {
      kind: 'parallel';
      strategy: string;
      route?: string;
      members: PlannedAttempt[];
      select: 'confidence' | 'vote' | 'synthesize';
      aggregator?: string;
      reason: string;
    };

/** What was learned about a model on a task (from `switchyard eval --train`, or the ledger and feedback). */
export interface ModelPrior {
  /** Expected share of good answers, 0..1. */
  quality: number;
  /** Mean cost of one query in USD, when known. */
  costPerQuery?: number;
  /** How many observations the estimate rests on. */
  samples: number;
}

export interface Priors {
  /** The prior of `model` on `task`, falling back to the model's overall prior when the task is unseen. */
  get(task: string, model: string): ModelPrior | undefined;
  tasks(): string[];
  /** The cascade learned for `task` (or for the pool of small tasks, `*`), if any. */
  cascade?(task: string): LearnedCascade | undefined;
  /** The verifier learned for `model`'s answers on `task` (or on `*`), if any. */
  verifier?(task: string, model: string): VerifierWeights | undefined;
}

/** Live state a strategy may consult; strategies never do I/O to get it. */
export interface RoutingSnapshot {
  /** Learned per-task model quality and cost. */
  priors?: Priors;
  /** Deployment ids whose circuit is open. */
  openCircuits?: ReadonlySet<string>;
  /** Observed latency per model in milliseconds. */
  latencyMs?: ReadonlyMap<string, number>;
}

export type Strategy = (
  request: ChatRequest,
  candidates: readonly ModelEntry[],
  snapshot: RoutingSnapshot,
  registry: Registry,
) => RoutePlan;
