/**
 * @module admission/admission-step
 * What the two ways of counting a request share: on an in-process store in one synchronous step
 * (in-process-step.ts), on a shared store (Redis) a promise per counter (shared-store-step.ts).
 * Both count the request against its rate limits and reserve at its budgets, all or nothing, and
 * settle their own tickets; the admission around them (create-admission.ts) decides who is asked
 * for what and hands them what they need.
 */

import { formatUsd } from '../accounting/compute-cost.js';
import { GatewayError } from '../core/errors.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { Logger } from '../observability/logger.js';
import type { ReserveResult } from '../storage/admission-ports.js';
import type { AdmissionRequest, AdmissionTicket, Settled } from './admission.js';
import type { BudgetAlerts } from './budget-alerts.js';
import type { BudgetLimit, BudgetPeriod } from './budgets.js';
import type { RateLimit } from './rate-limits.js';
import type { InputSize } from './worst-case-cost.js';

export interface AdmissionStep {
  /**
   * Counts the request at `rates` and reserves at `budgets` (capped by the request's `max_cost`
   * when `capped`): every counter or none. A refusal is thrown (in-process) or rejected (shared).
   */
  admit(
    context: RequestContext,
    input: AdmissionRequest,
    rates: readonly RateLimit[],
    budgets: readonly BudgetLimit[],
    capped: boolean,
  ): AdmissionTicket | Promise<AdmissionTicket>;
  /** Settles a ticket this step made, the first time only; false when the ticket is not its own. */
  settle(ticket: AdmissionTicket, actual: Settled): boolean;
}

/** What a step needs from the admission around it. */
export interface StepContext {
  /** The admission's clock (budget periods, reservation deadlines). */
  now(): number;
  logger: Logger;
  alerts: BudgetAlerts;
  /** How long a reservation outlives its request's deadline. */
  reservationMarginMs: number;
  /** The amount to reserve at each budget; throws BUDGET_EXCEEDED for a prompt dearer than max_cost. */
  amountToReserve(input: AdmissionRequest, size: InputSize): number;
  /** Keeps a settlement's unfinished work (an alert going out) for `idle()`. */
  track(work: Promise<void>): void;
}

export function budgetError(
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
export function storeUnreachableError(what: 'budget' | 'rate limit', retryAfterMs: number): GatewayError {
  return new GatewayError(
    'SERVICE_UNAVAILABLE',
    `the shared counter store (Redis) is unreachable, so the ${what} cannot be checked and the request is refused (storage.redis_down)`,
    { retryAfterMs, details: { reason: 'counter_store_unreachable', limit_type: what } },
  );
}

/** What an error of the store (not a refusal) becomes; a GatewayError passes through. */
export function admissionFailure(error: unknown, logger: Logger): GatewayError {
  if (error instanceof GatewayError) return error;
  logger.error('admission store failed', { error });
  return new GatewayError('SERVICE_UNAVAILABLE', 'the rate-limit and budget store is unavailable', {
    cause: error,
  });
}

export function logLapsed(logger: Logger, period: BudgetPeriod, costNanos: number): void {
  logger.warn('budget reservation lapsed before its request settled', {
    budget: period.counterKey,
    cost_usd: costNanos / 1e9,
  });
}
