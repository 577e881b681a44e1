/**
 * @module providers
 * The registration of wire protocols: one line per protocol. Azure OpenAI, GitHub Models, Hugging
 * Face and any OpenAI-compatible server (vLLM, llama.cpp, LM Studio) are presets of the OpenAI
 * protocol; the simulator is the built-in mock upstream spoken to over the OpenAI protocol.
 */

import type { ProviderConfig } from '../config/schema.js';
import { createAnthropicAdapter } from './anthropic/anthropic-adapter.js';
import { DEFAULT_ANTHROPIC_BASE_URL } from './anthropic/anthropic-endpoint.js';
import { createGeminiAdapter } from './gemini/gemini-adapter.js';
import { GEMINI_DEFAULT_BASE_URL } from './gemini/gemini-endpoint.js';
import { createOllamaAdapter } from './ollama/ollama-adapter.js';
import { DEFAULT_OLLAMA_BASE_URL } from './ollama/ollama-endpoint.js';
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
  anthropic: createAnthropicAdapter(),
  gemini: createGeminiAdapter(),
  ollama: createOllamaAdapter(),
};

export function adapterFor(type: ProviderConfig['type']): ProviderAdapter | undefined {
  return ADAPTERS[type];
}

/** The root URL of each type's public service, when config gives no `base_url`. */
const BASE_URLS: Partial<Record<ProviderConfig['type'], string>> = {
  ...DEFAULT_BASE_URLS,
  anthropic: DEFAULT_ANTHROPIC_BASE_URL,
  gemini: GEMINI_DEFAULT_BASE_URL,
  ollama: DEFAULT_OLLAMA_BASE_URL,
};

export function defaultBaseUrl(type: ProviderConfig['type']): string | undefined {
  return BASE_URLS[type];
}

export const SUPPORTED_PROVIDER_TYPES: ReadonlySet<string> = new Set(Object.keys(ADAPTERS));
