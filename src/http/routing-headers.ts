/**
 * @module http/routing-headers
 * Routing options from `x-switchyard-*` headers, merged under those of the body's `switchyard`
 * field (the body wins: it is the more deliberate of the two).
 */

import type { IncomingHttpHeaders } from 'node:http';
import { NAME_PATTERN } from '../config/schema.js';
import type { RoutingOptions } from '../core/chat.js';
import { invalidRequest } from '../core/errors.js';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function routingFromHeaders(headers: IncomingHttpHeaders): RoutingOptions | undefined {
  let options: RoutingOptions | undefined;
  const strategy = header(headers, 'x-switchyard-strategy');
  if (strategy !== undefined) {
    if (!/^[a-z-]{1,32}$/.test(strategy))
      throw invalidRequest('x-switchyard-strategy: not a strategy name', 'x-switchyard-strategy');
    options = { ...options, strategy };
  }
  const maxCost = header(headers, 'x-switchyard-max-cost');
  if (maxCost !== undefined) {
    const value = Number(maxCost);
    if (!Number.isFinite(value) || value < 0) {
      throw invalidRequest(
        'x-switchyard-max-cost: expected a non-negative number of USD',
        'x-switchyard-max-cost',
      );
    }
    options = { ...options, maxCostUsd: value };
  }
  const chain = header(headers, 'x-switchyard-chain');
  if (chain !== undefined) {
    const names = chain.split(',').map((name) => name.trim());
    if (names.length > 16 || names.some((name) => !NAME_PATTERN.test(name))) {
      throw invalidRequest(
        'x-switchyard-chain: expected up to 16 comma-separated model names',
        'x-switchyard-chain',
      );
    }
    options = { ...options, chain: names };
  }
  const task = header(headers, 'x-switchyard-task');
  if (task !== undefined) {
    if (!/^[a-z_-]{1,32}$/.test(task))
      throw invalidRequest('x-switchyard-task: not a task name', 'x-switchyard-task');
    options = { ...options, task };
  }
  const priority = header(headers, 'x-switchyard-priority');
  if (priority !== undefined) {
    const value = Number(priority);
    if (!Number.isInteger(value) || value < 0 || value > 9) {
      throw invalidRequest(
        'x-switchyard-priority: expected an integer from 0 (lowest) to 9',
        'x-switchyard-priority',
      );
    }
    options = { ...options, priority: value };
  }
  const cache = header(headers, 'x-switchyard-cache');
  if (cache !== undefined) {
    if (cache !== 'no-cache' && cache !== 'no-store' && cache !== 'default') {
      throw invalidRequest(
        'x-switchyard-cache: expected no-cache, no-store or default',
        'x-switchyard-cache',
      );
    }
    options = { ...options, cache };
  }
  return options;
}

export function mergeRouting(
  fromHeaders: RoutingOptions | undefined,
  fromBody: RoutingOptions | undefined,
): RoutingOptions | undefined {
  if (!fromHeaders) return fromBody;
  if (!fromBody) return fromHeaders;
  return { ...fromHeaders, ...fromBody };
}
