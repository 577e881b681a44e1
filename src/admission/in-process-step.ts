/**
 * @module admission/in-process-step
 * Admission on an in-process store (memory, SQLite written behind), through its synchronous face
 * (`CounterStore.local`): every counter taken in one step on the event loop, at one reading of
 * the clock, with no promise per counter; budgets held by handle rather than by reservation id;
 * and the ticket handed back as a value, so that the request does not wait a turn for it. The
 * ticket holds no object per counter — tickets live as long as their requests, and what they
 * hold survives garbage collections — only what settling needs.
 */

import type { RequestContext } from '../gateway/request-context.js';
import type { LocalCounterOps, LocalHold, WindowHit } from '../storage/admission-ports.js';
import type { AdmissionRequest, AdmissionTicket, Settled } from './admission.js';
import {
  type AdmissionStep,
  admissionFailure,
  budgetError,
  logLapsed,
  type StepContext,
  storeUnreachableError,
} from './admission-step.js';
import { type BudgetPeriod, budgetPeriod } from './budgets.js';
import {
  type CountedHit,
  RATE_WINDOW_MS,
  type RateLimit,
  rateLimitError,
  tightestHeaders,
} from './rate-limits.js';
import { inputSize } from './worst-case-cost.js';

/**
 * Every window was hit at `hitAt` (one reading of the store's clock), the token windows with
 * `tokens`: the windows to correct at settlement are the token limits among `rates`. `holds` is
 * the budgets' periods and reservation handles, in pairs.
 */
class InProcessTicket implements AdmissionTicket {
  headers: Record<string, string> | undefined = undefined;
  settled = false;
  /** Token weight each token window was hit with. */
  tokens = 0;
  /** How many of `rates` were hit (all of them once admitted; fewer while admitting). */
  hits = 0;
  /** `period, hold` pairs, `holdCount` of them. */
  holds: (BudgetPeriod | LocalHold)[] | undefined = undefined;
  holdCount = 0;

  constructor(
    readonly rates: readonly RateLimit[],
    readonly hitAt: number,
  ) {}
}

