/**
 * @module routing/strategies/plan-context
 * What every strategy needs to know about one request besides the four arguments of the
 * Strategy signature, computed at most once per plan: the classification (lazily — `direct`
 * and `ab` never pay for it), the estimated prompt size and expected output, the capability
 * the request needs, the cost budget, the route's settings and the strategy knobs. Strategies
 * take it as an optional fifth argument; called without it (by the eval, by tests) they build
 * it themselves, so each strategy is still a plain `(request, candidates, snapshot, registry)`.
 */

import type { RouteConfig } from '../../config/schema.js';
import type { Message, ResponseFormat, RoutingOptions, ToolDefinition } from '../../core/chat.js';
import type { ModelEntry, Registry } from '../../registry/registry.js';
import {
  type Classification,
  type ClassifyOptions,
  classifyRequest,
  describeClassification,
} from '../classify/classify-request.js';
import { canonicalTask, TASKS, type Task, type Tier, tierRank } from '../classify/tasks.js';
import type { RoutePlan, RoutingSnapshot } from '../plan.js';
import { type CandidateSet, candidateSet, capabilityBit } from './candidate-set.js';

export { formatUsd } from './format-usd.js';

export type Operation = 'chat' | 'embeddings';

/** The parts of a request routing reads: a ChatRequest fits, and so does an embeddings request. */
export interface PlanRequest {
  /** A model name, a route name, or `auto`. */
  model: string;
  routing?: RoutingOptions;
  messages?: readonly Message[];
  maxTokens?: number;
  tools?: readonly ToolDefinition[];
  responseFormat?: ResponseFormat;
  user?: string;
  metadata?: Readonly<Record<string, string>>;
  stream?: boolean;
  /** Embeddings input, for the size estimate. */
  input?: readonly string[] | string;
  operation?: Operation;
  /** Identity for sticky A/B assignment when the gateway has one (e.g. the virtual key id). */
  stickyKey?: string;
}

/** Knobs of the strategies; the eval sweeps them. */
export interface StrategyOptions {
  /**
   * `cheapest` with learned priors: the cheapest model whose prior quality on the task is at
   * least this share of the best model's. 1 means "the best"; lower trades quality for cost.
   */
  qualityTolerance?: number;
  /** Most steps in an automatic `fallback` chain. */
  maxChainSteps?: number;
  /** Ensemble size when the request does not say. */
  ensembleSize?: number;
  /** Expected output tokens per tier when the request sets no max_tokens (for cost estimates). */
  outputTokens?: Partial<Record<Tier, number>>;
  /** Escalation threshold when neither request nor route sets one. */
  minConfidence?: number;
}

export const DEFAULT_OUTPUT_TOKENS: Readonly<Record<Tier, number>> = {
  basic: 256,
  intermediate: 512,
  advanced: 1024,
  expert: 2048,
};

export interface ResolvedStrategyOptions {
  qualityTolerance: number;
  maxChainSteps: number;
  ensembleSize: number;
  outputTokens: Readonly<Record<Tier, number>>;
  minConfidence: number;
}

export function resolveStrategyOptions(options: StrategyOptions = {}): ResolvedStrategyOptions {
  return {
    qualityTolerance: options.qualityTolerance ?? 0.95,
    maxChainSteps: options.maxChainSteps ?? 4,
    ensembleSize: options.ensembleSize ?? 3,
    outputTokens: { ...DEFAULT_OUTPUT_TOKENS, ...options.outputTokens },
    minConfidence: options.minConfidence ?? 0.6,
  };
}

const DEFAULT_OPTIONS = resolveStrategyOptions();

/** What the chosen model must have. */
export interface Need {
  capability: string;
  bit: number;
  /** Why this capability, for the trace (`math`, or `chat (basic math)`). */
  label: string;
  minTier: number;
  /** Prompt tokens plus the request's max_tokens. */
  minContext: number;
  /** The prompt has images and some candidate declares `vision`. */
  vision: boolean;
}

export interface PlanContextExtras {
  route?: RouteConfig;
  routeName?: string;
  preferred?: string;
  options?: ResolvedStrategyOptions;
  /** Precomputed classification (the router's, when it already classified). */
  classification?: Classification;
}

const IMAGE_TOKENS = 1000;
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_TOOL = 30;

