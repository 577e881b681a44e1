/**
 * Exactly one ledger record per request — success, stream, upstream failure, routing failure,
 * client abort — with tokens equal to what the mock upstream says it served and cost equal to
 * an independent recomputation from the price table.
 */

import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness.js';

let h: Harness;
let client: OpenAI;
const ids: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
afterAll(() => h.close());

/** $/Mtok × tokens, in nano-dollars: written out independently of the gateway's code. */
function expectedNanos(input: number, output: number, cached = 0): number {
  return Math.round((input - cached) * 0.15 * 1000 + cached * 0.075 * 1000 + output * 0.6 * 1000);
}

describe('ledger', () => {
  it('records a non-streamed request with the upstream tokens and the price-table cost', async () => {
    for (let i = 0; i < 5; i++) {
      const { data, response } = await client.chat.completions
        .create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: `Question number ${i}: what is ${i}+${i}?` }],
        })
        .withResponse();
      const id = response.headers.get('x-switchyard-request-id')!;
      ids.push(id);
      await h.gateway.ledger.flush();
      const record = await h.gateway.ledger.get(id);
      const invoice = h.mock.invoice.at(-1)!;
      expect(record).toMatchObject({
        status: 'ok',
        model: 'gpt-4o-mini',
        provider: 'mock',
        strategy: 'direct',
        stream: false,
        inputTokens: invoice.inputTokens,
        outputTokens: invoice.outputTokens,
        usageEstimated: false,
        httpStatus: 200,
      });
      expect(data.usage?.prompt_tokens).toBe(invoice.inputTokens);
      expect(record!.costNanos).toBe(expectedNanos(invoice.inputTokens, invoice.outputTokens));
      expect(Number(response.headers.get('x-switchyard-cost-usd'))).toBeCloseTo(record!.costNanos / 1e9, 12);
      expect(record!.attempts).toHaveLength(1);
      expect(record!.attempts[0]).toMatchObject({
        status: 'ok',
        model: 'gpt-4o-mini',
        costNanos: record!.costNanos,
      });
    }
  });

  it('records a stream once, with its final usage', async () => {
    const response = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'stream please' }],
      }),
    });
    const text = await response.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const id = response.headers.get('x-switchyard-request-id')!;
    ids.push(id);
    await h.gateway.ledger.flush();
    const record = await h.gateway.ledger.get(id);
    const invoice = h.mock.invoice.at(-1)!;
    expect(record).toMatchObject({
      status: 'ok',
      stream: true,
      inputTokens: invoice.inputTokens,
      outputTokens: invoice.outputTokens,
    });
    expect(record!.costNanos).toBe(expectedNanos(invoice.inputTokens, invoice.outputTokens));
    expect(record!.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it('records upstream failures and routing failures, each once', async () => {
    const failed = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'fail [[mock:fault=http_500]]' }],
      }),
    });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const unknown = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(unknown.status).toBe(404);
    await h.gateway.ledger.flush();
    const failedRecord = await h.gateway.ledger.get(failed.headers.get('x-switchyard-request-id')!);
    // One deployment: retried on it (max_retries 2), then the request fails with every attempt listed.
    expect(failedRecord).toMatchObject({
      status: 'error',
      errorCode: 'ROUTE_EXHAUSTED',
      costNanos: 0,
      model: 'gpt-4o-mini',
    });
    expect(failedRecord!.attempts).toHaveLength(3);
    for (const attempt of failedRecord!.attempts) {
      expect(attempt).toMatchObject({
        status: 'error',
        errorCode: 'MODEL_ERROR',
        httpStatus: 502,
        costNanos: 0,
      });
    }
    const unknownRecord = await h.gateway.ledger.get(unknown.headers.get('x-switchyard-request-id') ?? '');
    expect(unknownRecord).toMatchObject({ status: 'error', errorCode: 'NOT_FOUND', strategy: 'none' });
    ids.push(failed.headers.get('x-switchyard-request-id')!, unknown.headers.get('x-switchyard-request-id')!);
  });

  it('records a client that hangs up mid-stream as cancelled, billed for what was generated', async () => {
    h.mock.setModelProfile('gpt-4o-mini', { tokens_per_s: 50, output_tokens: 200 });
    const controller = new AbortController();
    const response = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'a long story' }],
      }),
      signal: controller.signal,
    });
    const id = response.headers.get('x-switchyard-request-id')!;
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    controller.abort();
    h.mock.setModelProfile('gpt-4o-mini', {});
    // The gateway notices the hang-up, aborts upstream and settles.
    let record: Awaited<ReturnType<typeof h.gateway.ledger.get>>;
    for (let i = 0; i < 100; i++) {
      await h.gateway.ledger.flush();
      record = await h.gateway.ledger.get(id);
      if (record) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(record!).toMatchObject({ status: 'cancelled', stream: true });
    // The upstream call was aborted too: the mock never finished serving it.
    const served = h.mock.invoice.at(-1)!;
    expect(served.completed).toBe(false);
    expect(served.outputTokens).toBeLessThan(200);
    expect(record!.outputTokens).toBeGreaterThan(0);
    expect(record!.outputTokens).toBeLessThan(200);
    expect(record!.costNanos).toBeGreaterThan(0);
    ids.push(id);
  });

  it('has exactly one row per request in the SQLite file', async () => {
    await h.gateway.ledger.flush();
    const db = new Database(join(h.dir, 'ledger.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT request_id FROM ledger').all() as { request_id: string }[];
      const counts = new Map<string, number>();
      for (const row of rows) counts.set(row.request_id, (counts.get(row.request_id) ?? 0) + 1);
      for (const id of ids) expect(counts.get(id), id).toBe(1);
      expect(rows.length).toBe(ids.length);
    } finally {
      db.close();
    }
  });
});