export function createInProcessStep(ops: LocalCounterOps, step: StepContext): AdmissionStep {
  const { now, logger, alerts } = step;
  // The store and the budgets go by one clock (the gateway's, or a test's): one reading serves both.
  const sharedClock = ops.now === now;
  // ...and when that clock is Date.now, a settlement's `at` (read by the caller) serves too.
  const wallClock = sharedClock && now === Date.now;

  /** Gives back what an admission took before it was refused. */
  function undo(ticket: InProcessTicket): void {
    const holds = ticket.holds;
    for (let i = 0; holds !== undefined && i < ticket.holdCount; i++) {
      try {
        ops.releaseHold(holds[2 * i + 1] as LocalHold);
      } catch (error) {
        logger.error('admission undo failed', { error });
      }
    }
    for (let i = 0; i < ticket.hits; i++) {
      const limit = ticket.rates[i] as RateLimit;
      try {
        ops.adjust(
          limit.counterKey,
          RATE_WINDOW_MS,
          limit.kind === 'requests' ? -1 : -ticket.tokens,
          ticket.hitAt,
        );
      } catch (error) {
        logger.error('admission undo failed', { error });
      }
    }
  }

  /** Counts the request at every rate limit; the headers report the tightest of each kind. */
  function countRates(ticket: InProcessTicket, rates: readonly RateLimit[], tokens: number): void {
    // The tightest hit of each kind: the first of equals, as rateLimitHeaders picks.
    let requestsLimit: RateLimit | undefined;
    let requestsHit: WindowHit | undefined;
    let tokensLimit: RateLimit | undefined;
    let tokensHit: WindowHit | undefined;
    for (let i = 0; i < rates.length; i++) {
      const limit = rates[i] as RateLimit;
      const requests = limit.kind === 'requests';
      const weight = requests ? 1 : tokens;
      const hit = ops.hit(limit.counterKey, RATE_WINDOW_MS, limit.limit, weight, ticket.hitAt);
      if (hit.unavailable) throw storeUnreachableError('rate limit', hit.retryAfterMs);
      if (!hit.allowed) {
        const counted: CountedHit[] = [];
        if (requestsLimit !== undefined && requestsHit !== undefined)
          counted.push({ limit: requestsLimit, hit: requestsHit, weight: 1 });
        if (tokensLimit !== undefined && tokensHit !== undefined)
          counted.push({ limit: tokensLimit, hit: tokensHit, weight: tokens });
        throw rateLimitError({ limit, hit, weight }, counted);
      }
      ticket.hits++;
      if (requests) {
        if (requestsHit === undefined || hit.remaining < requestsHit.remaining) {
          requestsLimit = limit;
          requestsHit = hit;
        }
      } else if (tokensHit === undefined || hit.remaining < tokensHit.remaining) {
        tokensLimit = limit;
        tokensHit = hit;
      }
    }
    ticket.headers = tightestHeaders(requestsLimit, requestsHit, tokensLimit, tokensHit);
  }

  function settle(ticket: InProcessTicket, actual: Settled): void {
    // One reading of the store's clock for the whole step, or none when the caller has one.
    const at = wallClock && actual.at !== undefined ? actual.at : ops.now();
    const holds = ticket.holds;
    if (holds !== undefined) {
      const cost = actual.costNanos;
      for (let i = 0; i < ticket.holdCount; i++) {
        const period = holds[2 * i] as BudgetPeriod;
        const hold = holds[2 * i + 1] as LocalHold;
        if (cost === 0) {
          ops.releaseHold(hold, at);
          continue;
        }
        const state = ops.settleHold(hold, cost, at);
        if (state === undefined) logLapsed(logger, period, cost);
        else if (alerts.due(period, state.used)) step.track(alerts.observe(period, state.used));
      }
    }
    const delta = actual.inputTokens + actual.outputTokens - ticket.tokens;
    if (delta === 0) return;
    const rates = ticket.rates;
    for (let i = 0; i < ticket.hits; i++) {
      const limit = rates[i] as RateLimit;
      if (limit.kind === 'tokens') ops.adjust(limit.counterKey, RATE_WINDOW_MS, delta, ticket.hitAt, at);
    }
  }

  return {
    admit(context: RequestContext, input: AdmissionRequest, rates, budgets, capped) {
      const request = input.request;
      const size = inputSize(request);
      const at = wallClock && input.at !== undefined ? input.at : now();
      const ticket = new InProcessTicket(rates, sharedClock ? at : ops.now());
      try {
        if (rates.length > 0) {
          const maxTokens = 'maxTokens' in request ? (request.maxTokens ?? 0) : 0;
          ticket.tokens = size.estimate + maxTokens;
          countRates(ticket, rates, ticket.tokens);
        }
        if (budgets.length > 0 || capped) {
          const amount = step.amountToReserve(input, size);
          const ttlMs = Math.max(0, context.deadline - at) + step.reservationMarginMs;
          const holds: (BudgetPeriod | LocalHold)[] = new Array(2 * budgets.length);
          ticket.holds = holds;
          for (const limit of budgets) {
            const period = budgetPeriod(limit, at);
            // Held by handle: no reservation id to make, index and look up again at settlement.
            const result = ops.hold(period.counterKey, amount, limit.limitNanos, ttlMs, ticket.hitAt);
            if (result.hold === undefined) throw budgetError(period, result, amount);
            holds[2 * ticket.holdCount] = period;
            holds[2 * ticket.holdCount + 1] = result.hold;
            ticket.holdCount++;
          }
        }
      } catch (error) {
        undo(ticket);
        throw admissionFailure(error, logger);
      }
      return ticket;
    },

    settle(ticket, actual) {
      if (!(ticket instanceof InProcessTicket)) return false;
      if (ticket.settled) return true;
      ticket.settled = true;
      try {
        settle(ticket, actual);
      } catch (error) {
        logger.error('settling a budget reservation failed; it will lapse', { error });
      }
      return true;
    },
  };
}
