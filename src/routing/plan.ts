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
