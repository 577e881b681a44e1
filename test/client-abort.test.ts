/**
 * The front door's per-request plumbing, end to end over real HTTP: a client that hangs up on a
 * buffered request ends its upstream call at once and is recorded as cancelled (the client's
 * side is watched without an AbortSignal until something needs one); every response, whoever
 * writes its head, carries `x-switchyard-request-id`; the access log reads the head the response
 * was written with.
 */

import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ mock: { record: true } });
});

afterAll(async () => {
  await h.close();
});

const chat = (model = 'gpt-4o-mini') =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'What is 2+2?' }] });

async function waitForRecord(find: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 150; i++) {
    await h.gateway.ledger.flush();
    if (await find()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a client that hangs up on a buffered request', () => {
  it('aborts the upstream call at once and leaves one cancelled ledger record', async () => {
    h.mock.setModelProfile('gpt-4o-mini', { latency_ms: 3_000 });
    const before = h.mock.invoice.length;
    const since = Date.now();
    const controller = new AbortController();
    const sent = fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat(),
      signal: controller.signal,
    });
    // Long enough for the request to reach the upstream, far shorter than the upstream's wait.
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await expect(sent).rejects.toThrow();

    const cancelled = async () =>
      (await h.gateway.ledger.query({ since, limit: 10 })).find((r) => r.status === 'cancelled');
    await waitForRecord(cancelled);
    const record = await cancelled();
    const settledAfterMs = Date.now() - since;
    h.mock.setModelProfile('gpt-4o-mini', {});
    expect(record).toMatchObject({ status: 'cancelled', model: 'gpt-4o-mini', stream: false });
    // Settled right after the hang-up, not when the upstream would have answered.
    expect(settledAfterMs).toBeLessThan(2_500);
    // The mock saw its connection go before it answered: it served nothing more.
    expect(h.mock.invoice.length).toBe(before);
    const records = await h.gateway.ledger.query({ since, limit: 10 });
    expect(records.filter((r) => r.requestId === record?.requestId)).toHaveLength(1);
  });

  it('leaves a request that finished untouched: ok, billed, and the connection reusable', async () => {
    const response = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat(),
    });
    expect(response.status).toBe(200);
    const id = response.headers.get('x-switchyard-request-id');
    await response.json();
    await waitForRecord(() => h.gateway.ledger.get(id ?? ''));
    expect(await h.gateway.ledger.get(id ?? '')).toMatchObject({ status: 'ok' });
  });
});

/** A raw HTTP exchange, so that the head's exact header lines can be read. */
function raw(method: string, path: string, body?: string): Promise<{ status: number; headers: string[] }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, h.url);
    const req = httpRequest(
      {
        method,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.rawHeaders }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const idsIn = (rawHeaders: string[]) =>
  rawHeaders.filter((_, i) => i % 2 === 0 && rawHeaders[i]?.toLowerCase() === 'x-switchyard-request-id');

describe('x-switchyard-request-id', () => {
  it('is on every response exactly once: a route, an error, an unknown path, a wrong method', async () => {
    const answers = await Promise.all([
      raw('POST', '/v1/chat/completions', chat()),
      raw('GET', '/v1/models'),
      raw('POST', '/v1/chat/completions', '{"model":'),
      raw('POST', '/v1/chat/completions', chat('no-such-model')),
      raw('GET', '/no/such/path'),
      raw('DELETE', '/v1/chat/completions'),
      raw('GET', '/health'),
    ]);
    const statuses = answers.map((a) => a.status);
    expect(statuses).toEqual([200, 200, 400, 404, 404, 405, 200]);
    const ids = answers.map((a) => {
      const found = idsIn(a.headers);
      expect(found).toHaveLength(1);
      const at = a.headers.findIndex((name) => name.toLowerCase() === 'x-switchyard-request-id');
      return a.headers[at + 1];
    });
    // Each response its own id.
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is the id of the access-log line, which names the model, provider, cost and attempts', async () => {
    const response = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat(),
    });
    const id = response.headers.get('x-switchyard-request-id') ?? '';
    const cost = response.headers.get('x-switchyard-cost-usd');
    await response.json();
    await h.gateway.logger.flush();
    let line: { details?: Record<string, unknown> } | undefined;
    for (let i = 0; i < 100 && line === undefined; i++) {
      line = h.logs
        .map((text) => JSON.parse(text) as { message?: string; details?: Record<string, unknown> })
        .find((entry) => entry.message === 'request' && entry.details?.request_id === id);
      if (line === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    expect(line?.details).toMatchObject({
      request_id: id,
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      model: 'gpt-4o-mini',
      provider: 'mock',
      cost_usd: cost,
      attempts: 1,
    });
  });
});
