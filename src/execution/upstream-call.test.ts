/**
 * A non-streamed call's answer as the decoder sees it: the whole body, gathered from however many
 * chunks it came in (a character's bytes split between two of them included), decoded as UTF-8
 * and parsed as JSON; a body that is not JSON is the deployment's INVALID_RESPONSE.
 */

import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import { adapterFor } from '../providers/index.js';
import { createRegistry, type Deployment } from '../registry/registry.js';
import { exchangeJson } from './upstream-call.js';
import { createUpstreamClient } from './upstream-client.js';

const ANSWER = { text: 'é ß ✓ 中文 \u{1F600} "quoted" \\ \n', n: 1.5, list: [null, true] };

const server: Server = createServer((req, res) => {
  req.resume();
  req.on('end', async () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url?.endsWith('/split')) {
      // The bytes in small writes, cutting multi-byte characters in two.
      const bytes = Buffer.from(JSON.stringify(ANSWER), 'utf8');
      for (let at = 0; at < bytes.length; at += 5) {
        res.write(bytes.subarray(at, at + 5));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      res.end();
    } else if (req.url?.endsWith('/broken')) {
      res.end('{"text": "cut');
    } else {
      res.end(JSON.stringify(ANSWER));
    }
  });
});
const client = createUpstreamClient();
let deployment: Deployment;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const { config } = parseConfigObject(
    {
      providers: { up: { type: 'openai', base_url: `http://127.0.0.1:${port}/v1`, api_key: 'sk-test' } },
      models: {
        m: {
          pricing: { input_per_mtok: 1, output_per_mtok: 1 },
          deployments: [{ provider: 'up', model: 'm' }],
        },
      },
    },
    { source: 'upstream-call test' },
  );
  const { registry } = createRegistry(config, {
    adapterFor,
    defaultBaseUrl: () => undefined,
    simulatorUrl: () => undefined,
  });
  deployment = registry.get('m')!.deployments[0]!;
});
afterAll(async () => {
  await client.close();
  await new Promise((resolve) => server.close(resolve));
});

function call(path: string): Promise<unknown> {
  const origin = new URL(deployment.target.baseUrl).origin;
  return exchangeJson(
    client,
    deployment,
    { origin, method: 'POST', path, headers: { 'content-type': 'application/json' }, body: '{}' },
    new AbortController().signal,
    2_000,
    undefined,
    (json) => json,
  );
}

describe('exchangeJson', () => {
  it('hands the decoder the parsed answer, in one chunk or many', async () => {
    await expect(call('/whole')).resolves.toEqual(ANSWER);
    await expect(call('/split')).resolves.toEqual(ANSWER);
  });

  it('fails with INVALID_RESPONSE when the body is not JSON', async () => {
    const error = await call('/broken').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('INVALID_RESPONSE');
  });
});
