/**
 * The front door's per-request object end to end, over real HTTP against the mock upstream: what
 * a route that handles its own failures (the chat route), a handler that throws or rejects, and
 * a request refused before its route answer — status, error body, headers — and the access-log
 * line each request ends in, whether the response is the gateway's own or Node's.
 */

import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import { createGateway } from '../gateway/create-gateway.js';
import type { Gateway } from '../gateway/gateway.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/server.js';
import type { RouteDefinition } from './context.js';
import { GatewayResponse } from './gateway-response.js';
import { ROUTES } from './routes/table.js';
import { createRequestHandler } from './server.js';

const MASTER = 'sk-master-server-test-0123456789';

/** Routes of the real table, plus two whose handlers fail, one synchronously and one not. */
const routes: RouteDefinition[] = [
  ...ROUTES,
  {
    method: 'GET',
    path: '/test/throws',
    access: 'key',
    summary: 'throws',
    handler: () => {
      throw new Error('boom, synchronously');
    },
  },
  {
    method: 'GET',
    path: '/test/rejects',
    access: 'key',
    summary: 'rejects',
    handler: async () => {
      await Promise.resolve();
      throw new GatewayError('SERVICE_UNAVAILABLE', 'no upstream', { retryAfterMs: 2_500 });
    },
  },
];

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

let mock: MockUpstream;
let gateway: Gateway;
const logs: string[] = [];
const servers: { gateway: Server; node: Server } = {} as never;
const ports = { gateway: 0, node: 0 };

beforeAll(async () => {
  mock = await startMockUpstream({});
  const { config } = parseConfigObject({
    auth: { master_key: MASTER },
    storage: { url: 'memory://' },
    logging: { level: 'info' },
    server: { body_limit_mb: 0.001 },
    providers: {
      mock: { type: 'openai', base_url: `${mock.url}/v1`, api_key: 'sk-test-provider-0123456789' },
    },
    models: {
      'gpt-4o-mini': {
        pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 },
        deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }],
      },
    },
  });
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line !== '') logs.push(line);
      callback();
    },
  });
  gateway = await createGateway(config, { logDestination: destination });
  // The gateway's own response class, and Node's, which takes the handler's other path.
  servers.gateway = createServer(
    { ServerResponse: GatewayResponse },
    createRequestHandler(gateway, { routes }),
  );
  servers.node = createServer(createRequestHandler(gateway, { routes }));
  for (const name of ['gateway', 'node'] as const) {
    await new Promise<void>((resolve) => servers[name].listen(0, '127.0.0.1', resolve));
    ports[name] = (servers[name].address() as AddressInfo).port;
  }
});

