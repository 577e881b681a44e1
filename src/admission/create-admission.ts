/**
 * @module admission/create-admission
 * The gateway's admission: after routing and before any upstream call, check that the caller's
 * key may use every model the plan may call, count the request against its rate limits, and
 * reserve its worst-case cost at every budget it spends from — all or nothing: whatever was taken
 * before a refusal is given back. At the end of the request the ticket is settled exactly once:
 * reservations become the real cost (alerting once per period past the threshold), token counts
 * are corrected to the real usage. A request that no limit applies to costs one branch. On an
 * in-process store (memory, SQLite written behind) every counter is taken and settled through
 * its synchronous face (`CounterStore.local`): one step on the event loop, no promise per counter,
 * and budgets held by handle rather than by reservation id.
 */

import type { Registry as MetricsRegistry } from 'prom-client';
import { formatUsd, usdToNanos } from '../accounting/compute-cost.js';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../registry/registry.js';
import type { RoutePlan } from '../routing/plan.js';
import type {
  CounterStore,
  KeyStore,
  LocalCounterOps,
  LocalHold,
  ReserveResult,
  VirtualKey,
} from '../storage/admission-ports.js';
import type { Admission, AdmissionRequest, AdmissionTicket } from './admission.js';
import { type BudgetAlerts, createBudgetAlerts } from './budget-alerts.js';
import {
  alertCounterKey,
  type BudgetLimit,
  type BudgetPeriod,
  budgetPeriod,
  createBudgetBook,
} from './budgets.js';
import type { ModelScope } from './key-scope.js';
import {
  type CountedHit,
  createRateLimitBook,
  RATE_WINDOW_MS,
  rateLimitError,
  rateLimitHeaders,
} from './rate-limits.js';
import { createKeyService, type KeyService } from './virtual-keys.js';
import { inputSize, planCost } from './worst-case-cost.js';

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

interface Held {
  period: BudgetPeriod;
  /** The reservation's id, or on an in-process store the reservation itself (`local.hold`). */
  reservation: string | LocalHold;
}

interface HeldTicket extends AdmissionTicket {
  held: Held[];
  /** Token-window hits to correct with the real usage. */
  tokenHits: CountedHit[];
  settled: boolean;
}

const OPEN_TICKET: AdmissionTicket = Object.freeze({});

function isHeld(ticket: AdmissionTicket): ticket is HeldTicket {
  return (ticket as Partial<HeldTicket>).held !== undefined;
}

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

function budgetError(
  period: BudgetPeriod,
  result: Pick<ReserveResult, 'used' | 'reserved'>,
  amount: number,
): GatewayError {
  const window = period.window === 'total' ? 'total' : `${period.window} (${period.period})`;
  return new GatewayError(
    'BUDGET_EXCEEDED',
    `budget exceeded: ${period.label} ${window} budget is ${formatUsd(period.limitNanos)}; ` +
      `${formatUsd(result.used)} spent, ${formatUsd(result.reserved)} reserved, this request may cost ${formatUsd(amount)}`,
    {
      details: {
        level: period.level,
        ...(period.name === undefined ? {} : { name: period.name }),
        window: period.window,
        period: period.period,
        limit_usd: period.limitNanos / 1e9,
        spent_usd: result.used / 1e9,
        reserved_usd: result.reserved / 1e9,
        request_max_usd: amount / 1e9,
        ...(period.resetsAt === undefined ? {} : { resets_at: new Date(period.resetsAt).toISOString() }),
      },
    },
  );
}

