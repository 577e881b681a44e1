/**
 * @module routing/strategies/rule-conditions
 * The `when:` of a routing rule: conditions on request metadata, tags, user, parameters and the
 * classification, compiled once (at router creation) into a predicate. An unknown condition is
 * a configuration error, not a rule that silently never matches.
 *
 *   when: { metadata.team: [search, ads], tags: beta, min_tier: advanced, json: true,
 *           prompt_tokens: { gt: 4000 } }
 */

import { GatewayError } from '../../core/errors.js';
import { canonicalTask, isTier, tierRank } from '../classify/tasks.js';
import type { PlanContext } from './plan-context.js';

export type Predicate = (context: PlanContext) => boolean;

function invalid(where: string, message: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `${where}: ${message}`, { details: { field: where } });
}

function strings(value: unknown, where: string): readonly string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw invalid(where, 'expected a string or a list of strings');
}

function boolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw invalid(where, 'expected true or false');
  return value;
}

function numeric(value: unknown, where: string): (n: number) => boolean {
  if (typeof value === 'number') return (n) => n === value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const bounds = value as Record<string, unknown>;
    const checks: ((n: number) => boolean)[] = [];
    for (const [op, bound] of Object.entries(bounds)) {
      if (typeof bound !== 'number') throw invalid(`${where}.${op}`, 'expected a number');
      if (op === 'gt') checks.push((n) => n > bound);
      else if (op === 'gte') checks.push((n) => n >= bound);
      else if (op === 'lt') checks.push((n) => n < bound);
      else if (op === 'lte') checks.push((n) => n <= bound);
      else throw invalid(`${where}.${op}`, 'expected gt, gte, lt or lte');
    }
    return (n) => checks.every((check) => check(n));
  }
  throw invalid(where, 'expected a number or {gt, gte, lt, lte}');
}

function sameTask(a: string, b: string): boolean {
  if (a === b) return true;
  const ca = canonicalTask(a);
  return ca !== undefined && ca === canonicalTask(b);
}

function condition(key: string, value: unknown, where: string): Predicate {
  if (key.startsWith('metadata.')) {
    const field = key.slice('metadata.'.length);
    const allowed = strings(value, where);
    return (c) => {
      const actual = c.request.metadata?.[field];
      return actual !== undefined && allowed.includes(actual);
    };
  }
  switch (key) {
    case 'tags':
    case 'tag': {
      const wanted = strings(value, where);
      return (c) => c.request.routing?.tags?.some((tag) => wanted.includes(tag)) === true;
    }
    case 'user': {
      const allowed = strings(value, where);
      return (c) => c.request.user !== undefined && allowed.includes(c.request.user);
    }
    case 'task': {
      const tasks = strings(value, where);
      return (c) => tasks.some((task) => sameTask(task, c.classification().task));
    }
    case 'tier': {
      const tiers = strings(value, where);
      for (const tier of tiers) if (!isTier(tier)) throw invalid(where, `unknown tier ${tier}`);
      return (c) => tiers.includes(c.classification().tier);
    }
    case 'min_tier': {
      const [tier] = strings(value, where);
      if (tier === undefined || !isTier(tier))
        throw invalid(where, 'expected basic, intermediate, advanced or expert');
      const rank = tierRank(tier);
      return (c) => tierRank(c.classification().tier) >= rank;
    }
    case 'stream': {
      const wanted = boolean(value, where);
      return (c) => (c.request.stream === true) === wanted;
    }
    case 'tools': {
      const wanted = boolean(value, where);
      return (c) => (c.request.tools !== undefined && c.request.tools.length > 0) === wanted;
    }
    case 'json': {
      const wanted = boolean(value, where);
      return (c) => {
        const type = c.request.responseFormat?.type;
        return (type === 'json_object' || type === 'json_schema') === wanted;
      };
    }
    case 'images': {
      const wanted = boolean(value, where);
      return (c) => c.hasImages === wanted;
    }
    case 'max_tokens': {
      const test = numeric(value, where);
      return (c) => c.request.maxTokens !== undefined && test(c.request.maxTokens);
    }
    case 'prompt_tokens': {
      const test = numeric(value, where);
      return (c) => test(c.promptTokens);
    }
    default:
      throw invalid(
        where,
        'unknown condition (use metadata.KEY, tags, user, task, tier, min_tier, stream, tools, json, images, max_tokens, prompt_tokens)',
      );
  }
}

/** All conditions must hold. `where` names the config path for errors (`routes.x.rules[0].when`). */
export function compileConditions(when: Readonly<Record<string, unknown>>, where: string): Predicate {
  const predicates = Object.entries(when).map(([key, value]) => condition(key, value, `${where}.${key}`));
  return (context) => predicates.every((predicate) => predicate(context));
}
