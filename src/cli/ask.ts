/**
 * @module cli/ask
 * `switchyard ask --prompt …`: one request, in-process (the same pipeline the server runs, with
 * the configured ledger) or against a running gateway with `--url`. Prints the answer and the
 * model, tokens, cost and latency; `--output FILE` writes the orchestration result JSON.
 */

import { writeFileSync } from 'node:fs';
import { request } from 'undici';
import { clientApiKey, environmentSecrets } from '../config/source.js';
import { isGatewayError } from '../core/errors.js';
import { createGateway } from '../gateway/create-gateway.js';
import { type OrchestrationResult, orchestrate } from '../gateway/orchestrate.js';
import { fail, loadOrExit } from './load.js';

export interface AskOptions {
  prompt: string;
  model?: string;
  strategy?: string;
  maxCost?: string;
  chain?: string;
  ensembleSize?: string;
  output?: string;
  url?: string;
  apiKey?: string;
  json?: boolean;
  config?: string;
  maxTokens?: string;
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) fail(`${flag} expects a non-negative number, got "${value}"`);
  return parsed;
}

/** The request's routing options as the `switchyard` body field spells them. */
function routingBody(input: Parameters<typeof orchestrate>[1]): Record<string, unknown> {
  return {
    ...(input.strategy === undefined ? {} : { strategy: input.strategy }),
    ...(input.chain === undefined ? {} : { chain: input.chain }),
    ...(input.maxCost === undefined ? {} : { max_cost: input.maxCost }),
    ...(input.ensembleSize === undefined ? {} : { ensemble_size: input.ensembleSize }),
  };
}

async function askRemote(
  options: AskOptions,
  input: Parameters<typeof orchestrate>[1],
): Promise<OrchestrationResult> {
  const base = options.url!.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = options.apiKey ?? clientApiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  // Every routing option goes in the body's `switchyard` field (the only place ensemble_size has);
  // strategy, chain and max cost also as headers, which gateways read on every endpoint.
  const routing = routingBody(input);
  if (input.strategy) headers['x-switchyard-strategy'] = input.strategy;
  if (input.chain) headers['x-switchyard-chain'] = input.chain.join(',');
  if (input.maxCost !== undefined) headers['x-switchyard-max-cost'] = String(input.maxCost);
  const response = await request(`${base}/v1/completions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      model: input.model ?? 'auto',
      prompt: input.prompt,
      ...(input.maxTokens === undefined ? {} : { max_tokens: input.maxTokens }),
      ...(Object.keys(routing).length === 0 ? {} : { switchyard: routing }),
    }),
  });
  const body = (await response.body.json()) as Record<string, unknown>;
  if (response.statusCode >= 400) {
    const error = (body.error ?? {}) as { code?: string; message?: string };
    fail(`${error.code ?? response.statusCode}: ${error.message ?? 'request failed'}`);
  }
  const tokens = body.tokens_used as { input: number; output: number; estimated?: boolean };
  const metadata = (body.metadata ?? {}) as Record<string, unknown>;
  return {
    request_id: String(body.request_id),
    response: String(body.response),
    model_used: String(body.model_used),
    provider: String(metadata.provider ?? ''),
    cost: Number(body.cost),
    latency: Number(body.latency_ms) / 1000,
    confidence: (body.confidence as number | null) ?? null,
    input_tokens: tokens.input,
    output_tokens: tokens.output,
    tokens_estimated: tokens.estimated === true,
    strategy: String(body.strategy),
    fallback_chain: (body.fallback_chain as string[]) ?? [],
    ensemble_models: (body.ensemble_models as string[] | undefined) ?? [],
    metadata,
    timestamp: new Date().toISOString(),
  };
}

export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  return usd >= 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(8).replace(/0+$/, '')}`;
}

export async function askCommand(options: AskOptions): Promise<void> {
  const maxCost = number(options.maxCost, '--max-cost');
  const ensembleSize = number(options.ensembleSize, '--ensemble-size');
  const maxTokens = number(options.maxTokens, '--max-tokens');
  const input = {
    prompt: options.prompt,
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
    ...(maxCost === undefined ? {} : { maxCost }),
    ...(options.chain === undefined ? {} : { chain: options.chain.split(',').map((s) => s.trim()) }),
    ...(ensembleSize === undefined ? {} : { ensembleSize }),
    ...(maxTokens === undefined ? {} : { maxTokens }),
  };
  let result: OrchestrationResult;
  if (options.url) {
    result = await askRemote(options, input);
  } else {
    const source = loadOrExit(options.config);
    const gateway = await createGateway(source.config, {
      secrets: environmentSecrets(),
      // Keep the terminal for the answer: in-process logs go to stderr, warnings only.
      logDestination: process.stderr,
      // A one-shot run must not start a worker that claims queued jobs.
      jobs: false,
    });
    try {
      result = await orchestrate(gateway, input);
    } catch (error) {
      await gateway.close();
      if (isGatewayError(error)) fail(`${error.code}: ${error.message}`, hintFor(error.code));
      throw error;
    }
    await gateway.close();
  }
  if (options.output) writeFileSync(options.output, `${JSON.stringify(result, null, 2)}\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const tokens = `${result.input_tokens} in / ${result.output_tokens} out${result.tokens_estimated ? ' (estimated)' : ''}`;
  process.stdout.write(
    `${result.response}\n\n` +
      `model: ${result.model_used} (${result.provider})  tokens: ${tokens}  cost: ${formatCost(result.cost)}  ` +
      `latency: ${Math.round(result.latency * 1000)} ms  strategy: ${result.strategy}\n` +
      (options.output ? `wrote ${options.output}\n` : ''),
  );
}

function hintFor(code: string): string | undefined {
  switch (code) {
    case 'NOT_FOUND':
      return 'Run `switchyard models` to see the model and route names this configuration serves.';
    case 'MODEL_UNAVAILABLE':
      return 'Check the provider configuration and API keys (`switchyard config validate`).';
    case 'BUDGET_EXCEEDED':
      return 'Raise --max-cost or pick a cheaper model.';
    default:
      return undefined;
  }
}
