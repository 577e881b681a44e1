/**
 * @module providers
 * The registration of wire protocols: one line per protocol. Azure OpenAI, GitHub Models, Hugging
 * Face and any OpenAI-compatible server (vLLM, llama.cpp, LM Studio) are presets of the OpenAI
 * protocol; the simulator is the built-in mock upstream spoken to over the OpenAI protocol.
 */

import type { ProviderConfig } from '../config/schema.js';
import { createOpenAIAdapter } from './openai/openai-adapter.js';
import { DEFAULT_BASE_URLS } from './openai/openai-presets.js';
import type { ProviderAdapter } from './spec.js';

const openai = createOpenAIAdapter();

const ADAPTERS: Partial<Record<ProviderConfig['type'], ProviderAdapter>> = {
  openai,
  azure: openai,
  github: openai,
  huggingface: openai,
  simulator: openai,
};

export function adapterFor(type: ProviderConfig['type']): ProviderAdapter | undefined {
  return ADAPTERS[type];
}

export function defaultBaseUrl(type: ProviderConfig['type']): string | undefined {
  return (DEFAULT_BASE_URLS as Partial<Record<string, string>>)[type];
}

export const SUPPORTED_PROVIDER_TYPES: ReadonlySet<string> = new Set(Object.keys(ADAPTERS));
