/**
 * @module routing/strategies/ab
 * A/B split: each request goes to one of the route's weighted variants, chosen by hashing a
 * sticky key — the user, a session id from metadata, or the caller's key — so one user keeps
 * seeing one variant. The plan's reason names the variant (`ab: variant b (10%) → gpt-4o`); it
 * lands in the ledger's route trace, which is where per-variant cost, latency and feedback are
 * read from. Requests without any key are split by a hash of the prompt (deterministic, so
 * retries of one prompt land on one variant). The other variants follow as error fallbacks.
 */

import { GatewayError } from '../../core/errors.js';
import type { PlannedAttempt, RoutePlan } from '../plan.js';
import {
  contextFor,
  formatUsd,
  type PlanContext,
  type PlanRequest,
  type PlanStrategy,
} from './plan-context.js';
import { budgetExceeded } from './screen.js';

function fnv1a(text: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  // A final avalanche: FNV's low bits alone split near-identical keys ("user-1", "user-2") poorly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function lastUserText(request: PlanRequest): string {
  const messages = request.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== 'user') continue;
    let text = '';
    for (const part of message.content) if (part.type === 'text') text += part.text;
    return text;
  }
  return '';
}

/** The key a request sticks by, and what it is. */
export function stickyKey(context: PlanContext): { key: string; by: string } {
  const { request } = context;
  const metadata = request.metadata ?? {};
  const user = request.user ?? metadata['user_id'] ?? metadata['user'];
  const session = metadata['session_id'] ?? metadata['session'] ?? metadata['conversation_id'];
  const sticky = context.route?.sticky_by;
  const order: [string, string | undefined][] =
    sticky === 'session'
      ? [['session', session]]
      : sticky === 'key'
        ? [['key', context.stickyKey]]
        : sticky === 'user'
          ? [['user', user]]
          : [
              ['user', user],
              ['session', session],
              ['key', context.stickyKey],
            ];
  for (const [by, key] of order) if (key !== undefined && key !== '') return { key, by };
  return { key: lastUserText(request), by: 'prompt' };
}

export function variantLabel(index: number): string {
  return index < 26 ? String.fromCharCode(97 + index) : `v${index + 1}`;
}

export const ab: PlanStrategy = (request, candidates, snapshot, registry, given): RoutePlan => {
  const context = contextFor(request, candidates, snapshot, registry, given);
  const variants = context.route?.variants;
  if (variants === undefined || variants.length === 0) {
    throw new GatewayError('INVALID_REQUEST', 'ab: needs a route with variants', {
      details: { field: 'strategy' },
    });
  }
  let total = 0;
  for (const v of variants) total += v.weight;
  if (!(total > 0)) {
    throw new GatewayError('INVALID_REQUEST', 'ab: the variants weigh nothing', {
      details: { field: 'variants' },
    });
  }
  const { key, by } = stickyKey(context);
  const point = (fnv1a(`${context.routeName ?? ''}\u0000${key}`) / 4_294_967_296) * total;
  let drawn = variants.length - 1;
  for (let k = 0, sum = 0; k < variants.length; k++) {
    sum += variants[k]!.weight;
    if (point < sum) {
      drawn = k;
      break;
    }
  }
  // The drawn variant first, the others (heaviest first) as fallbacks on error.
  const order = variants.map((_, k) => k).filter((k) => k !== drawn);
  order.sort((a, b) => variants[b]!.weight - variants[a]!.weight || a - b);
  order.unshift(drawn);
  const attempts: PlannedAttempt[] = [];
  const notes: string[] = [];
  let served: number | undefined;
  let cheapestOut: { model: string; estimatedCostUsd: number } | undefined;
  for (const k of order) {
    const variant = variants[k]!;
    const label = variantLabel(k);
    const model = registry.get(variant.model);
    if (model === undefined || model.deployments.length === 0) {
      notes.push(`variant ${label} (${variant.model}) unavailable`);
      continue;
    }
    if (context.maxCostUsd !== undefined) {
      const estimate = context.costOf(model);
      if (estimate > context.maxCostUsd) {
        notes.push(`variant ${label} over budget (${formatUsd(estimate)} est.)`);
        if (cheapestOut === undefined || estimate < cheapestOut.estimatedCostUsd) {
          cheapestOut = { model: model.name, estimatedCostUsd: estimate };
        }
        continue;
      }
    }
    served ??= k;
    attempts.push({
      model: model.name,
      reason: k === served ? `variant ${label}, sticky by ${by}` : `variant ${label} as fallback`,
    });
  }
  if (served === undefined) {
    if (cheapestOut !== undefined) throw budgetExceeded(context, 'ab', cheapestOut);
    throw new GatewayError('MODEL_UNAVAILABLE', 'ab: no variant is available', { details: { notes } });
  }
  const percent = (variants[served]!.weight / total) * 100;
  const share = percent >= 1 ? `${Math.round(percent)}%` : `${percent.toPrecision(2)}%`;
  const moved = served === drawn ? '' : ` (drawn variant ${variantLabel(drawn)} could not serve)`;
  return {
    kind: 'sequence',
    strategy: 'ab',
    attempts,
    reason:
      `ab: variant ${variantLabel(served)} (${share}) → ${variants[served]!.model}, sticky by ${by}${moved}` +
      (notes.length === 0 ? '' : `; ${notes.join('; ')}`),
  };
};
