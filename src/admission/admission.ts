/**
 * @module admission/admission
 * The admission step of every request (DESIGN.md §1): who is calling, whether they may use what
 * they asked for, whether their rate limits and budgets allow it. It runs once the route is
 * planned — a budget reservation needs the planned models' prices — and before any upstream
 * call; its ticket is settled with the real cost, or released, exactly once.
 */

import type { ChatRequest } from '../core/chat.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { RoutePlan } from '../routing/plan.js';

export interface AdmissionTicket {
  /** Headers for the response (`x-ratelimit-*`). */
  headers?: Record<string, string>;
}

export interface AdmissionRequest {
  request:
    | Pick<ChatRequest, 'model' | 'messages' | 'maxTokens' | 'routing' | 'tools'>
    | { model: string; input: string[] };
  plan: RoutePlan;
  /**
   * When the request is admitted, by `Date.now()`, if the caller has just read it (the gateway
   * passes the request's start, read just before routing): admitting then reads no clock of its
   * own. Ignored by an admission that goes by another clock (a test's).
   */
  at?: number;
}

/** What a request really cost, for `Admission.settle`. */
export interface Settled {
  costNanos: number;
  inputTokens: number;
  outputTokens: number;
  /**
   * When the request ended, by `Date.now()`, if the caller has just read it (the gateway does, for
   * the ledger's latency): settling then reads no clock of its own. Ignored by an admission that
   * goes by another clock (a test's).
   */
  at?: number;
}

export interface Admission {
  /**
   * Reserves and returns a ticket: as a plain value when nothing had to be awaited (no limit
   * applies, or the counters are in this process), so that the request does not wait a turn for
   * it; otherwise as a promise. A refusal (RATE_LIMIT_EXCEEDED, BUDGET_EXCEEDED, FORBIDDEN) is
   * always a rejected promise, never a throw.
   */
  admit(context: RequestContext, input: AdmissionRequest): AdmissionTicket | Promise<AdmissionTicket>;
  /** The request is over: settle the reservation to what it really cost. Called exactly once per ticket. */
  settle(ticket: AdmissionTicket, actual: Settled): void;
  close?(): Promise<void>;
}

/** Admits everything: the gateway without keys, budgets or rate limits. */
export function createOpenAdmission(): Admission {
  // One ticket for every request: there is nothing in it to settle.
  const ticket: AdmissionTicket = Object.freeze({});
  return {
    admit: () => ticket,
    settle() {},
  };
}
