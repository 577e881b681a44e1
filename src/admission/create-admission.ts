/**
 * @module admission/create-admission
 * The gateway's admission: after routing and before any upstream call, check that the caller's
 * key may use every model the plan may call, count the request against its rate limits, and
 * reserve its worst-case cost at every budget it spends from — all or nothing: whatever was taken
 * before a refusal is given back. At the end of the request the ticket is settled exactly once:
 * reservations become the real cost (alerting once per period past the threshold), token counts
 * are corrected to the real usage. A request that no limit applies to costs one branch. The
 * counting itself is the store's kind's: in one synchronous step on an in-process store, the
 * ticket handed back as a value (in-process-step.ts), or a promise per counter on a shared one
 * (shared-store-step.ts). A refusal is always a rejected promise.
 */

import type { Registry as MetricsRegistry } from 'prom-client';
import { formatUsd, usdToNanos } from '../accounting/compute-cost.js';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../registry/registry.js';
import type { RoutePlan } from '../routing/plan.js';
import type { CounterStore, KeyStore, VirtualKey } from '../storage/admission-ports.js';
import type { Admission, AdmissionRequest, AdmissionTicket } from './admission.js';
import type { AdmissionStep, StepContext } from './admission-step.js';
import { type BudgetAlerts, createBudgetAlerts } from './budget-alerts.js';
import {
  alertCounterKey,
  type BudgetLimit,
  type BudgetPeriod,
  budgetPeriod,
  createBudgetBook,
} from './budgets.js';
import { createInProcessStep } from './in-process-step.js';
import type { ModelScope } from './key-scope.js';
import { createRateLimitBook } from './rate-limits.js';
import { createSharedStoreStep } from './shared-store-step.js';
import { createKeyService, type KeyService } from './virtual-keys.js';
import { createPlanCoster, type InputSize } from './worst-case-cost.js';

/** How long a reservation outlives its request's deadline before it lapses. */
/** The default of `budgets.reservation_margin_ms`. */
export const RESERVATION_MARGIN_MS = 60_000;

export interface BudgetView extends BudgetPeriod {
  spentNanos: number;
  reservedNanos: number;
  /** The period's alert has gone out. */
  alerted: boolean;
}

/** Admission with keys and budgets: what the admin routes and the CLI work with. */
export interface ManagedAdmission extends Admission {
  readonly keys: KeyService;
  readonly counters: CounterStore;
  readonly alertThreshold: number;
  /** The clock budgets and keys are judged by. */
  now(): number;
  /** Every budget in its current period: config's, and each live key's. */
  budgets(): Promise<BudgetView[]>;
  /** The key's own budget in its current period, when it has one. */
  keyBudget(key: VirtualKey): Promise<BudgetView | undefined>;
  /** Resolves once every settlement started so far has reached the store and its alerts went out. */
  idle(): Promise<void>;
}

export interface AdmissionOptions {
  config: Config;
  registry: Registry;
  counters: CounterStore;
  keys: KeyStore;
  logger: Logger;
  /** Where `switchyard_budget_alerts_total` goes (the gateway's metrics registry). */
  metricsRegistry?: MetricsRegistry;
  now?: () => number;
  /** Runs on close, after the last settlement (closes the stores). */
  onClose?: () => Promise<void>;
  /** Told after a key was revoked through this admission (the gateway tells the other replicas). */
  onKeyRevoked?: (id: string) => void;
}

const OPEN_TICKET: AdmissionTicket = Object.freeze({});

/** The admission's richer interface, when the gateway was built with one. */
export function managedAdmission(admission: Admission | undefined): ManagedAdmission | undefined {
  return admission !== undefined && 'keys' in admission && 'budgets' in admission
    ? (admission as ManagedAdmission)
    : undefined;
}

/** Which models a key's list allows: a route stands for the models its config names (all, if none). */
export function createModelScope(registry: Registry): ModelScope {
  const byRoute = new Map<string, ReadonlySet<string> | 'all'>();
  for (const [name, route] of registry.routes) {
    const names = new Set<string>();
    if (route.model !== undefined) names.add(route.model);
    if (route.aggregator !== undefined) names.add(route.aggregator);
    for (const model of [...(route.models ?? []), ...(route.chain ?? [])]) names.add(model);
    for (const variant of route.variants ?? []) names.add(variant.model);
    for (const rule of route.rules ?? [])
      for (const model of [...rule.preferred, ...rule.fallback]) names.add(model);
    byRoute.set(name, names.size === 0 ? 'all' : names);
  }
  if (!byRoute.has('auto')) byRoute.set('auto', 'all');
  return {
    allows(allowed, model) {
      if (allowed.includes(model)) return true;
      for (const name of allowed) {
        const route = byRoute.get(name);
        if (route === 'all' || route?.has(model)) return true;
      }
      return false;
    },
  };
}

const NO_PEERS: readonly string[] = Object.freeze([]);

/**
 * The first model the plan may call that `allowed` does not allow, in the plan's order: its
 * steps, their verifiers' peers, a router-model's classifier and targets. Walked, not collected.
 */
function firstRefusedModel(plan: RoutePlan, scope: ModelScope, allowed: string[]): string | undefined {
  if (plan.kind === 'parallel') {
    for (const { model } of plan.members) if (!scope.allows(allowed, model)) return model;
    const aggregator = plan.aggregator;
    return aggregator === undefined || scope.allows(allowed, aggregator) ? undefined : aggregator;
  }
  for (const { model } of plan.attempts) if (!scope.allows(allowed, model)) return model;
  for (const step of plan.attempts) {
    for (const peer of step.verifier?.weights.peers ?? NO_PEERS) {
      if (!scope.allows(allowed, peer)) return peer;
    }
  }
  const classifier = plan.classifier;
  if (classifier === undefined) return undefined;
  if (!scope.allows(allowed, classifier.model)) return classifier.model;
  for (const { model } of classifier.targets) if (!scope.allows(allowed, model)) return model;
  return undefined;
}

