/**
 * Test harness: a mock upstream and a gateway in front of it, both on real loopback HTTP.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseConfigObject } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createGateway } from '../../src/gateway/create-gateway.js';
import type { Gateway } from '../../src/gateway/gateway.js';
import { type RunningServer, startHttpServer } from '../../src/http/server.js';
import { type MockUpstream, startMockUpstream } from '../../src/mock-upstream/server.js';

export interface Harness {
  mock: MockUpstream;
  gateway: Gateway;
  server: RunningServer;
  url: string;
  /** Everything the gateway logged, one JSON line each. */
  logs: string[];
  dir: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Builds the config given the mock upstream's URL. */
  config?: (mockUrl: string) => ConfigInput;
  mock?: Parameters<typeof startMockUpstream>[0];
  /** Ledger backend: a temp SQLite file (default) or memory. */
  storage?: 'sqlite' | 'memory';
}

/** Three OpenAI-protocol models on the mock, priced like the providers' sheets. */
export function defaultTestConfig(mockUrl: string): ConfigInput {
  return {
    providers: {
      mock: { type: 'openai', base_url: `${mockUrl}/v1`, api_key: 'sk-test-provider-key-0123456789' },
    },
    models: {
      'gpt-4o-mini': {
        tier: 'basic',
        capabilities: ['chat', 'code'],
        pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075 },
        quality: 0.8,
        deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }],
      },
      'gpt-4o': {
        tier: 'advanced',
        pricing: { input_per_mtok: 2.5, output_per_mtok: 10 },
        quality: 0.9,
        deployments: [{ provider: 'mock', model: 'gpt-4o' }],
      },
      'text-embedding-3-small': {
        capabilities: ['embeddings'],
        pricing: { input_per_mtok: 0.02, output_per_mtok: 0 },
        deployments: [{ provider: 'mock', model: 'text-embedding-3-small' }],
      },
    },
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const mock = await startMockUpstream(options.mock ?? {});
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  const input = (options.config ?? defaultTestConfig)(mock.url);
  const storageUrl = options.storage === 'memory' ? 'memory://' : `sqlite://${join(dir, 'ledger.db')}`;
  const { config } = parseConfigObject({
    ...input,
    storage: { url: storageUrl, ...input.storage },
    logging: { level: 'info', ...input.logging },
    ledger: { flush_ms: 5, ...input.ledger },
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line !== '') logs.push(line);
      callback();
    },
  });
  const gateway = await createGateway(config, { logDestination: destination });
  const server = await startHttpServer(gateway, { host: '127.0.0.1', port: 0 });
  return {
    mock,
    gateway,
    server,
    url: server.url,
    logs,
    dir,
    async close() {
      await server.close();
      await gateway.close();
      await mock.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
