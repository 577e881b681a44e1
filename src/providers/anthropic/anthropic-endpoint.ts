/**
 * @module providers/anthropic/anthropic-endpoint
 * Where and how an Anthropic deployment is called. The base URL is the root the official SDK
 * takes (`https://api.anthropic.com`, or a proxy's root); the adapter appends `/v1/…`, and a base
 * that already ends in `/v1` is accepted as the same root. The key goes in `x-api-key`, the API
 * version in `anthropic-version` (config `anthropic_version`, default `2023-06-01`); static
 * headers from config are added last and win, which is how `anthropic-beta` flags are sent.
 */

import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';

export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

interface ParsedBase {
  origin: string;
  /** Path of the root without a trailing slash or `/v1` ('' for the host root). */
  root: string;
}

const parsedBases = new Map<string, ParsedBase>();
/** Base URLs come from config, so a handful; the bound only guards against misuse. */
const MAX_PARSED_BASES = 1024;

/** Splits a base URL once per distinct URL: `new URL()` per request would be wasted work. */
function parseBase(target: UpstreamTarget): ParsedBase {
  const baseUrl = target.baseUrl === '' ? DEFAULT_ANTHROPIC_BASE_URL : target.baseUrl;
  const cached = parsedBases.get(baseUrl);
  if (cached !== undefined) return cached;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (cause) {
    throw new GatewayError('INTERNAL', `provider ${target.provider} has an invalid base URL`, {
      retryable: true,
      details: { provider: target.provider },
      cause,
    });
  }
  let root = url.pathname;
  let end = root.length;
  while (end > 0 && root.charCodeAt(end - 1) === 47 /* / */) end--;
  root = root.slice(0, end);
  if (root.endsWith('/v1')) root = root.slice(0, -3);
  const parsed: ParsedBase = { origin: url.origin, root };
  if (parsedBases.size >= MAX_PARSED_BASES) parsedBases.clear();
  parsedBases.set(baseUrl, parsed);
  return parsed;
}

export interface AnthropicEndpoint {
  origin: string;
  path: string;
  headers: Record<string, string>;
}

/** URL and headers of `operation` (e.g. `messages`, `models`) on `target`. */
export function resolveAnthropicEndpoint(
  target: UpstreamTarget,
  operation: string,
  accept: 'application/json' | 'text/event-stream',
  withBody = true,
): AnthropicEndpoint {
  const base = parseBase(target);
  const headers: Record<string, string> = withBody
    ? { 'content-type': 'application/json', accept }
    : { accept };
  headers['anthropic-version'] = target.apiVersion ?? DEFAULT_ANTHROPIC_VERSION;
  if (target.apiKey !== undefined && target.apiKey !== '') headers['x-api-key'] = target.apiKey;
  if (target.headers !== undefined) {
    for (const name of Object.keys(target.headers)) {
      const value = target.headers[name];
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
  }
  return { origin: base.origin, path: `${base.root}/v1/${operation}`, headers };
}
