/**
 * @module providers/ollama/ollama-endpoint
 * Where an Ollama call goes and with which headers. The base URL is the server's root, as the
 * official clients take it (`http://127.0.0.1:11434`); Ollama's own docs call `…/api` the base
 * URL, so a configured base that already ends in `/api` is not doubled. A local server needs no
 * key; ollama.com takes `Authorization: Bearer <key>`. Static headers from config win.
 */

import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';

export const DEFAULT_OLLAMA_BASE_URL = 'http://127.0.0.1:11434';

export type OllamaOperation = 'chat' | 'embed' | 'tags';

export interface OllamaEndpoint {
  origin: string;
  path: string;
  headers: Record<string, string>;
}

interface ParsedBase {
  origin: string;
  /** The path up to and including `/api`. */
  apiPath: string;
  /** The base URL's query string with its `?`, or ''. */
  search: string;
}

const parsedBases = new Map<string, ParsedBase>();
/** Base URLs come from config, so a handful; the bound only guards against misuse. */
const MAX_PARSED_BASES = 1024;

/** Splits a base URL once per distinct URL rather than once per request. */
function parseBase(baseUrl: string, target: UpstreamTarget): ParsedBase {
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
  let end = url.pathname.length;
  while (end > 0 && url.pathname.charCodeAt(end - 1) === 47 /* / */) end--;
  const path = url.pathname.slice(0, end);
  const parsed: ParsedBase = {
    origin: url.origin,
    apiPath: path.endsWith('/api') ? path : `${path}/api`,
    search: url.search,
  };
  if (parsedBases.size >= MAX_PARSED_BASES) parsedBases.clear();
  parsedBases.set(baseUrl, parsed);
  return parsed;
}

export function resolveOllamaEndpoint(
  target: UpstreamTarget,
  operation: OllamaOperation,
  stream: boolean,
): OllamaEndpoint {
  const base = parseBase(target.baseUrl === '' ? DEFAULT_OLLAMA_BASE_URL : target.baseUrl, target);
  const headers: Record<string, string> = {
    accept: stream ? 'application/x-ndjson' : 'application/json',
  };
  if (operation !== 'tags') headers['content-type'] = 'application/json';
  if (target.apiKey !== undefined && target.apiKey !== '') headers.authorization = `Bearer ${target.apiKey}`;
  if (target.headers !== undefined) {
    for (const name of Object.keys(target.headers)) {
      const value = target.headers[name];
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
  }
  return { origin: base.origin, path: `${base.apiPath}/${operation}${base.search}`, headers };
}
