/**
 * @module admission/shared-store-step
 * Admission on a shared store (Redis, behind its failover store): every counter is a promise,
 * awaited one after the other so that a refusal stops the request before it takes more. Whatever
 * was taken before a refusal is given back; the settlement runs in the background (`track`).
 */

import type { RequestContext } from '../gateway/request-context.js';
import type { CounterStore } from '../storage/admission-ports.js';
import type { AdmissionRequest, AdmissionTicket, Settled } from './admission.js';
import {
  type AdmissionStep,
  admissionFailure,
  budgetError,
  logLapsed,
  type StepContext,
  storeUnreachableError,
} from './admission-step.js';
import { type BudgetLimit, type BudgetPeriod, budgetPeriod } from './budgets.js';
import {
  type CountedHit,
  RATE_WINDOW_MS,
  type RateLimit,
  rateLimitError,
  rateLimitHeaders,
} from './rate-limits.js';
import { inputSize } from './worst-case-cost.js';

interface Held {
  period: BudgetPeriod;
  reservationId: string;
}

interface SharedTicket extends AdmissionTicket {
  held: Held[];
  /** Token-window hits to correct with the real usage. */
  tokenHits: CountedHit[];
  settled: boolean;
}

function isShared(ticket: AdmissionTicket): ticket is SharedTicket {
  return (ticket as Partial<SharedTicket>).held !== undefined;
}

export function createSharedStoreStep(counters: CounterStore, step: StepContext): AdmissionStep {
  const { logger, alerts } = step;

  async function undo(hits: readonly CountedHit[], held: readonly Held[]): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const { reservationId } of held) work.push(counters.release(reservationId));
    for (const { limit, hit, weight } of hits) {
      work.push(counters.adjust(limit.counterKey, RATE_WINDOW_MS, -weight, hit.at));
    }
    const results = await Promise.allSettled(work);
    for (const result of results) {
      if (result.status === 'rejected') logger.error('admission undo failed', { error: result.reason });
    }
  }

  async function admit(
    context: RequestContext,
    input: AdmissionRequest,
    rates: readonly RateLimit[],
    budgets: readonly BudgetLimit[],
    capped: boolean,
  ): Promise<AdmissionTicket> {
    const request = input.request;
    const size = inputSize(request);
    const at = step.now();
    const hits: CountedHit[] = [];
    const tokenHits: CountedHit[] = [];
    const held: Held[] = [];
    try {
      if (rates.length > 0) {
        const maxTokens = 'maxTokens' in request ? (request.maxTokens ?? 0) : 0;
        const tokens = size.estimate + maxTokens;
        for (const limit of rates) {
          const weight = limit.kind === 'requests' ? 1 : tokens;
          const hit = await counters.hit(limit.counterKey, RATE_WINDOW_MS, limit.limit, weight);
          const counted: CountedHit = { limit, hit, weight };
          if (hit.unavailable) throw storeUnreachableError('rate limit', hit.retryAfterMs);
          if (!hit.allowed) throw rateLimitError(counted, hits);
          hits.push(counted);
          if (limit.kind === 'tokens') tokenHits.push(counted);
        }
      }
      if (budgets.length > 0 || capped) {
        const amount = step.amountToReserve(input, size);
        const ttlMs = Math.max(0, context.deadline - at) + step.reservationMarginMs;
        for (const limit of budgets) {
          const period = budgetPeriod(limit, at);
          const result = await counters.reserve(period.counterKey, amount, limit.limitNanos, ttlMs);
          if (result.unavailable) throw storeUnreachableError('budget', 1_000);
          if (!result.ok || result.reservationId === undefined) throw budgetError(period, result, amount);
          held.push({ period, reservationId: result.reservationId });
        }
      }
    } catch (error) {
      await undo(hits, held);
      throw admissionFailure(error, logger);
    }
    const ticket: SharedTicket = { held, tokenHits, settled: false };
    if (hits.length > 0) ticket.headers = rateLimitHeaders(hits);
    return ticket;
  }

  async function settle(ticket: SharedTicket, actual: Settled): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const { period, reservationId } of ticket.held) {
      if (actual.costNanos === 0) {
        work.push(counters.release(reservationId));
        continue;
      }
      work.push(
        counters.settle(reservationId, actual.costNanos).then((state) => {
          if (state !== undefined) return alerts.observe(period, state.used);
          logLapsed(logger, period, actual.costNanos);
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
    admit,
    settle(ticket, actual) {
      if (!isShared(ticket)) return false;
      if (ticket.settled) return true;
      ticket.settled = true;
      if (ticket.held.length > 0 || ticket.tokenHits.length > 0) step.track(settle(ticket, actual));
      return true;
    },
  };
}
