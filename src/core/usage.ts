/**
 * @module core/usage
 * Token usage by class. Conventions (those of OpenAI's wire, whatever the provider):
 * `inputTokens` counts every prompt token, including cache reads and cache writes;
 * `cachedInputTokens` and `cacheWriteTokens` are subsets of it. `outputTokens` counts every
 * generated token, including reasoning; `reasoningTokens` is a subset of it. Adapters of
 * providers that report these classes separately (Anthropic) add them up.
 */

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  /** True when counted by the gateway's tokenizer because the provider did not report usage. */
  estimated?: boolean;
}

export const ZERO_USAGE: Readonly<Usage> = Object.freeze({ inputTokens: 0, outputTokens: 0 });
