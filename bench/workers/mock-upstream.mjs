#!/usr/bin/env node
/**
 * @module bench/workers/mock-upstream
 * The mock upstream as a benchmark server process: Switchyard's own OpenAI-wire mock (from the
 * built dist/), recording off, with a fixed profile. Prints its URL once it listens.
 *
 *   node bench/workers/mock-upstream.mjs [--latency-ms N] [--ttft-ms N] [--tokens-per-s N] [--output-tokens N]
 */

import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'latency-ms': { type: 'string', default: '0' },
    'ttft-ms': { type: 'string', default: '0' },
    'tokens-per-s': { type: 'string', default: '0' },
    'output-tokens': { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});

const { startMockUpstream } = await import(
  new URL('../../dist/mock-upstream/server.js', import.meta.url).href
);
const profile = {
  latency_ms: Number(values['latency-ms']),
  ttft_ms: Number(values['ttft-ms']),
  tokens_per_s: Number(values['tokens-per-s']),
  ...(values['output-tokens'] === undefined ? {} : { output_tokens: Number(values['output-tokens']) }),
};
const upstream = await startMockUpstream({ port: Number(values.port), record: false, profile });
process.stdout.write(`mock upstream listening on ${upstream.url} ${JSON.stringify(profile)}\n`);

const stop = () => {
  upstream.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