/** A refusal by the `storage.redis_down` fail_closed policy: the limit could not be checked at all. */
function storeUnreachableError(what: 'budget' | 'rate limit', retryAfterMs: number): GatewayError {
  return new GatewayError(
    'SERVICE_UNAVAILABLE',
    `the shared counter store (Redis) is unreachable, so the ${what} cannot be checked and the request is refused (storage.redis_down)`,
    { retryAfterMs, details: { reason: 'counter_store_unreachable', limit_type: what } },
  );
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
  const local = counters.local;
  // The store and the budgets go by one clock (the gateway's, or a test's): one reading serves both.
  const sharedClock = local !== undefined && local.now === now;

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
  function amountToReserve(input: AdmissionRequest, size: ReturnType<typeof inputSize>): number {
    const cost = planCost(input.plan, input.request, size, registry);
    let amount = cost.worstCaseNanos;
    const maxCostUsd = 'routing' in input.request ? input.request.routing?.maxCostUsd : undefined;
    if (maxCostUsd !== undefined) {
      const cap = usdToNanos(maxCostUsd);
      if (cost.promptNanos > cap) {
        throw new GatewayError(
          'BUDGET_EXCEEDED',
          `max_cost ${formatUsd(cap)} is below what the prompt alone costs (${formatUsd(cost.promptNanos)})`,
          { details: { level: 'request', max_cost_usd: maxCostUsd, prompt_usd: cost.promptNanos / 1e9 } },
        );
      }
      amount = Math.min(amount, cap);
    }
    // Never zero: a spent budget refuses even a request priced at nothing.
    return Math.max(1, amount);
  }

  /** Gives a reservation back: by id, or (in-process) by its handle. */
  async function release(reservation: string | LocalHold): Promise<unknown> {
    if (typeof reservation === 'string') return counters.release(reservation);
    return local?.releaseHold(reservation);
  }

  async function undo(hits: readonly CountedHit[], held: readonly Held[]): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const { reservation } of held) work.push(release(reservation));
    for (const { limit, hit, weight } of hits) {
      work.push(counters.adjust(limit.counterKey, RATE_WINDOW_MS, -weight, hit.at));
    }
    const results = await Promise.allSettled(work);
    for (const result of results) {
      if (result.status === 'rejected') logger.error('admission undo failed', { error: result.reason });
    }
  }

  function lapsed(period: BudgetPeriod, costNanos: number): void {
    logger.warn('budget reservation lapsed before its request settled', {
      budget: period.counterKey,
      cost_usd: costNanos / 1e9,
    });
  }

  /** The settlement on an in-process store: one synchronous step; only an alert going out is left pending. */
  function settleLocal(ops: LocalCounterOps, ticket: HeldTicket, actual: Parameters<Admission['settle']>[1]) {
    // One reading of the store's clock for the whole step.
    const at = ops.now();
    for (const { period, reservation } of ticket.held) {
      const byId = typeof reservation === 'string';
      if (actual.costNanos === 0) {
        if (byId) ops.release(reservation);
        else ops.releaseHold(reservation, at);
        continue;
      }
      const state = byId
        ? ops.settle(reservation, actual.costNanos)
        : ops.settleHold(reservation, actual.costNanos, at);
      if (state === undefined) lapsed(period, actual.costNanos);
      else if (alerts.due(period, state.used)) track(alerts.observe(period, state.used));
    }
    const tokens = actual.inputTokens + actual.outputTokens;
    for (const { limit, hit, weight } of ticket.tokenHits) {
      if (tokens !== weight) ops.adjust(limit.counterKey, RATE_WINDOW_MS, tokens - weight, hit.at, at);
    }
  }

  async function settleHeld(ticket: HeldTicket, actual: Parameters<Admission['settle']>[1]): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const { period, reservation } of ticket.held) {
      if (actual.costNanos === 0) {
        work.push(release(reservation));
        continue;
      }
      const settled =
        typeof reservation === 'string'
          ? counters.settle(reservation, actual.costNanos)
          : (async () => local?.settleHold(reservation, actual.costNanos))();
      work.push(
        settled.then((state) => {
          if (state !== undefined) return alerts.observe(period, state.used);
          lapsed(period, actual.costNanos);
        }),
      );
    }
    const tokens = actual.inputTokens + actual.outputTokens;
    for (const { limit, hit, weight } of ticket.tokenHits) {
      if (tokens !== weight)
        work.push(counters.adjust(limit.counterKey, RATE_WINDOW_MS, tokens - weight, hit.at));
    }
    await Promise.all(work);
  }

  return {
    keys,
    counters,
    alertThreshold: config.budgets.alert_threshold,
    now,

    async admit(context: RequestContext, input: AdmissionRequest): Promise<AdmissionTicket> {
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

      const size = inputSize(request);
      const at = now();
      // The store's clock, read once for every counter of this step (in-process stores).
      const storeNow = sharedClock ? at : local?.now();
      const hits: CountedHit[] = [];
      const tokenHits: CountedHit[] = [];
      const held: Held[] = [];
      try {
        if (rates.length > 0) {
          const maxTokens = 'maxTokens' in request ? (request.maxTokens ?? 0) : 0;
          const tokens = size.estimate + maxTokens;
          for (const limit of rates) {
            const weight = limit.kind === 'requests' ? 1 : tokens;
            // In-process stores answer synchronously: no promise per counter on the request path.
            const hit =
              local !== undefined
                ? local.hit(limit.counterKey, RATE_WINDOW_MS, limit.limit, weight, storeNow)
                : await counters.hit(limit.counterKey, RATE_WINDOW_MS, limit.limit, weight);
            const counted: CountedHit = { limit, hit, weight };
            if (hit.unavailable) throw storeUnreachableError('rate limit', hit.retryAfterMs);
            if (!hit.allowed) throw rateLimitError(counted, hits);
            hits.push(counted);
            if (limit.kind === 'tokens') tokenHits.push(counted);
          }
        }
        if (limits.length > 0 || capped) {
          const amount = amountToReserve(input, size);
          const ttlMs = Math.max(0, context.deadline - at) + reservationMarginMs;
          for (const limit of limits) {
            const period = budgetPeriod(limit, at);
            if (local !== undefined) {
              // Held by handle: no reservation id to make, index and look up again at settlement.
              const result = local.hold(period.counterKey, amount, limit.limitNanos, ttlMs, storeNow);
              if (result.hold === undefined) throw budgetError(period, result, amount);
              held.push({ period, reservation: result.hold });
              continue;
            }
            const result = await counters.reserve(period.counterKey, amount, limit.limitNanos, ttlMs);
            if (result.unavailable) throw storeUnreachableError('budget', 1_000);
            if (!result.ok || result.reservationId === undefined) throw budgetError(period, result, amount);
            held.push({ period, reservation: result.reservationId });
          }
        }
      } catch (error) {
        await undo(hits, held);
        if (error instanceof GatewayError) throw error;
        logger.error('admission store failed', { error });
        throw new GatewayError('SERVICE_UNAVAILABLE', 'the rate-limit and budget store is unavailable', {
          cause: error,
        });
      }
      const ticket: HeldTicket = { held, tokenHits, settled: false };
      if (hits.length > 0) ticket.headers = rateLimitHeaders(hits);
      return ticket;
    },

    settle(ticket, actual) {
      if (!isHeld(ticket) || ticket.settled) return;
      ticket.settled = true;
      if (ticket.held.length === 0 && ticket.tokenHits.length === 0) return;
      if (local === undefined) {
        track(settleHeld(ticket, actual));
        return;
      }
      try {
        settleLocal(local, ticket, actual);
      } catch (error) {
        logger.error('settling a budget reservation failed; it will lapse', { error });
      }
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