/** Prompt tokens at 4 characters a token: cheap, and close enough to screen context windows and budgets. */
export function estimatePromptTokens(request: PlanRequest): { tokens: number; images: number } {
  let chars = 0;
  let images = 0;
  let overhead = 0;
  const messages = request.messages;
  if (messages !== undefined) {
    for (const message of messages) {
      overhead += TOKENS_PER_MESSAGE;
      for (const part of message.content) {
        if (part.type === 'text' || part.type === 'thinking') chars += part.text.length;
        else if (part.type === 'image') images++;
      }
      if (message.role === 'assistant' && message.toolCalls !== undefined) {
        for (const call of message.toolCalls) chars += call.arguments.length + call.name.length;
      }
    }
  }
  if (request.tools !== undefined) {
    for (const tool of request.tools) {
      overhead += TOKENS_PER_TOOL;
      chars += tool.name.length + (tool.description?.length ?? 0);
    }
  }
  const input = request.input;
  if (typeof input === 'string') chars += input.length;
  else if (input !== undefined) for (const text of input) chars += text.length;
  return { tokens: Math.ceil(chars / 4) + overhead + images * IMAGE_TOKENS, images };
}

/**
 * One request's context, what every strategy reads. A class rather than an object of closures:
 * building one per plan is a single allocation, and the lazily computed answers are fields
 * instead of captured variables.
 */
export class PlanContext {
  readonly request: PlanRequest;
  readonly set: CandidateSet;
  readonly snapshot: RoutingSnapshot;
  readonly registry: Registry;
  readonly operation: Operation;
  readonly promptTokens: number;
  readonly hasImages: boolean;
  readonly maxCostUsd: number | undefined;
  readonly route: RouteConfig | undefined;
  readonly routeName: string | undefined;
  /** A model the request named while asking for a strategy: it goes first. */
  readonly preferred: string | undefined;
  /**
   * What sticky A/B assignment follows for `key`: the request's `stickyKey`, or the identity
   * the router was given beside the request (the gateway's virtual key id).
   */
  stickyKey: string | undefined;
  readonly options: ResolvedStrategyOptions;
  private classified: Classification | undefined;
  private needed: Need | undefined;
  /** -1 until first asked. */
  private output: number;

  constructor(
    request: PlanRequest,
    candidates: readonly ModelEntry[],
    snapshot: RoutingSnapshot,
    registry: Registry,
    extras: PlanContextExtras,
  ) {
    this.request = request;
    this.set = candidateSet(candidates);
    this.snapshot = snapshot;
    this.registry = registry;
    this.operation = request.operation ?? 'chat';
    const { tokens, images } = estimatePromptTokens(request);
    this.promptTokens = tokens;
    this.hasImages = images > 0;
    const route = extras.route;
    const requestMax = request.routing?.maxCostUsd;
    const routeMax = route?.max_cost_usd;
    // The stricter of the two: a route's ceiling is policy, the request may only tighten it.
    this.maxCostUsd =
      requestMax === undefined
        ? routeMax
        : routeMax === undefined
          ? requestMax
          : Math.min(requestMax, routeMax);
    this.route = route;
    this.routeName = extras.routeName;
    this.preferred = extras.preferred;
    this.stickyKey = request.stickyKey;
    this.options = extras.options ?? DEFAULT_OPTIONS;
    this.classified = extras.classification;
    this.needed = undefined;
    this.output = -1;
  }

  /** Classifies on first call; later calls return the same result. */
  classification(): Classification {
    this.classified ??= classifyRequest(
      this.request,
      this.operation === 'embeddings' ? EMBEDDINGS_OPERATION : CHAT_OPERATION,
    );
    return this.classified;
  }

  /** max_tokens when the request sets it, else the classified tier's default. */
  outputTokens(): number {
    if (this.output === -1) {
      this.output =
        this.operation === 'embeddings'
          ? 0
          : (this.request.maxTokens ?? this.options.outputTokens[this.classification().tier]);
    }
    return this.output;
  }

  need(): Need {
    this.needed ??= computeNeed(this);
    return this.needed;
  }

  /** Quality of candidate `i` on this request's task: the learned prior when there is one. */
  quality(i: number): number {
    const priors = this.snapshot.priors;
    if (priors !== undefined) {
      const prior = priors.get(this.classification().task, this.set.models[i]!.name);
      if (prior !== undefined) return prior.quality;
    }
    return this.set.quality[i]!;
  }

  /** Estimated USD of candidate `i` answering this request. */
  cost(i: number): number {
    const set = this.set;
    const out = Math.min(this.outputTokens(), set.maxOutput[i]!);
    return this.promptTokens * set.inPrice[i]! + out * set.outPrice[i]!;
  }

  /** Estimated USD of any model answering this request. */
  costOf(model: ModelEntry): number {
    const out = Math.min(this.outputTokens(), model.maxOutputTokens ?? Number.POSITIVE_INFINITY);
    return (this.promptTokens * model.prices.inputPerMTok + out * model.prices.outputPerMTok) / 1e6;
  }
}

