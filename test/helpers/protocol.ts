/**
 * Test helpers for the protocol end-to-end tests (`test/protocol-*.test.ts`): the official
 * `openai` client pointed at a harness's gateway, what the mock upstream received last, the
 * ledger record of a response, and the gateway error a failed call surfaced. Each protocol's
 * test keeps only its config, its wire and its assertions.
 */

import OpenAI from 'openai';
import { expect } from 'vitest';
import type { RecordedRequest } from '../../src/mock-upstream/server.js';
import type { LedgerRecord } from '../../src/storage/ports.js';
import type { Harness } from './harness.js';

type APIError = InstanceType<typeof OpenAI.APIError>;

/** A request as the mock upstream recorded it, its JSON body open to indexing. */
export type UpstreamRequest = RecordedRequest & { body: Record<string, unknown> };

/** One failed attempt, as the gateway reports it. */
export interface AttemptCode {
  code: string;
  status: number;
}

/** An `openai` client against the gateway; it never retries, so every call is one request. */
export function createGatewayClient(h: Harness, apiKey = 'client-key'): OpenAI {
  return new OpenAI({ baseURL: `${h.url}/v1`, apiKey, maxRetries: 0 });
}

/** The last request the mock upstream received. */
export function lastUpstream(h: Harness): UpstreamRequest {
  const request = h.mock.requests.at(-1);
  if (request === undefined) throw new Error('the mock upstream received nothing');
  return { ...request, body: request.body as Record<string, unknown> };
}

/** The ledger record of the request that got `response`, once the ledger has flushed. */
export async function ledgerRecord(h: Harness, response: Response): Promise<LedgerRecord> {
  const id = response.headers.get('x-switchyard-request-id')!;
  await h.gateway.ledger.flush();
  const record = await h.gateway.ledger.get(id);
  if (record === undefined || record === null) throw new Error(`no ledger record for ${id}`);
  return record;
}

/** The API error a call failed with; fails the test when the call succeeded or threw anything else. */
export async function failureOf(promise: Promise<unknown>): Promise<APIError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return error as APIError;
}

/** The codes of every failed attempt, whether the gateway answered one error or ROUTE_EXHAUSTED. */
export function attemptCodes(error: APIError): AttemptCode[] {
  const body = error.error as { code: string; details?: { attempts?: AttemptCode[] } };
  if (body.code === 'ROUTE_EXHAUSTED') return body.details?.attempts ?? [];
  return [{ code: body.code, status: error.status ?? 0 }];
}

/** Streams one user message to `model`, with nothing else in the request. */
export function streamUserMessage(
  client: OpenAI,
  model: string,
  content: string,
): Promise<AsyncIterable<OpenAI.ChatCompletionChunk>> {
  return client.chat.completions.create({ model, messages: [{ role: 'user', content }], stream: true });
}
