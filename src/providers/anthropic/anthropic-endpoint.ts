/**
 * @module providers/anthropic/anthropic-endpoint
 * Where and how an Anthropic deployment is called. The base URL is the root the official SDK
 * takes (`https://api.anthropic.com`, or a proxy's root); the adapter appends `/v1/…`, and a base
 * that already ends in `/v1` is accepted as the same root. The key goes in `x-api-key`, the API
 * version in `anthropic-version` (config `anthropic_version`, default `2023-06-01`); static
 * headers from config are added last and win, which is how `anthropic-beta` flags are sent.
 */

import { parseBaseUrl } from '../shared/base-url.js';
import type { UpstreamTarget } from '../spec.js';

export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

interface ParsedBase {
  origin: string;
  /** Path of the root without a trailing slash or `/v1` ('' for the host root). */
  root: string;
}

/** The base split once (shared parser); a trailing `/v1` is accepted and dropped. */
function parseBase(target: UpstreamTarget): ParsedBase {
  const base = parseBaseUrl(
    target.baseUrl === '' ? DEFAULT_ANTHROPIC_BASE_URL : target.baseUrl,
    target.provider,
  );
  return { origin: base.origin, root: base.path.endsWith('/v1') ? base.path.slice(0, -3) : base.path };
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
