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
}

export interface Admission {
  /** Throws RATE_LIMIT_EXCEEDED, BUDGET_EXCEEDED or FORBIDDEN; otherwise reserves and returns a ticket. */
  admit(context: RequestContext, input: AdmissionRequest): Promise<AdmissionTicket>;
  /** The request is over: settle the reservation to what it really cost. Called exactly once per ticket. */
  settle(
    ticket: AdmissionTicket,
    actual: { costNanos: number; inputTokens: number; outputTokens: number },
  ): void;
  close?(): Promise<void>;
}

/** Admits everything: the gateway without keys, budgets or rate limits. */
export function createOpenAdmission(): Admission {
  return {
    admit: async () => ({}),
    settle() {},
  };
}
