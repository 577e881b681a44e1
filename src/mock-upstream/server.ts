/**
 * @module mock-upstream/server
 * A real HTTP server on 127.0.0.1 that plays an LLM provider for Switchyard's tests, benchmarks
 * and keyless mode. It routes a request to the wire protocol that serves its path, records it,
 * picks a fault (header, prompt directive, per-model spec, or the profile's error rate), waits
 * as the profile says, lets the engine write the answer and delivers it. It keeps an invoice of
 * the tokens it actually served, which is the ground truth the gateway's accounting is checked
 * against. Per request it does little more than parse JSON and build the answer, so it keeps up
 * with load tests.
 */

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatorProfile } from '../config/schema.js';
import { anthropicWire } from './anthropic.js';
import { createSleeper, sendBody } from './delivery.js';
import {
  type EndpointContext,
  type InvoiceEntry,
  type ModelState,
  sendWireError,
  serveChat,
  serveEmbeddings,
} from './endpoints.js';
import type { FaultSpec } from './faults.js';
import { geminiWire } from './gemini.js';
import { ollamaWire } from './ollama.js';
import { openAiWire } from './openai.js';
import { createRandom, hashNumber, hashString } from './random.js';
import type { MockWire, WireRoute } from './wire.js';

export type { InvoiceEntry } from './endpoints.js';

/** A model's behaviour: the simulator profile plus mock-only knobs. */
export interface MockModelSettings extends Partial<SimulatorProfile> {
  readonly faults?: readonly FaultSpec[];
  /** Reasoning tokens added to every answer's output tokens. */
  readonly reasoning_tokens?: number;
  /** Prompt tokens reported as cached (at most the prompt). */
  readonly cached_tokens?: number;
  /** Prompt tokens reported as written to the cache (at most the uncached rest); Anthropic wire only. */
  readonly cache_write_tokens?: number;
}

export interface MockUpstreamOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: an ephemeral port. */
  readonly port?: number;
  /** Defaults for every model. */
  readonly profile?: MockModelSettings;
  /** Per-model settings, merged over `profile`. */
  readonly models?: Readonly<Record<string, MockModelSettings>>;
  /** When set, requests must carry this key (`Authorization: Bearer …` or `api-key: …`). */
  readonly requireApiKey?: string;
  /** Varies every generated answer, vector and fault sequence. Default 0. */
  readonly seed?: number;
  /** Keep `requests` and `invoice`; turn off for benchmarks and long-running simulators. Default true. */
  readonly record?: boolean;
  /**
   * Most entries kept in `requests` and in `invoice`; past it the older half is dropped, so a
   * mock left running cannot eat the memory. Default 100 000.
   */
  readonly maxRecords?: number;
}

export interface RecordedRequest {
  readonly method: string;
  /** Path with query string. */
  readonly path: string;
  /** Lower-cased names, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when the body is not JSON ('' when empty). */
  readonly body: unknown;
}

export interface MockUpstream {
  /** `http://127.0.0.1:PORT`, without `/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every request that reached the server, in arrival order. */
  readonly requests: RecordedRequest[];
  /** One entry per valid chat or embeddings request, in completion order. */
  readonly invoice: InvoiceEntry[];
  /** Clears requests and invoice and restarts the fault sequences. */
  reset(): void;
  /** Replaces one model's settings. */
  setModelProfile(model: string, settings: MockModelSettings): void;
  /** Stops listening and drops every open connection, hanging ones included. */
  close(): Promise<void>;
}

const WIRES: readonly MockWire[] = [geminiWire, openAiWire, ollamaWire, anthropicWire];
const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];
const KEEP_ALIVE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RECORDS = 100_000;

