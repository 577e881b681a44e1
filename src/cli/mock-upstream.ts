/**
 * @module cli/mock-upstream
 * `switchyard mock-upstream --port N`: the deterministic OpenAI-wire mock server that tests,
 * benchmarks and the simulator use, as a standalone process.
 */

import { runMockUpstreamCli } from '../mock-upstream/server.js';
import { fail } from './load.js';

export interface MockUpstreamOptions {
  port: string;
  host: string;
  latencyMs?: string;
  ttftMs?: string;
  tokensPerS?: string;
  errorRate?: string;
}

function parse(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max)
    fail(`${flag} expects a number from 0 to ${max}, got "${value}"`);
  return n;
}

export async function mockUpstreamCommand(options: MockUpstreamOptions): Promise<void> {
  const port = parse(options.port, '--port', 65_535) ?? 0;
  const latencyMs = parse(options.latencyMs, '--latency-ms', 600_000);
  const ttftMs = parse(options.ttftMs, '--ttft-ms', 600_000);
  const tokensPerS = parse(options.tokensPerS, '--tokens-per-s', 1_000_000);
  const errorRate = parse(options.errorRate, '--error-rate', 1);
  await runMockUpstreamCli({
    port,
    host: options.host,
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(ttftMs === undefined ? {} : { ttftMs }),
    ...(tokensPerS === undefined ? {} : { tokensPerS }),
    ...(errorRate === undefined ? {} : { errorRate }),
  });
}
