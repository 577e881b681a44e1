/**
 * @module providers/openai/openai-presets
 * Where and how each provider type that speaks the OpenAI protocol is called: URL, headers,
 * and the two body differences (which field limits output tokens, whether `model` is in the
 * body). Any other type (vLLM, TGI, LM Studio, …) gets the generic OpenAI-compatible preset.
 * Each target's endpoints are resolved once and shared (frozen) by every call after.
 *
 * Sources, read for each fact:
 * - OpenAI — "API Reference: Create chat completion" (platform.openai.com/docs/api-reference/chat/create)
 *   as published in github.com/openai/openai-openapi `openapi.yaml` (`POST /chat/completions`,
 *   server `https://api.openai.com/v1`, `Authorization: Bearer`); headers `OpenAI-Organization` and
 *   `OpenAI-Project` as the official `openai` npm client (v6, `client.ts` defaultHeaders) sends them.
 *   `max_tokens` is "deprecated in favor of `max_completion_tokens`, and is not compatible with
 *   o-series models", so OpenAI gets `max_completion_tokens`.
 * - Any provider's `max_tokens_field` setting overrides the preset's choice of field.
 * - Azure OpenAI — "Azure OpenAI Service REST API reference" (learn.microsoft.com/azure/ai-services/
 *   openai/reference) and its spec `specification/cognitiveservices/data-plane/AzureOpenAI/inference/
 *   stable/2024-10-21/inference.json` (Azure/azure-rest-api-specs): server `https://{endpoint}/openai`,
 *   `POST /deployments/{deployment-id}/chat/completions` and `/embeddings`, required query
 *   `api-version`, API key in header `api-key`; the body does not need `model` (the deployment is
 *   in the URL). The v1 API (`{endpoint}/openai/v1/…`, model = deployment name in the body) is used
 *   when `api_version` is `v1` or `preview` ("Azure OpenAI v1 API", learn.microsoft.com/rest/api/
 *   microsoft-foundry/azureopenai). Caveat: that GA 2024-10-21 spec lists only `max_tokens`, and
 *   older preview versions answer `Unrecognized request argument supplied: max_completion_tokens`
 *   (openai/openai-python#1724); reasoning deployments, on the other hand, reject `max_tokens`. We
 *   send `max_completion_tokens` as for OpenAI; a deployment that needs the other is a one-field
 *   change here.
 * - GitHub Models — "REST API endpoints for models inference" (docs.github.com/rest/models/inference)
 *   and "Quickstart for GitHub Models" (docs.github.com/github-models/quickstart):
 *   `POST https://models.github.ai/inference/chat/completions`, `Authorization: Bearer <token>`,
 *   `Accept: application/vnd.github+json` (recommended), `X-GitHub-Api-Version: 2022-11-28`,
 *   `Content-Type: application/json` (required), model ids `{publisher}/{model_name}` such as
 *   `openai/gpt-4.1`; `POST /orgs/{org}/inference/chat/completions` attributes usage to an
 *   organization (used when the provider sets `organization`). The reference documents
 *   `max_tokens`; we send `max_completion_tokens` because GitHub's OpenAI reasoning models reject
 *   `max_tokens` (same caveat as Azure, on whose service it runs).
 * - Hugging Face — "Inference Providers: Chat Completion" (huggingface.co/docs/inference-providers/
 *   tasks/chat-completion): OpenAI-compatible at base `https://router.huggingface.co/v1` with the
 *   HF token as Bearer; its request schema names `max_tokens`. "Text Generation Inference: Messages
 *   API" (huggingface.co/docs/text-generation-inference/messages_api): a TGI server or Inference
 *   Endpoint serves the same `/v1/chat/completions` on its own base URL. Organization billing uses
 *   the `X-HF-Bill-To` header (huggingface_hub `constants.py`).
 * - Generic OpenAI-compatible servers (vLLM, TGI, llama.cpp, LM Studio…), configured as `type: openai`
 *   with a base URL other than api.openai.com, get `max_tokens`: it is
 *   the field every one of them understands, while `max_completion_tokens` is recent and uneven.
 */

import { GatewayError } from '../../core/errors.js';
import { type BaseUrl, parseBaseUrl } from '../shared/base-url.js';
import type { UpstreamTarget } from '../spec.js';