export function createAdmission(options: AdmissionOptions): ManagedAdmission {
  const { config, registry, counters, logger } = options;
  const now = options.now ?? Date.now;
  const scope = createModelScope(registry);
  const keys = createKeyService(options.keys, {
    now,
    scope,
    cacheMs: config.auth.key_cache_ms,
    ...(options.onKeyRevoked === undefined ? {} : { onRevoked: options.onKeyRevoked }),
  });
  const budgetBook = createBudgetBook(config.budgets);
  const coster = createPlanCoster(registry);
  const rateBook = createRateLimitBook(config.rate_limit);
  const reservationMarginMs = config.budgets.reservation_margin_ms;
  const alerts: BudgetAlerts = createBudgetAlerts({
    counters,
    logger,
    threshold: config.budgets.alert_threshold,
    ...(config.budgets.webhook_url === undefined ? {} : { webhookUrl: config.budgets.webhook_url }),
    ...(options.metricsRegistry === undefined ? {} : { registry: options.metricsRegistry }),
    now,
  });
  const pending = new Set<Promise<void>>();

  /** Keeps a settlement's unfinished work (an alert going out) for `idle()`. */
  function track(work: Promise<void>): void {
    const done = work.catch((error: unknown) => {
      logger.error('settling a budget reservation failed; it will lapse', { error });
    });
    pending.add(done);
    void done.finally(() => pending.delete(done));
  }

  async function view(limit: BudgetLimit, at: number): Promise<BudgetView> {
    const period = budgetPeriod(limit, at);
    const [state, alert] = await Promise.all([
      counters.get(period.counterKey),
      counters.get(alertCounterKey(period)),
    ]);
    return { ...period, spentNanos: state.used, reservedNanos: state.reserved, alerted: alert.used > 0 };
  }

  async function idle(): Promise<void> {
    while (pending.size > 0) await Promise.all(pending);
    await alerts.idle();
  }

  function checkModels(key: VirtualKey, plan: RoutePlan): void {
    const refused = firstRefusedModel(plan, scope, key.models);
    if (refused === undefined) return;
    throw new GatewayError('FORBIDDEN', `key "${key.name}" may not use model ${refused}`, {
      details: { model: refused, allowed: key.models },
    });
  }

  /** Worst-case cost to reserve, capped by the request's max_cost; refuses a prompt dearer than the cap. */
  function amountToReserve(input: AdmissionRequest, size: InputSize): number {
    const maxCostUsd = 'routing' in input.request ? input.request.routing?.maxCostUsd : undefined;
    if (maxCostUsd === undefined) {
      // Never zero: a spent budget refuses even a request priced at nothing.
      return Math.max(1, coster.worstCase(input.plan, input.request, size));
    }
    const cost = coster.cost(input.plan, input.request, size);
    const cap = usdToNanos(maxCostUsd);
    if (cost.promptNanos > cap) {
      throw new GatewayError(
        'BUDGET_EXCEEDED',
        `max_cost ${formatUsd(cap)} is below what the prompt alone costs (${formatUsd(cost.promptNanos)})`,
        { details: { level: 'request', max_cost_usd: maxCostUsd, prompt_usd: cost.promptNanos / 1e9 } },
      );
    }
    return Math.max(1, Math.min(cost.worstCaseNanos, cap));
  }

  const step: StepContext = { now, logger, alerts, reservationMarginMs, amountToReserve, track };
  const counting: AdmissionStep =
    counters.local === undefined
      ? createSharedStoreStep(counters, step)
      : createInProcessStep(counters.local, step);

  return {
    keys,
    counters,
    alertThreshold: config.budgets.alert_threshold,
    now,

    admit(context: RequestContext, input: AdmissionRequest): AdmissionTicket | Promise<AdmissionTicket> {
      // A refusal is a rejected promise, as it always was; only an admission is a plain value.
      try {
        const { caller } = context;
        const key = caller.key;
        if (key !== undefined) {
          if (key.models.length > 0) checkModels(key, input.plan);
          if (key.priority !== undefined && context.priority === undefined) context.priority = key.priority;
        }
        const rates = rateBook.forCaller(caller);
        const limits: readonly BudgetLimit[] = budgetBook.forCaller(caller);
        const request = input.request;
        const capped = 'routing' in request && request.routing?.maxCostUsd !== undefined;
        if (rates.length === 0 && limits.length === 0 && !capped) return OPEN_TICKET;
        return counting.admit(context, input, rates, limits, capped);
      } catch (error) {
        return Promise.reject(error);
      }
    },

    settle(ticket, actual) {
      counting.settle(ticket, actual);
    },

    async budgets() {
      const at = now();
      const limits: BudgetLimit[] = budgetBook.configured();
      for (const key of await keys.list()) {
        if (key.revokedAt === undefined) limits.push(...budgetBook.key(key));
      }
      return Promise.all(limits.map((limit) => view(limit, at)));
    },

    async keyBudget(key) {
      const [limit] = budgetBook.key(key);
      return limit === undefined ? undefined : view(limit, now());
    },

    idle,

    async close() {
      await idle();
      await options.onClose?.();
    },
  };
}
