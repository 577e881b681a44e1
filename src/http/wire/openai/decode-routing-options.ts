/**
 * @module http/wire/openai/decode-routing-options
 * The body field `switchyard: {…}` → canonical RoutingOptions. Unknown keys are rejected: a
 * misspelt routing option silently ignored would route the request somewhere the caller did
 * not ask for.
 */

import { STRATEGIES, TIERS } from '../../../config/schema.js';
import type { RoutingOptions } from '../../../core/chat.js';
import {
  expectIntegerInRange,
  expectNonEmptyString,
  expectNumberInRange,
  expectStringArray,
  fail,
  isAbsent,
  isRecord,
} from './field-checks.js';

const CACHE_MODES = ['default', 'no-cache', 'no-store'] as const;
const MAX_LIST = 32;

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(field, `expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function nonEmptyNames(value: unknown, field: string): string[] {
  const names = expectStringArray(value, field, MAX_LIST);
  for (let i = 0; i < names.length; i++) {
    if (names[i] === '') fail(`${field}[${i}]`, 'expected a non-empty string');
  }
  return names;
}

export function decodeRoutingOptions(value: unknown, field = 'switchyard'): RoutingOptions | undefined {
  if (isAbsent(value)) return undefined;
  if (!isRecord(value)) fail(field, 'expected an object');
  const options: RoutingOptions = {};
  let any = false;
  for (const key of Object.keys(value)) {
    const option = value[key];
    if (isAbsent(option)) continue;
    const path = `${field}.${key}`;
    switch (key) {
      case 'strategy':
        options.strategy = oneOf(option, path, STRATEGIES);
        break;
      case 'max_cost':
        options.maxCostUsd = expectNumberInRange(option, path, 0, Number.MAX_SAFE_INTEGER);
        break;
      case 'chain':
        options.chain = nonEmptyNames(option, path);
        break;
      case 'task':
        options.task = expectNonEmptyString(option, path, 64);
        break;
      case 'tier':
        options.tier = oneOf(option, path, TIERS);
        break;
      case 'ensemble_size':
        options.ensembleSize = expectIntegerInRange(option, path, 1, 16);
        break;
      case 'cache':
        options.cache = oneOf(option, path, CACHE_MODES);
        break;
      case 'min_confidence':
        options.minConfidence = expectNumberInRange(option, path, 0, 1);
        break;
      case 'priority':
        options.priority = expectIntegerInRange(option, path, -1000, 1000);
        break;
      case 'tags':
        options.tags = nonEmptyNames(option, path);
        break;
      case 'api_base':
        // Checked against security.upstream_allowlist by the gateway, before any connection.
        options.apiBase = expectNonEmptyString(option, path, 2048);
        break;
      default:
        fail(path, 'unknown routing option');
    }
    any = true;
  }
  return any ? options : undefined;
}