export type OpenAIPresetType = 'openai' | 'azure' | 'github' | 'huggingface';

/** Base URLs used when a provider of that type sets no `base_url`. Azure has none: it is per resource. */
export const DEFAULT_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  github: 'https://models.github.ai/inference',
  huggingface: 'https://router.huggingface.co/v1',
} as const satisfies Record<Exclude<OpenAIPresetType, 'azure'>, string>;

/** The GA Azure OpenAI inference version; the config schema defaults to the same. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';
export const GITHUB_API_VERSION = '2022-11-28';

/** `models` serves liveness probes: any answer below 500 shows the server is up. */
export type OpenAIOperation = 'chat/completions' | 'embeddings' | 'models';

/** Everything about one upstream call that depends on the provider type. */
export interface OpenAIEndpoint {
  origin: string;
  /** Path and query, e.g. `/v1/chat/completions` or `/openai/deployments/d/embeddings?api-version=…`. */
  path: string;
  headers: Record<string, string>;
  /** False for Azure deployment URLs, which name the model themselves. */
  modelInBody: boolean;
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** OpenAI's `metadata` is only sent to OpenAI itself; others reject unknown fields. */
  forwardsMetadata: boolean;
}

type ParsedBase = BaseUrl;

function parseBase(baseUrl: string, target: UpstreamTarget): ParsedBase {
  return parseBaseUrl(baseUrl, target.provider);
}

function baseFor(target: UpstreamTarget): ParsedBase {
  let baseUrl = target.baseUrl;
  if (baseUrl === '') {
    baseUrl = (DEFAULT_BASE_URLS as Record<string, string | undefined>)[target.type] ?? '';
    if (baseUrl === '') {
      throw new GatewayError('INTERNAL', `provider ${target.provider} has no base URL`, {
        retryable: true,
        details: { provider: target.provider },
      });
    }
  }
  return parseBase(baseUrl, target);
}

function withQuery(base: ParsedBase, path: string, query: string): string {
  if (base.search === '') return query === '' ? path : `${path}?${query}`;
  return query === '' ? path + base.search : `${path}${base.search}&${query}`;
}

