/**
 * @module providers/gemini/gemini-endpoint
 * Where a Gemini call goes and how it authenticates: `{base}/{apiVersion}/models/{model}:{method}`
 * with the key in the `x-goog-api-key` header — never in the `?key=` query the API also accepts,
 * because URLs end up in logs. The model may be configured as `gemini-2.5-flash` or as the
 * resource name `models/gemini-2.5-flash` (`tunedModels/…` too); each path segment is
 * URL-encoded. A base URL that already ends in the API version (`…/v1beta`) is not given it twice.
 * The model's root path is computed once per target object and kept.
 */

import { GatewayError } from '../../core/errors.js';
import type { HttpRequest, UpstreamTarget } from '../spec.js';

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
/** The version Google's SDKs use; the config schema defaults to the same. */
export const GEMINI_DEFAULT_API_VERSION = 'v1beta';

export type GeminiMethod =
  | 'generateContent'
  | 'streamGenerateContent'
  | 'embedContent'
  | 'batchEmbedContents';

interface ModelRoot {
  origin: string;
  /** `{basePath}/{version}/models/{model}`, encoded. */
  path: string;
  /** `models/{model}` as the API names it in bodies (batch embedding requests). */
  resource: string;
}

/** Targets live as long as the config that made them: each is resolved once. */
const roots = new WeakMap<UpstreamTarget, ModelRoot>();

/** `models/gemini-2.5-flash` for `gemini-2.5-flash`; resource names are kept as they are. */
export function modelResource(model: string): string {
  const trimmed = model.startsWith('/') ? model.slice(1) : model;
  return trimmed.includes('/') ? trimmed : `models/${trimmed}`;
}

/** The bare model id (`gemini-2.5-flash`) of a configured id or resource name. */
export function modelId(model: string): string {
  const slash = model.lastIndexOf('/');
  return slash === -1 ? model : model.slice(slash + 1);
}

function encodeSegments(path: string): string {
  let out = '';
  for (const segment of path.split('/')) {
    if (segment !== '') out += `/${encodeURIComponent(segment)}`;
  }
  return out;
}

function modelRoot(target: UpstreamTarget): ModelRoot {
  const cached = roots.get(target);
  if (cached !== undefined) return cached;
  const version = target.apiVersion ?? GEMINI_DEFAULT_API_VERSION;
  const baseUrl = target.baseUrl === '' ? GEMINI_DEFAULT_BASE_URL : target.baseUrl;
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
  let basePath = url.pathname;
  while (basePath.endsWith('/')) basePath = basePath.slice(0, -1);
  const versionPath = `/${encodeURIComponent(version)}`;
  if (!basePath.endsWith(versionPath)) basePath += versionPath;
  const resource = modelResource(target.model);
  const root: ModelRoot = { origin: url.origin, path: basePath + encodeSegments(resource), resource };
  roots.set(target, root);
  return root;
}

/** `models/{model}` for request bodies that name the model (batch embeddings). */
export function geminiModelResource(target: UpstreamTarget): string {
  return modelRoot(target).resource;
}

function headers(target: UpstreamTarget, accept: string, withBody: boolean): Record<string, string> {
  const out: Record<string, string> = { accept };
  if (withBody) out['content-type'] = 'application/json';
  if (target.apiKey !== undefined && target.apiKey !== '') out['x-goog-api-key'] = target.apiKey;
  if (target.headers !== undefined) {
    for (const name of Object.keys(target.headers)) {
      const value = target.headers[name];
      if (value !== undefined) out[name.toLowerCase()] = value;
    }
  }
  return out;
}

/** A POST to one of the model's methods; streams ask for SSE framing (`alt=sse`). */
export function geminiPost(target: UpstreamTarget, method: GeminiMethod, body: string): HttpRequest {
  const root = modelRoot(target);
  const stream = method === 'streamGenerateContent';
  return {
    origin: root.origin,
    method: 'POST',
    path: stream ? `${root.path}:${method}?alt=sse` : `${root.path}:${method}`,
    headers: headers(target, stream ? 'text/event-stream' : 'application/json', true),
    body,
  };
}

/** `GET models/{model}`: free, and it checks the key and the model at once (health probes). */
export function geminiGetModel(target: UpstreamTarget): HttpRequest {
  const root = modelRoot(target);
  return {
    origin: root.origin,
    method: 'GET',
    path: root.path,
    headers: headers(target, 'application/json', false),
  };
}