afterAll(async () => {
  for (const server of Object.values(servers)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await gateway.close();
  await mock.close();
});

function send(
  port: number,
  method: string,
  path: string,
  { body, headers = {} }: { body?: string; headers?: Record<string, string | number> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        port,
        host: '127.0.0.1',
        method,
        path,
        headers: { authorization: `Bearer ${MASTER}`, ...headers },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The access-log line of the request with this id (it is written once the response closed). */
async function accessLine(requestId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    await gateway.logger.flush();
    const line = logs.find((each) => each.includes(`"request_id":"${requestId}"`));
    if (line !== undefined) return (JSON.parse(line) as { details: Record<string, unknown> }).details;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no access-log line for ${requestId}`);
}

const chat = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is 2+2?' }], ...extra });

const json = { 'content-type': 'application/json' };

describe.each(['gateway', 'node'] as const)('the front door, on %s responses', (kind) => {
  const port = () => ports[kind];

  it('answers a chat completion with its id in the header, the body and the access log', async () => {
    const answer = await send(port(), 'POST', '/v1/chat/completions?trace=1', {
      body: chat(),
      headers: json,
    });
    expect(answer.status).toBe(200);
    const id = answer.headers['x-switchyard-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const body = JSON.parse(answer.body) as { id: string; choices: { message: { content: string } }[] };
    expect(body.id).toBe(`chatcmpl-${id}`);
    expect(body.choices[0]?.message.content).toBe('2+2 = 4. The answer is 4.');
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)));
    expect(await accessLine(id)).toEqual({
      request_id: id,
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      duration_ms: expect.any(Number),
      model: 'gpt-4o-mini',
      provider: 'mock',
      cost_usd: answer.headers['x-switchyard-cost-usd'],
      cache: 'skip',
      attempts: 1,
    });
  });

  it('answers a body it cannot use as the server answers any handler failure', async () => {
    const cases: [string, string | undefined, Record<string, string | number>, number, string][] = [
      ['an empty body', '', json, 400, 'the request body is empty; send a JSON object'],
      ['broken JSON', '{"model":', json, 400, 'the request body is not valid JSON'],
      ['a bad field', chat({ temperature: 5 }), json, 400, 'temperature'],
      [
        'a bad routing header',
        chat(),
        { ...json, 'x-switchyard-priority': '11' },
        400,
        'x-switchyard-priority',
      ],
      ['too deep', `${'['.repeat(65)}${']'.repeat(65)}`, json, 400, 'nests deeper than 64 levels'],
      ['an unknown model', chat({ model: 'nope' }), json, 404, 'nope'],
    ];
    for (const [what, body, headers, status, says] of cases) {
      const answer = await send(port(), 'POST', '/v1/chat/completions', { body, headers });
      expect(answer.status, what).toBe(status);
      const error = (JSON.parse(answer.body) as { error: { message: string } }).error;
      expect(error.message, what).toContain(says);
      expect(answer.headers.connection, what).toBe('close'); // the client's agent: false
      const id = answer.headers['x-switchyard-request-id'] as string;
      expect((await accessLine(id)).status, what).toBe(status);
    }
  });

  it('refuses a body over the limit and closes the connection rather than read it', async () => {
    const answer = await send(port(), 'POST', '/v1/chat/completions', {
      body: chat({ pad: 'x'.repeat(2_000) }),
      headers: json,
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    // On a connection the client would keep: the answer closes it, declared length or not.
    for (const framing of ['content-length: 2000', 'transfer-encoding: chunked']) {
      const head =
        `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${MASTER}\r\n` +
        `content-type: application/json\r\n${framing}\r\n\r\n`;
      const chunk = `{"pad":"${'x'.repeat(1_500)}"}`;
      const text = await new Promise<string>((resolve, reject) => {
        const socket = connect(port(), '127.0.0.1', () =>
          socket.write(
            framing.startsWith('transfer') ? `${head}${chunk.length.toString(16)}\r\n${chunk}\r\n` : head,
          ),
        );
        let received = '';
        socket.setEncoding('latin1');
        socket.on('data', (data: string) => {
          received += data;
        });
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
      expect(text, framing).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
      expect(text, framing).toContain('\r\nconnection: close\r\n');
    }
  });

  it('keeps a connection serving after a refused body it read to the end', async () => {
    // Two requests on one connection: the first one's error must not leave its body unread.
    const request = (body: string) =>
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${MASTER}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port(), '127.0.0.1', () => socket.write(request('{"model":') + request(chat())));
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        received += chunk;
        if (received.includes('chat.completion')) {
          socket.destroy();
          resolve(received);
        }
      });
      socket.on('error', reject);
    });
    expect(text.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 400', 'HTTP/1.1 200']);
  });

  it('answers a handler that throws or rejects, and logs only what it cannot name', async () => {
    const thrown = await send(port(), 'GET', '/test/throws');
    expect(thrown.status).toBe(500);
    expect(JSON.parse(thrown.body)).toMatchObject({ error: { code: 'INTERNAL' } });
    const id = thrown.headers['x-switchyard-request-id'] as string;
    await accessLine(id);
    const failed = logs.filter((line) => line.includes('"message":"handler failed"'));
    expect(failed.at(-1)).toContain('"path":"/test/throws"');
    expect(failed.at(-1)).toContain('boom, synchronously');

    const rejected = await send(port(), 'GET', '/test/rejects');
    expect(rejected.status).toBe(503);
    expect(rejected.headers['retry-after']).toBe('3');
    expect(JSON.parse(rejected.body)).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    await accessLine(rejected.headers['x-switchyard-request-id'] as string);
    expect(logs.filter((line) => line.includes('"message":"handler failed"'))).toHaveLength(failed.length);
  });

  it('refuses before any route runs: no key, a wrong key, an admin route, a wrong method', async () => {
    const noKey = await send(port(), 'GET', '/v1/models', { headers: { authorization: '' } });
    expect([noKey.status, JSON.parse(noKey.body).error.code]).toEqual([401, 'UNAUTHORIZED']);
    const wrong = await send(port(), 'GET', '/v1/models', {
      headers: { authorization: 'BEARER sk-wrong-0123' },
    });
    expect([wrong.status, JSON.parse(wrong.body).error.message]).toEqual([401, 'invalid API key']);
    const method = await send(port(), 'DELETE', '/v1/chat/completions');
    expect(method.status).toBe(405);
    expect(method.headers.allow).toBe('POST');
    const health = await send(port(), 'GET', '/v1/health', { headers: { authorization: '' } });
    expect(health.status).toBe(200);
    for (const answer of [noKey, wrong, method, health]) {
      const id = answer.headers['x-switchyard-request-id'] as string;
      expect((await accessLine(id)).status).toBe(answer.status);
    }
  });

  it('logs a request whose client hung up before its body was complete as aborted', async () => {
    const before = logs.length;
    await new Promise<void>((resolve) => {
      const socket = connect(port(), '127.0.0.1', () => {
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${MASTER}\r\n` +
            'content-length: 100\r\n\r\n{"model":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    for (let i = 0; i < 100 && !logs.slice(before).some((l) => l.includes('"aborted":true')); i++) {
      await gateway.logger.flush();
      await new Promise((r) => setTimeout(r, 10));
    }
    const line = logs.slice(before).find((l) => l.includes('"message":"request"'));
    expect(JSON.parse(line ?? '{}').details).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      aborted: true,
    });
  });
});