/** Starts the mock upstream and resolves once it listens. */
export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const seed = options.seed ?? 0;
  const record = options.record ?? true;
  const models: Record<string, MockModelSettings> = { ...options.models };
  const states = new Map<string, ModelState>();
  const requests: RecordedRequest[] = [];
  const invoice: InvoiceEntry[] = [];
  const sleeper = createSleeper();
  let sequence = 0;

  const modelState = (model: string): ModelState => {
    let state = states.get(model);
    if (state !== undefined) return state;
    const settings = { ...options.profile, ...models[model] };
    state = {
      latencyMs: settings.latency_ms ?? 0,
      ttftMs: settings.ttft_ms ?? 0,
      tokensPerS: settings.tokens_per_s ?? 0,
      outputTokens: settings.output_tokens,
      dimensions: settings.dimensions ?? 256,
      faults: settings.faults ?? [],
      errorRate: settings.error_rate ?? 0,
      reasoningTokens: settings.reasoning_tokens ?? 0,
      cachedTokens: settings.cached_tokens ?? 0,
      cacheWriteTokens: settings.cache_write_tokens ?? 0,
      random: createRandom(hashString(model, hashNumber(seed))),
    };
    states.set(model, state);
    return state;
  };

  const maxRecords = Math.max(options.maxRecords ?? DEFAULT_MAX_RECORDS, 2);
  const keep = <T>(list: T[], entry: T): void => {
    if (list.length >= maxRecords) list.splice(0, maxRecords >> 1);
    list.push(entry);
  };
  const context: EndpointContext = {
    seed,
    sleeper,
    modelState,
    nextRequest: () => ++sequence,
    bill(entry) {
      if (record) keep(invoice, entry);
    },
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, text: string): Promise<void> => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const query = url.indexOf('?');
    const pathname = query === -1 ? url : url.slice(0, query);
    let body: unknown = text;
    let parsed = false;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
        parsed = true;
      } catch {
        // Kept as raw text: recorded as is, and answered 400 below when JSON was expected.
      }
    }
    if (record) keep(requests, { method, path: url, headers: req.headers, body });

    let wire: MockWire = openAiWire;
    let route: WireRoute | undefined;
    for (const candidate of WIRES) {
      route = candidate.match(method, pathname);
      if (route !== undefined) {
        wire = candidate;
        break;
      }
    }
    if (route === undefined) return sendWireError(res, wire, 404, `Invalid URL (${method} ${pathname})`);
    if (options.requireApiKey !== undefined && !wire.hasKey(req.headers, options.requireApiKey)) {
      return sendWireError(res, wire, 401, 'Incorrect API key provided.');
    }
    if (method === 'POST' && !parsed) {
      return sendWireError(res, wire, 400, 'We could not parse the JSON body of your request.');
    }
    const json = { 'content-type': 'application/json' };
    switch (route.endpoint) {
      case 'chat':
        return serveChat(context, req, res, wire, route, body);
      case 'embeddings':
        return serveEmbeddings(context, req, res, wire, route, body);
      case 'models': {
        const ids = Object.keys(models);
        sendBody(res, 200, json, wire.encodeModels(ids.length > 0 ? ids : DEFAULT_MODELS));
        return;
      }
      case 'model':
        sendBody(res, 200, json, wire.encodeModel(route.model ?? ''));
        return;
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
      serve(req, res, text).catch(() => {
        // A bug in the mock must not hang the test that hit it.
        if (!res.headersSent) sendWireError(res, openAiWire, 500, 'The mock upstream failed.');
        else res.destroy();
      });
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    requests,
    invoice,
    reset() {
      requests.length = 0;
      invoice.length = 0;
      states.clear();
    },
    setModelProfile(model, settings) {
      models[model] = settings;
      states.delete(model);
    },
    close() {
      sleeper.cancelAll();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export interface MockUpstreamCliOptions {
  readonly port: number;
  readonly host: string;
  readonly latencyMs?: number;
  readonly ttftMs?: number;
  readonly tokensPerS?: number;
  readonly errorRate?: number;
}

/**
 * Behind the `mock-upstream` command: starts a long-running mock with a profile from flags
 * (recording off) and prints where it listens. The caller owns shutdown.
 */
export async function runMockUpstreamCli(
  options: MockUpstreamCliOptions,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<MockUpstream> {
  const upstream = await startMockUpstream({
    host: options.host,
    port: options.port,
    record: false,
    profile: {
      latency_ms: options.latencyMs ?? 0,
      ttft_ms: options.ttftMs ?? 0,
      tokens_per_s: options.tokensPerS ?? 0,
      error_rate: options.errorRate ?? 0,
    },
  });
  print(
    `mock upstream listening on ${upstream.url} (OpenAI wire: /v1/chat/completions, /v1/embeddings, /v1/models)`,
  );
  return upstream;
}
