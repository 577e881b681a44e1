/**
 * Back-pressure through a streamed answer: a client that stops reading stops the gateway
 * reading its upstream (the upstream's writes stall far short of the answer), and once it
 * reads again it gets the whole answer, ending with `[DONE]`, with one ledger record. The
 * upstream is a plain node:http server that writes as fast as its socket takes the bytes and
 * counts what it managed to write.
 */

import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness.js';

/** 4 KiB of content per chunk, 16,384 chunks: a 64 MiB answer. */
const CONTENT = 'z'.repeat(4096);
const CHUNKS = 16_384;
const ANSWER_BYTES = CONTENT.length * CHUNKS;
const Z = 'z'.charCodeAt(0);

let upstream: Server;
let written = 0;
let h: Harness;

function chunk(delta: string): string {
  return `data: {"id":"chatcmpl-bp","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":${delta},"finish_reason":null}]}\n\n`;
}

/** Writes the answer as fast as the socket drains, counting the bytes it got out. */
function serveFast(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk('{"role":"assistant","content":""}'));
  let sent = 0;
  const next = (): void => {
    while (sent < CHUNKS) {
      const text = chunk(`{"content":"${CONTENT}"}`);
      sent++;
      written += CONTENT.length;
      if (!res.write(text)) {
        res.once('drain', next);
        return;
      }
    }
    res.write(
      'data: {"id":"chatcmpl-bp","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
    );
    res.end(
      `data: {"id":"chatcmpl-bp","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":${CHUNKS},"total_tokens":${CHUNKS + 5}}}\n\ndata: [DONE]\n\n`,
    );
  };
  next();
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.once('end', () => serveFast(res));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;
  h = await startHarness({
    config: () => ({
      providers: {
        fast: {
          type: 'openai',
          base_url: `http://127.0.0.1:${port}/v1`,
          api_key: 'sk-test-provider-key-0123456789',
        },
      },
      models: {
        'gpt-4o-mini': {
          pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 },
          deployments: [{ provider: 'fast', model: 'gpt-4o-mini' }],
        },
      },
    }),
  });
});

afterAll(async () => {
  await h.close();
  await new Promise((resolve) => upstream.close(resolve));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a streamed answer under back-pressure', () => {
  it('stalls the upstream while the client does not read, and delivers all of it once it does', async () => {
    const url = new URL(`${h.url}/v1/chat/completions`);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        resolve,
      );
      req.once('error', reject);
      req.end(
        JSON.stringify({
          model: 'gpt-4o-mini',
          stream: true,
          messages: [{ role: 'user', content: 'a very long answer, please' }],
        }),
      );
    });
    expect(response.statusCode).toBe(200);
    const id = String(response.headers['x-switchyard-request-id']);
    // The client reads nothing for a second: buffers fill and the upstream's writes stall.
    response.pause();
    await sleep(1_000);
    const stalledAt = written;
    await sleep(300);
    expect(written).toBe(stalledAt);
    expect(stalledAt).toBeLessThan(ANSWER_BYTES / 4);

    // Reading again releases the stream: every byte of content arrives, then [DONE].
    let content = 0;
    let tail = '';
    await new Promise<void>((resolve, reject) => {
      response.setEncoding('utf8');
      response.on('data', (piece: string) => {
        // 'z' appears nowhere else in the stream (ids are hex; no field name or model has one).
        for (let i = 0; i < piece.length; i++) if (piece.charCodeAt(i) === Z) content++;
        tail = (tail + piece).slice(-64);
      });
      response.once('end', resolve);
      response.once('error', reject);
      response.resume();
    });
    expect(written).toBe(ANSWER_BYTES);
    expect(content).toBe(ANSWER_BYTES);
    expect(tail).toContain('data: [DONE]');

    await h.gateway.ledger.flush();
    const record = await h.gateway.ledger.get(id);
    expect(record).toMatchObject({ status: 'ok', stream: true, outputTokens: CHUNKS });
  });
});
