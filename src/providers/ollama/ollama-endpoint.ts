/**
 * @module providers/ollama/ollama-endpoint
 * Where an Ollama call goes and with which headers. The base URL is the server's root, as the
 * official clients take it (`http://127.0.0.1:11434`); Ollama's own docs call `…/api` the base
 * URL, so a configured base that already ends in `/api` is not doubled. A local server needs no
 * key; ollama.com takes `Authorization: Bearer <key>`. Static headers from config win.
 */

import { parseBaseUrl } from '../shared/base-url.js';
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

/** The base split once (shared parser), with Ollama's `/api` root appended unless already there. */
function parseBase(baseUrl: string, target: UpstreamTarget): ParsedBase {
  const base = parseBaseUrl(baseUrl, target.provider);
  return {
    origin: base.origin,
    apiPath: base.path.endsWith('/api') ? base.path : `${base.path}/api`,
    search: base.search,
  };
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
