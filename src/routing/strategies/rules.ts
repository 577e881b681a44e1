/**
 * @module routing/strategies/rules
 * Rules map what a request is to the models that should serve it: `task: code → preferred [a],
 * fallback [b]`, optionally narrowed by `when:` conditions on metadata, tags, parameters and the
 * classification. A route's own `rules` come first, then the config's top-level `routing_rules`
 * (the seed documents' `{task, preferred_models, fallback_models}`). The first rule that matches
 * gives the plan: its preferred models in order, then its fallbacks, as a sequence (escalating
 * on low confidence only when a `min_confidence` is configured or asked for). When no rule
 * matches, the request goes the `cheapest` way and the trace says so.
 */

import type { Config, RouteConfig } from '../../config/schema.js';
import { GatewayError } from '../../core/errors.js';
import { canonicalTask } from '../classify/tasks.js';
import type { PlannedAttempt, RoutePlan } from '../plan.js';
import { cheapest } from './cheapest.js';
import {
  contextFor,
  describeRequest,
  formatUsd,
  type PlanContext,
  type PlanStrategy,
} from './plan-context.js';
import { compileConditions, type Predicate } from './rule-conditions.js';
import { budgetExceeded } from './screen.js';

export interface CompiledRule {
  /** Config path, for the trace: `routes.tasks.rules[0]`, `routing_rules[2]`. */
  source: string;
  task: string | undefined;
  when: Predicate | undefined;
  preferred: readonly string[];
  fallback: readonly string[];
}

const compiledRoutes = new WeakMap<RouteConfig, CompiledRule[]>();
const compiledGlobal = new WeakMap<Config['routing_rules'], CompiledRule[]>();

/** Compiles (once per config object) a route's rules; throws INVALID_REQUEST on a bad `when`. */
export function compileRouteRules(route: RouteConfig, routeName: string): CompiledRule[] {
  let rules = compiledRoutes.get(route);
  if (rules === undefined) {
    rules = (route.rules ?? []).map((rule, i) => {
      const source = `routes.${routeName}.rules[${i}]`;
      return {
        source,
        task: rule.task,
        when: rule.when === undefined ? undefined : compileConditions(rule.when, `${source}.when`),
        preferred: rule.preferred,
        fallback: rule.fallback,
      };
    });
    compiledRoutes.set(route, rules);
  }
  return rules;
}

export function compileGlobalRules(rules: Config['routing_rules']): CompiledRule[] {
  let compiled = compiledGlobal.get(rules);
  if (compiled === undefined) {
    compiled = rules.map((rule, i) => ({
      source: `routing_rules[${i}]`,
      task: rule.task,
      when: undefined,
      preferred: rule.preferred_models,
      fallback: rule.fallback_models,
    }));
    compiledGlobal.set(rules, compiled);
  }
  return compiled;
}

function taskMatches(ruleTask: string, task: string): boolean {
  if (ruleTask === task) return true;
  const canonical = canonicalTask(ruleTask);
  return canonical !== undefined && canonical === canonicalTask(task);
}

/** The first rule that matches the request, or undefined. */
export function matchRule(context: PlanContext, rules: readonly CompiledRule[]): CompiledRule | undefined {
  for (const rule of rules) {
    if (rule.task !== undefined && !taskMatches(rule.task, context.classification().task)) continue;
    if (rule.when !== undefined && !rule.when(context)) continue;
    return rule;
  }
  return undefined;
}

function rulesOf(context: PlanContext): CompiledRule[] {
  const global = compileGlobalRules(context.registry.routingRules);
  if (context.route === undefined) return global;
  const own = compileRouteRules(context.route, context.routeName ?? 'route');
  return own.length === 0 ? global : global.length === 0 ? own : [...own, ...global];
}

export const rules: PlanStrategy = (request, candidates, snapshot, registry, given): RoutePlan => {
  const context = contextFor(request, candidates, snapshot, registry, given);
  const rule = matchRule(context, rulesOf(context));
  if (rule === undefined) {
    const plan = cheapest(request, candidates, snapshot, registry, context);
    return { ...plan, strategy: 'rules', reason: `rules: no rule matches; ${plan.reason}` };
  }
  const attempts: PlannedAttempt[] = [];
  const notes: string[] = [];
  const seen = new Set<string>();
  const need = context.need();
  let cheapestOut: { model: string; estimatedCostUsd: number } | undefined;
  /** Why `name` cannot take the request, or undefined when it can. */
  const unfit = (name: string): string | undefined => {
    const model = registry.get(name);
    if (model === undefined) return `${name} unknown`;
    if (model.deployments.length === 0) return `${name} has no deployment`;
    if (context.operation === 'embeddings' && !model.capabilities.has('embeddings')) {
      return `${name} serves no embeddings`;
    }
    if (model.contextWindow !== undefined && model.contextWindow < need.minContext) {
      return `${name} context window too small`;
    }
    if (context.maxCostUsd !== undefined) {
      const estimate = context.costOf(model);
      if (estimate > context.maxCostUsd) {
        if (cheapestOut === undefined || estimate < cheapestOut.estimatedCostUsd) {
          cheapestOut = { model: name, estimatedCostUsd: estimate };
        }
        return `${name} over budget (${formatUsd(estimate)} est.)`;
      }
    }
    return undefined;
  };
  const add = (name: string, role: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const problem = unfit(name);
    if (problem === undefined) attempts.push({ model: name, reason: `${role} by ${rule.source}` });
    else notes.push(problem);
  };
  for (const name of rule.preferred) add(name, 'preferred');
  for (const name of rule.fallback) add(name, 'fallback');
  if (attempts.length === 0) {
    if (cheapestOut !== undefined) throw budgetExceeded(context, 'rules', cheapestOut);
    throw new GatewayError('MODEL_UNAVAILABLE', `rules: no model of ${rule.source} can take the request`, {
      details: { rule: rule.source, notes },
    });
  }
  const minConfidence = request.routing?.minConfidence ?? context.route?.min_confidence;
  const matched =
    rule.task === undefined ? 'conditions' : `task ${rule.task}${rule.when ? ' + conditions' : ''}`;
  return {
    kind: 'sequence',
    strategy: 'rules',
    attempts,
    ...(minConfidence === undefined ? {} : { escalate: { minConfidence } }),
    reason:
      `rules: ${describeRequest(context)}; ${rule.source} (${matched}) → ${attempts.map((a) => a.model).join(', then ')}` +
      (notes.length === 0 ? '' : `; ${notes.join('; ')}`),
  };
};