function commonHeaders(stream: boolean): Record<string, string> {
  return { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
}

/** Static headers from config override the preset's, whatever their case. */
function addStaticHeaders(headers: Record<string, string>, target: UpstreamTarget): Record<string, string> {
  if (target.headers !== undefined) {
    for (const name of Object.keys(target.headers)) {
      const value = target.headers[name];
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
  }
  return headers;
}

function azureEndpoint(target: UpstreamTarget, operation: OpenAIOperation, stream: boolean): OpenAIEndpoint {
  const base = baseFor(target);
  // The resource endpoint is the documented base; the AzureOpenAI SDK's `…/openai` form is accepted too.
  let root = base.path;
  if (root.endsWith('/openai/v1')) root = root.slice(0, -'/openai/v1'.length);
  else if (root.endsWith('/openai')) root = root.slice(0, -'/openai'.length);
  const apiVersion = target.apiVersion ?? DEFAULT_AZURE_API_VERSION;
  const headers = commonHeaders(stream);
  if (target.apiKey !== undefined) headers['api-key'] = target.apiKey;
  addStaticHeaders(headers, target);

  if (apiVersion === 'v1' || apiVersion === 'preview') {
    const query = apiVersion === 'preview' ? 'api-version=preview' : '';
    return {
      origin: base.origin,
      path: withQuery(base, `${root}/openai/v1/${operation}`, query),
      headers,
      modelInBody: true,
      maxTokensField: 'max_completion_tokens',
      forwardsMetadata: false,
    };
  }
  const deployment = encodeURIComponent(target.model);
  return {
    origin: base.origin,
    path: withQuery(
      base,
      `${root}/openai/deployments/${deployment}/${operation}`,
      `api-version=${encodeURIComponent(apiVersion)}`,
    ),
    headers,
    modelInBody: false,
    maxTokensField: 'max_completion_tokens',
    forwardsMetadata: false,
  };
}

function githubEndpoint(target: UpstreamTarget, operation: OpenAIOperation): OpenAIEndpoint {
  const base = baseFor(target);
  let root = base.path;
  if (target.organization !== undefined && root.endsWith('/inference')) {
    root = `${root.slice(0, -'/inference'.length)}/orgs/${encodeURIComponent(target.organization)}/inference`;
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    // GitHub recommends its own media type for every REST call, streams included.
    accept: 'application/vnd.github+json',
    'x-github-api-version': GITHUB_API_VERSION,
  };
  if (target.apiKey !== undefined) headers.authorization = `Bearer ${target.apiKey}`;
  addStaticHeaders(headers, target);
  return {
    origin: base.origin,
    path: withQuery(base, `${root}/${operation}`, ''),
    headers,
    modelInBody: true,
    maxTokensField: 'max_completion_tokens',
    forwardsMetadata: false,
  };
}

function bearerEndpoint(
  target: UpstreamTarget,
  operation: OpenAIOperation,
  stream: boolean,
  extra: (headers: Record<string, string>) => void,
  maxTokensField: OpenAIEndpoint['maxTokensField'],
  forwardsMetadata: boolean,
): OpenAIEndpoint {
  const base = baseFor(target);
  const headers = commonHeaders(stream);
  if (target.apiKey !== undefined && target.apiKey !== '') headers.authorization = `Bearer ${target.apiKey}`;
  extra(headers);
  addStaticHeaders(headers, target);
  return {
    origin: base.origin,
    path: withQuery(base, `${base.path}/${operation}`, ''),
    headers,
    modelInBody: true,
    maxTokensField,
    forwardsMetadata,
  };
}

/** Where each operation's endpoints sit in a target's list of resolved ones (+1: streamed). */
const SLOT: Readonly<Record<OpenAIOperation, number>> = { 'chat/completions': 0, embeddings: 2, models: 4 };

/**
 * Endpoints already resolved, per target. A target is built once per deployment and never
 * changed (a reload builds new ones), so it resolves to the same endpoint on every call: the
 * URL split, path and header object are made once, not per request.
 */
const resolved = new WeakMap<UpstreamTarget, (OpenAIEndpoint | undefined)[]>();

/**
 * Resolves the URL, headers and body conventions of one call to `target`. The endpoint (and its
 * headers) is shared by every call with the same target, operation and streaming: it is frozen.
 */
export function resolveOpenAIEndpoint(
  target: UpstreamTarget,
  operation: OpenAIOperation,
  stream: boolean,
): OpenAIEndpoint {
  let endpoints = resolved.get(target);
  const slot = SLOT[operation] + (stream ? 1 : 0);
  const known = endpoints?.[slot];
  if (known !== undefined) return known;
  const endpoint = presetEndpoint(target, operation, stream);
  if (target.maxTokensField !== undefined) endpoint.maxTokensField = target.maxTokensField;
  Object.freeze(endpoint.headers);
  Object.freeze(endpoint);
  if (endpoints === undefined) {
    endpoints = new Array<OpenAIEndpoint | undefined>(6).fill(undefined);
    resolved.set(target, endpoints);
  }
  endpoints[slot] = endpoint;
  return endpoint;
}

const OPENAI_ORIGIN = 'https://api.openai.com';

function presetEndpoint(target: UpstreamTarget, operation: OpenAIOperation, stream: boolean): OpenAIEndpoint {
  switch (target.type) {
    case 'openai':
      // `type: openai` with another base URL is an OpenAI-compatible server (vLLM, llama.cpp, LM
      // Studio…): it gets the generic conventions, which every such server understands.
      if (baseFor(target).origin !== OPENAI_ORIGIN) {
        return bearerEndpoint(target, operation, stream, () => {}, 'max_tokens', false);
      }
      return bearerEndpoint(
        target,
        operation,
        stream,
        (headers) => {
          if (target.organization !== undefined) headers['openai-organization'] = target.organization;
          if (target.project !== undefined) headers['openai-project'] = target.project;
        },
        'max_completion_tokens',
        true,
      );
    case 'azure':
      return azureEndpoint(target, operation, stream);
    case 'github':
      return githubEndpoint(target, operation);
    case 'huggingface':
      return bearerEndpoint(
        target,
        operation,
        stream,
        (headers) => {
          if (target.organization !== undefined) headers['x-hf-bill-to'] = target.organization;
        },
        'max_tokens',
        false,
      );
    default:
      return bearerEndpoint(target, operation, stream, () => {}, 'max_tokens', false);
  }
}
