/**
 * Acceptance tests for "multi-tenant and secure": canary secrets never leak through logs, ledger
 * rows, error bodies, metrics or headers; no request field or header steers the gateway to
 * another host (SSRF); every route declares an access class and the gateway enforces it.
 */

import { createServer as createHttpServer, request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../src/http/routes/table.js';
import { defaultTestConfig, type Harness, startHarness } from './helpers/harness.js';

const PROVIDER_KEY = 'pk-Zq7XkP3vW9mR2tL8nB4cYh6J';
const MASTER_KEY = 'mk-Jf83Hs92Kd71Lq05WzEu4Tg';

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
    // The display prefix (`sk-sy-` and four characters) is meant to be shown; the rest is secret.
    const secrets = [PROVIDER_KEY, MASTER_KEY, virtualKey.slice(10)];
    const replies: Reply[] = [];
    for (const key of [MASTER_KEY, virtualKey]) {
      const auth = bearer(key);
      const ok = await send(h.url, 'POST', '/v1/chat/completions', { headers: auth, body: chat('hello') });
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
