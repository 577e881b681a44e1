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

export function totalTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens;
}

/** Adds two usages class by class; the sum is estimated if either part is. */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
  };
  const cached = (a.cachedInputTokens ?? 0) + (b.cachedInputTokens ?? 0);
  const cacheWrite = (a.cacheWriteTokens ?? 0) + (b.cacheWriteTokens ?? 0);
  const reasoning = (a.reasoningTokens ?? 0) + (b.reasoningTokens ?? 0);
  if (cached > 0) sum.cachedInputTokens = cached;
  if (cacheWrite > 0) sum.cacheWriteTokens = cacheWrite;
  if (reasoning > 0) sum.reasoningTokens = reasoning;
  if (a.estimated || b.estimated) sum.estimated = true;
  return sum;
}
