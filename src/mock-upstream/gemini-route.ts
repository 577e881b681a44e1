/**
 * @module mock-upstream/gemini-route
 * Which Gemini API method a path names: `POST …/models/{model}:{method}` for generation and
 * embeddings (any prefix before the version, so a base path works), and `GET /v1beta/models[/{id}]`.
 * GET paths under `/v1` are left to the OpenAI wire, which owns `/v1/models`.
 */

import type { WireRoute } from './wire.js';

export type GeminiMethod =
  | 'generateContent'
  | 'streamGenerateContent'
  | 'embedContent'
  | 'batchEmbedContents'
  | 'get'
  | 'list';

export interface GeminiRoute extends WireRoute {
  readonly method: GeminiMethod;
}

/** API versions whose GET paths are Gemini's; `/v1/models` is left to the OpenAI wire. */
const GET_VERSIONS = ['/v1beta/', '/v1alpha/'];
const POST_METHODS = new Set<string>([
  'generateContent',
  'streamGenerateContent',
  'embedContent',
  'batchEmbedContents',
]);

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function matchGemini(method: string, pathname: string): GeminiRoute | undefined {
  if (method === 'POST') {
    const colon = pathname.lastIndexOf(':');
    const at = pathname.lastIndexOf('/models/', colon);
    if (colon === -1 || at === -1 || colon < at + 8) return undefined;
    const name = pathname.slice(colon + 1);
    if (!POST_METHODS.has(name)) return undefined;
    const model = decodePathPart(pathname.slice(at + 8, colon));
    if (model === '' || model.includes('/')) return undefined;
    return {
      endpoint: name === 'embedContent' || name === 'batchEmbedContents' ? 'embeddings' : 'chat',
      model,
      method: name as GeminiMethod,
    };
  }
  if (method !== 'GET') return undefined;
  for (const version of GET_VERSIONS) {
    if (pathname.endsWith(`${version}models`))
      return { endpoint: 'models', model: undefined, method: 'list' };
    const at = pathname.indexOf(`${version}models/`);
    if (at === -1) continue;
    const model = pathname.slice(at + version.length + 7);
    if (model === '' || model.includes('/')) return undefined;
    return { endpoint: 'model', model: decodePathPart(model), method: 'get' };
  }
  return undefined;
}

export function isGeminiRoute(route: WireRoute): route is GeminiRoute {
  return 'method' in route;
}
