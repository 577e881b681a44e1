/**
 * @module providers/shared/base-url
 * Splits a provider's base URL into origin, path (without trailing slashes) and query, once per
 * distinct URL: `new URL()` per request would be wasted work. Every protocol's endpoint builder
 * starts here and adds its own path conventions.
 */

import { GatewayError } from '../../core/errors.js';

export interface BaseUrl {
  origin: string;
  /** Path without trailing slashes ('' for the host root). */
  path: string;
  /** The base URL's query string with its `?`, or ''. */
  search: string;
}

const parsed = new Map<string, BaseUrl>();
/** Base URLs come from config, so a handful; the bound only guards against misuse. */
const MAX_PARSED = 1024;

export function parseBaseUrl(baseUrl: string, provider: string): BaseUrl {
  const cached = parsed.get(baseUrl);
  if (cached !== undefined) return cached;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (cause) {
    throw new GatewayError('INTERNAL', `provider ${provider} has an invalid base URL`, {
      retryable: true,
      details: { provider },
      cause,
    });
  }
  let end = url.pathname.length;
  while (end > 0 && url.pathname.charCodeAt(end - 1) === 47 /* / */) end--;
  const result: BaseUrl = { origin: url.origin, path: url.pathname.slice(0, end), search: url.search };
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(baseUrl, result);
  return result;
}
