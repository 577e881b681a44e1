/**
 * @module admission/key-scope
 * The rule that keeps delegation safe: no key mints a key broader than itself. Only admins mint
 * at all. The master key (and the open gateway) may mint anything; an admin virtual key only
 * keys whose models are among its own, whose budget is no larger and no more often renewed,
 * whose rate limits and priority are no higher, which expire no later and stay in its project
 * and user. Limits the new key leaves out are inherited where inheriting cannot widen anything
 * (priority, project, user, expiry) and refused where it would (models, budget, rpm, tpm).
 */

import { GatewayError } from '../core/errors.js';
import type { Caller } from '../gateway/request-context.js';
import type { BudgetWindow, VirtualKey } from '../storage/admission-ports.js';
import type { KeySpec } from './virtual-keys.js';

/** Which concrete models a key's `models` list covers. */
export interface ModelScope {
  /** True when `allowed` (model and route names, non-empty) lets its key use `model`. */
  allows(allowed: readonly string[], model: string): boolean;
}

/** Daily budgets renew most often, so they are the broadest for a given amount. */
const WINDOW_NARROWNESS: Readonly<Record<BudgetWindow, number>> = { daily: 0, monthly: 1, total: 2 };

function forbidden(message: string, field: string): GatewayError {
  return new GatewayError('FORBIDDEN', message, { details: { field } });
}

/**
 * Returns the spec as it will be granted (with inherited limits filled in), or throws FORBIDDEN
 * naming the first field that would make the new key broader than its creator.
 */
export function assertWithinCreator(spec: KeySpec, creator: Caller, scope: ModelScope, now: number): KeySpec {
  if (!creator.admin) throw forbidden('only an admin key can create keys', 'admin');
  if (spec.expiresAt !== undefined && spec.expiresAt <= now) {
    throw new GatewayError('INVALID_REQUEST', 'expires_at is in the past', {
      details: { field: 'expires_at' },
    });
  }
  const parent: VirtualKey | undefined = creator.key;
  if (parent === undefined) return spec;
  const granted: KeySpec = { ...spec };

  if (parent.models.length > 0) {
    const models = spec.models ?? [];
    if (models.length === 0) {
      throw forbidden('this key is limited to some models; the new key must name its models', 'models');
    }
    for (const model of models) {
      if (!parent.models.includes(model) && !scope.allows(parent.models, model)) {
        throw forbidden(`this key may not use ${model}, so it cannot grant it`, 'models');
      }
    }
  }

  if (parent.budgetUsd !== undefined) {
    if (spec.budgetUsd === undefined) {
      throw forbidden('this key has a budget; the new key needs one no larger', 'budget_usd');
    }
    if (spec.budgetUsd > parent.budgetUsd) {
      throw forbidden(`budget_usd ${spec.budgetUsd} exceeds this key's ${parent.budgetUsd}`, 'budget_usd');
    }
    const parentWindow = parent.budgetWindow ?? 'total';
    const window = spec.budgetWindow ?? 'total';
    if (WINDOW_NARROWNESS[window] < WINDOW_NARROWNESS[parentWindow]) {
      throw forbidden(
        `a ${window} budget renews more often than this key's ${parentWindow} budget`,
        'budget_window',
      );
    }
  }

  for (const field of ['rpm', 'tpm'] as const) {
    const limit = parent[field];
    if (limit === undefined) continue;
    const asked = spec[field];
    if (asked === undefined) throw forbidden(`this key has a ${field} limit; the new key needs one`, field);
    if (asked > limit) throw forbidden(`${field} ${asked} exceeds this key's ${limit}`, field);
  }

  if (parent.priority !== undefined) {
    if (spec.priority === undefined) granted.priority = parent.priority;
    else if (spec.priority > parent.priority) {
      throw forbidden(`priority ${spec.priority} is above this key's ${parent.priority}`, 'priority');
    }
  }

  for (const field of ['project', 'user'] as const) {
    const own = parent[field];
    if (own === undefined) continue;
    if (spec[field] === undefined) granted[field] = own;
    else if (spec[field] !== own) throw forbidden(`this key belongs to ${field} ${own}`, field);
  }

  if (parent.expiresAt !== undefined) {
    if (spec.expiresAt === undefined) granted.expiresAt = parent.expiresAt;
    else if (spec.expiresAt > parent.expiresAt) {
      throw forbidden('the new key would outlive this key', 'expires_at');
    }
  }
  return granted;
}