const NO_EXTRAS: PlanContextExtras = {};
const CHAT_OPERATION: ClassifyOptions = Object.freeze({ operation: 'chat' });
const EMBEDDINGS_OPERATION: ClassifyOptions = Object.freeze({ operation: 'embeddings' });

export function createPlanContext(
  request: PlanRequest,
  candidates: readonly ModelEntry[],
  snapshot: RoutingSnapshot,
  registry: Registry,
  extras: PlanContextExtras = NO_EXTRAS,
): PlanContext {
  return new PlanContext(request, candidates, snapshot, registry, extras);
}

const VISION_BIT = capabilityBit('vision');
const CHAT_BIT = capabilityBit('chat');
const EMBEDDINGS_BIT = capabilityBit('embeddings');

// The labels of a need, made once per task rather than once per plan (and then the same string
// every time, which a reason built from them can be compared by).
const BASIC_TASK_LABELS = labelsByTask((task) => `chat (basic ${task})`);
const UNDECLARED_TASK_LABELS = labelsByTask((task) => `chat (no candidate declares ${task})`);

function labelsByTask(label: (task: Task) => string): Readonly<Record<Task, string>> {
  return Object.fromEntries(TASKS.map((task) => [task, label(task)])) as Record<Task, string>;
}

function computeNeed(context: PlanContext): Need {
  const minContext = context.promptTokens + (context.request.maxTokens ?? 0);
  const vision = context.hasImages && (context.set.declared & VISION_BIT) !== 0;
  if (context.operation === 'embeddings') {
    return {
      capability: 'embeddings',
      bit: EMBEDDINGS_BIT,
      label: 'embeddings',
      minTier: 0,
      minContext,
      vision: false,
    };
  }
  const classification = context.classification();
  const minTier = tierRank(classification.tier);
  const task = canonicalTask(classification.task);
  let capability = 'chat';
  let bit = CHAT_BIT;
  let label = 'chat';
  if (task !== undefined && task !== 'chat' && task !== 'embeddings') {
    const taskBit = capabilityBit(task);
    if (classification.tier === 'basic') {
      // A basic ask is within any chat model's reach; the specialist capability is for harder ones.
      label = BASIC_TASK_LABELS[task];
    } else if ((context.set.declared & taskBit) === 0) {
      label = UNDECLARED_TASK_LABELS[task];
    } else {
      capability = task;
      bit = taskBit;
      label = task;
    }
  }
  return { capability, bit, label, minTier, minContext, vision };
}

/** The signature every strategy in this folder has: a Strategy (plan.ts) plus the optional context. */
export type PlanStrategy = (
  request: PlanRequest,
  candidates: readonly ModelEntry[],
  snapshot: RoutingSnapshot,
  registry: Registry,
  context?: PlanContext,
) => RoutePlan;

/** The context passed in, or one built from the four Strategy arguments. */
export function contextFor(
  request: PlanRequest,
  candidates: readonly ModelEntry[],
  snapshot: RoutingSnapshot,
  registry: Registry,
  context: PlanContext | undefined,
): PlanContext {
  return context ?? createPlanContext(request, candidates, snapshot, registry);
}

/** `task=…, tier=…` of the request, or `embeddings` for an embeddings request. */
export function describeRequest(context: PlanContext): string {
  return context.operation === 'embeddings' ? 'embeddings' : describeClassification(context.classification());
}

/** The escalation threshold: the request's, else the route's, else the strategy default. */
export function minConfidenceOf(context: PlanContext): number {
  return (
    context.request.routing?.minConfidence ?? context.route?.min_confidence ?? context.options.minConfidence
  );
}

/** True when learned priors cover at least one of the given candidates on this request's task. */
export function priorsCover(context: PlanContext, indices: ArrayLike<number>): boolean {
  const priors = context.snapshot.priors;
  if (priors === undefined) return false;
  const task = context.classification().task;
  for (let k = 0; k < indices.length; k++) {
    if (priors.get(task, context.set.models[indices[k]!]!.name) !== undefined) return true;
  }
  return false;
}

/**
 * The cost to rank candidate `i` by: its learned mean cost per query when priors know it (that
 * is what the candidate costs on this kind of request), else this request's estimate.
 */
export function rankingCost(context: PlanContext, i: number, estimate: number): number {
  const prior = context.snapshot.priors?.get(context.classification().task, context.set.models[i]!.name);
  return prior?.costPerQuery ?? estimate;
}
