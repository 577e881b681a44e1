/**
 * Config hot reload over real HTTP: `POST /admin/config/reload` (and SIGHUP in `switchyard serve`)
 * switches prices, routes and keys at the next request while a request in flight finishes on its
 * own configuration; a bad file is refused line by line and the running configuration stays.
 * With Redis: two gateways sharing one config file and one Redis behave as one — a reload, a
 * circuit that opens and a key revoked on one replica take effect on the other at once.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/load.js';
import { createGateway } from '../src/gateway/create-gateway.js';
import type { Gateway } from '../src/gateway/gateway.js';
import { startHttpServer } from '../src/http/server.js';
import { type MockUpstream, startMockUpstream } from '../src/mock-upstream/server.js';
import { deleteRedisKeys } from './helpers/redis.js';

const MASTER = 'master-key-for-reload-tests-0123456';
const REDIS_URL = process.env.REDIS_URL;

interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes, read field by field
  body: any;
}

interface Replica {
  url: string;
  gateway: Gateway;
  /** Messages of the log lines written so far, with their details. */
  logs(): { message: string; details?: Record<string, unknown> }[];
  close(): Promise<void>;
}

async function startReplica(file: string): Promise<Replica> {
  const { config } = loadConfigFile(file);
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(line);
      callback();
    },
  });
  const gateway = await createGateway(config, { configFile: file, logDestination: destination });
  const server = await startHttpServer(gateway, { host: '127.0.0.1', port: 0 });
  return {
    url: server.url,
    gateway,
    logs: () => lines.map((line) => JSON.parse(line)),
    async close() {
      await server.close();
      await gateway.close();
    },
  };
}

async function call(
  url: string,
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown } = {},
): Promise<Reply> {
  const key = options.key === undefined ? MASTER : options.key;
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

const chat = (url: string, model: string, key?: string) =>
  call(url, 'POST', '/v1/chat/completions', {
    ...(key === undefined ? {} : { key }),
    body: { model, messages: [{ role: 'user', content: 'What is 2+2?' }] },
  });
const reload = (url: string, key?: string | null) =>
  call(url, 'POST', '/admin/config/reload', key === undefined ? {} : { key });

/** The cost the gateway must charge for a reply's usage at these prices (USD per million tokens). */
function expectPriced(reply: Reply, inputPerMTok: number, outputPerMTok: number): void {
  expect(reply.status).toBe(200);
  const { prompt_tokens, completion_tokens } = reply.body.usage;
  expect(prompt_tokens).toBeGreaterThan(0);
  const expected = (prompt_tokens * inputPerMTok + completion_tokens * outputPerMTok) / 1e6;
  expect(Number(reply.headers.get('x-switchyard-cost-usd'))).toBeCloseTo(expected, 9);
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`not reached in ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Settings {
  input?: number;
  output?: number;
  routes?: Record<string, unknown>;
  masterKey?: string;
  extra?: Record<string, unknown>;
}

function configFor(mockUrl: string, storage: Record<string, unknown>, settings: Settings = {}) {
  return {
    auth: { master_key: settings.masterKey ?? MASTER, key_cache_ms: 30_000 },
    storage,
    jobs: { enabled: false },
    providers: {
      mock: { type: 'openai', base_url: `${mockUrl}/v1`, api_key: 'sk-test-provider-key-0123456789' },
    },
    models: {
      'gpt-4o-mini': {
        pricing: { input_per_mtok: settings.input ?? 100, output_per_mtok: settings.output ?? 200 },
        deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }],
      },
      'gpt-4o': {
        pricing: { input_per_mtok: 2.5, output_per_mtok: 10 },
        deployments: [{ provider: 'mock', model: 'gpt-4o' }],
      },
    },
    routes: settings.routes ?? {},
    ...settings.extra,
  };
}

describe('config hot reload', () => {
  let mock: MockUpstream;
  let dir: string;
  let file: string;
  let gw: Replica;
  const write = (settings: Settings = {}) =>
    writeFileSync(file, JSON.stringify(configFor(mock.url, { url: 'memory://' }, settings), null, 2));

  beforeAll(async () => {
    mock = await startMockUpstream();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-reload-'));
    file = join(dir, 'switchyard.yaml');
    write();
    gw = await startReplica(file);
  });
  afterAll(async () => {
    await gw.close();
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('switches prices and routes at the next request, and says what changed', async () => {
    expectPriced(await chat(gw.url, 'gpt-4o-mini'), 100, 200);
    const unknown = await chat(gw.url, 'fast');
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.status).toBeLessThan(500);

    write({ input: 300, output: 700, routes: { fast: { strategy: 'direct', model: 'gpt-4o-mini' } } });
    const reloaded = await reload(gw.url);
    expect(reloaded.status).toBe(200);
    expect(reloaded.body).toMatchObject({ reloaded: true, restart_required: [] });
    expect([...reloaded.body.changed].sort()).toEqual(['models', 'routes']);
    expect(reloaded.body.version).toBeGreaterThanOrEqual(2);
    expect(reloaded.body.digest).toMatch(/^sha256:[0-9a-f]{16}$/);

    expectPriced(await chat(gw.url, 'gpt-4o-mini'), 300, 700);
    const routed = await chat(gw.url, 'fast');
    expectPriced(routed, 300, 700);
    expect(routed.headers.get('x-switchyard-model')).toBe('gpt-4o-mini');

    // Reloading an unchanged file changes nothing and keeps the version.
    const again = await reload(gw.url);
    expect(again.body).toMatchObject({ changed: [], version: reloaded.body.version });
  });

  it('lets a request in flight finish on the configuration it started with', async () => {
    write({ input: 100, output: 200 });
    expect((await reload(gw.url)).status).toBe(200);
    mock.setModelProfile('gpt-4o-mini', { latency_ms: 600 });
    try {
      const before = mock.requests.length;
      const slow = chat(gw.url, 'gpt-4o-mini');
      await eventually(
        async () => mock.requests.length,
        (n) => n > before,
      );
      write({ input: 900, output: 900 });
      const reloaded = await reload(gw.url);
      expect(reloaded.body.changed).toEqual(['models']);
      mock.setModelProfile('gpt-4o-mini', {});
      // Started before the reload: routed, admitted and priced by the old configuration.
      expectPriced(await slow, 100, 200);
      expectPriced(await chat(gw.url, 'gpt-4o-mini'), 900, 900);
    } finally {
      mock.setModelProfile('gpt-4o-mini', {});
    }
  });

  it('refuses a bad file with one line per problem, naming its path, and keeps the running configuration', async () => {
    write({ input: 5, output: 5 });
    const good = await reload(gw.url);
    expect(good.status).toBe(200);
    const bad = configFor(mock.url, { url: 'memory://' }, { routes: { broken: { strategy: 'sideways' } } });
    (bad.models['gpt-4o-mini'].pricing as { input_per_mtok: number }).input_per_mtok = -1;
    (bad.models['gpt-4o'].deployments[0] as { provider: string }).provider = 'nowhere';
    writeFileSync(file, JSON.stringify(bad));

    const refused = await reload(gw.url);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_REQUEST');
    const problems: string[] = refused.body.error.details.problems;
    expect(problems.find((p) => p.startsWith('models.gpt-4o-mini.pricing.input_per_mtok: '))).toBeDefined();
    expect(problems.find((p) => p.startsWith('routes.broken.strategy: '))).toBeDefined();
    // The message carries the same lines, one per problem.
    const lines: string[] = refused.body.error.message.split('\n').slice(1);
    expect(lines.map((line) => line.trim())).toEqual(problems);
    expect(refused.body.error.message).not.toContain('sk-test-provider-key');

    // Still serving, at the prices of the last good file.
    expectPriced(await chat(gw.url, 'gpt-4o-mini'), 5, 5);
    // A file that is not even YAML is refused the same way.
    writeFileSync(file, 'models: [unclosed\n');
    const unparsable = await reload(gw.url);
    expect(unparsable.status).toBe(400);
    expect(unparsable.body.error.details.problems[0]).toMatch(/^line \d+, column \d+: /);
    expectPriced(await chat(gw.url, 'gpt-4o-mini'), 5, 5);
    write({ input: 5, output: 5 });
    expect((await reload(gw.url)).body).toMatchObject({ changed: [], version: good.body.version });
  });

  it('is for admins only: 401 without a key, 403 for a virtual key that is not admin', async () => {
    const minted = await call(gw.url, 'POST', '/admin/keys', { body: { name: 'tenant' } });
    expect(minted.status).toBe(201);
    write({ input: 11, output: 11 });
    const forbidden = await reload(gw.url, minted.body.key);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    expect((await reload(gw.url, null)).status).toBe(401);
    // Neither reloaded anything: the running prices are the last reloaded ones.
    expectPriced(await chat(gw.url, 'gpt-4o-mini'), 5, 5);
    expect((await reload(gw.url)).status).toBe(200);
    expectPriced(await chat(gw.url, 'gpt-4o-mini', minted.body.key), 11, 11);
  });

  it('reports settings that need a restart, and keeps running with them as they are', async () => {
    write({ input: 11, output: 11, extra: { server: { port: 4999 }, ledger: { batch_size: 7 } } });
    const reloaded = await reload(gw.url);
    expect(reloaded.status).toBe(200);
    expect([...reloaded.body.restart_required].sort()).toEqual(['ledger.batch_size', 'server.port']);
    expect(reloaded.body.changed).toEqual([]);
    expect(gw.gateway.config.server.port).toBe(4000);
    expect(gw.gateway.config.ledger.batch_size).toBe(500);
    expectPriced(await chat(gw.url, 'gpt-4o-mini'), 11, 11);
  });

  it('takes a new master key at the next request', async () => {
    const rotated = 'a-new-master-key-after-rotation-987';
    write({ input: 11, output: 11, masterKey: rotated });
    expect((await reload(gw.url)).body.changed).toEqual(['auth']);
    expect((await chat(gw.url, 'gpt-4o-mini')).status).toBe(401);
    expect((await chat(gw.url, 'gpt-4o-mini', rotated)).status).toBe(200);
    write({ input: 11, output: 11 });
    expect((await reload(gw.url, rotated)).status).toBe(200);
    expect((await chat(gw.url, 'gpt-4o-mini')).status).toBe(200);
  });

  it('reloads on SIGHUP in `switchyard serve`', async () => {
    const serveFile = join(dir, 'serve.yaml');
    const writeServe = (input: number) =>
      writeFileSync(
        serveFile,
        JSON.stringify(configFor(mock.url, { url: 'memory://' }, { input, output: input })),
      );
    writeServe(1);
    const main = pathToFileURL(join(import.meta.dirname, '../src/cli/main.ts')).href;
    const script = `const { main } = await import(${JSON.stringify(main)});
await main(['node', 'switchyard', 'serve', '-c', ${JSON.stringify(serveFile)}, '--port', '0']);`;
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: join(import.meta.dirname, '..'),
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    try {
      const url = await eventually(
        async () => /listening on (http:\/\/\S+)/.exec(output)?.[1],
        (found) => found !== undefined || child.exitCode !== null,
        20_000,
      );
      expect(url, output).toBeDefined();
      expectPriced(await chat(url!, 'gpt-4o-mini'), 1, 1);
      writeServe(3);
      child.kill('SIGHUP');
      const repriced = await eventually(
        () => chat(url!, 'gpt-4o-mini'),
        (reply) =>
          reply.headers.get('x-switchyard-cost-usd') !== null &&
          reply.body.usage.prompt_tokens > 0 &&
          Math.abs(
            Number(reply.headers.get('x-switchyard-cost-usd')) -
              (reply.body.usage.prompt_tokens * 3 + reply.body.usage.completion_tokens * 3) / 1e6,
          ) < 1e-12,
      );
      expectPriced(repriced, 3, 3);
      expect(child.exitCode).toBeNull(); // SIGHUP reloads, it does not stop the server
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  }, 40_000);
});

describe.skipIf(!REDIS_URL)('config, circuits and keys across replicas (Redis)', () => {
  let mock: MockUpstream;
  let dir: string;
  let file: string;
  let a: Replica;
  let b: Replica;
  const prefix = `switchyard-test-reload:${randomBytes(6).toString('hex')}:`;
  const write = (settings: Settings = {}) =>
    writeFileSync(
      file,
      JSON.stringify(
        configFor(
          mock.url,
          { url: `sqlite://${join(dir, 'shared.db')}`, redis_url: REDIS_URL, redis_prefix: prefix },
          {
            ...settings,
            extra: {
              ledger: { enabled: false },
              execution: {
                max_retries: 0,
                circuit_breaker: {
                  consecutive_failures: 2,
                  min_calls: 100,
                  open_ms: 30_000,
                  max_open_ms: 60_000,
                },
              },
            },
          },
        ),
        null,
        2,
      ),
    );

  beforeAll(async () => {
    mock = await startMockUpstream();
    dir = mkdtempSync(join(tmpdir(), 'switchyard-replicas-'));
    file = join(dir, 'switchyard.yaml');
    write();
    a = await startReplica(file);
    b = await startReplica(file);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
    // Whatever the replicas wrote under the test's prefix (the counter store's bookkeeping).
    await deleteRedisKeys(REDIS_URL!, prefix);
  });

  it('a reload on one replica makes the others read their copy of the file, once', async () => {
    const aLogs = a.logs().length;
    const bLogs = b.logs().length;
    expect((await chat(b.url, 'fast')).status).toBeGreaterThanOrEqual(400);
    write({ input: 40, output: 60, routes: { fast: { strategy: 'direct', model: 'gpt-4o-mini' } } });
    const reloaded = await reload(a.url);
    expect(reloaded.status).toBe(200);
    const onB = await eventually(
      () => chat(b.url, 'fast'),
      (reply) => reply.status === 200,
    );
    expectPriced(onB, 40, 60);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const messages = (replica: Replica, from: number) => replica.logs().slice(from);
    const reloadsOn = (replica: Replica, from: number) =>
      messages(replica, from).filter((l) => l.message.startsWith('configuration reloaded'));
    // A reloaded once, on the operator's word; B once, on A's — and did not announce it back.
    expect(reloadsOn(a, aLogs).map((l) => l.details?.origin)).toEqual(['admin']);
    expect(reloadsOn(b, bLogs).map((l) => l.details?.origin)).toEqual(['replica']);
    expect(reloadsOn(b, bLogs)[0]?.details?.digest).toBe(reloaded.body.digest);
    expect(messages(a, aLogs).some((l) => l.message === 'another replica reloaded the configuration')).toBe(
      false,
    );
  });

  it('a circuit that opens on one replica is open on the others, which spare the upstream', async () => {
    const calls = () => mock.requests.filter((r) => (r.body as { model?: string }).model === 'gpt-4o').length;
    mock.setModelProfile('gpt-4o', { faults: [{ kind: 'http_500' }] });
    try {
      expect((await chat(a.url, 'gpt-4o')).status).toBeGreaterThanOrEqual(500);
      expect((await chat(a.url, 'gpt-4o')).status).toBeGreaterThanOrEqual(500);
      const circuit = async (replica: Replica) => {
        const reply = await call(replica.url, 'GET', '/admin/circuits');
        // biome-ignore lint/suspicious/noExplicitAny: the admin view's JSON
        return reply.body.circuits.find((c: any) => c.deployment === 'gpt-4o@mock');
      };
      const onA = await circuit(a);
      expect(onA).toMatchObject({ state: 'open', remote: null, last_transition: { replica: null } });
      const onB = await eventually(
        () => circuit(b),
        (c) => c?.state === 'open',
      );
      expect(onB.remote.reason).toMatch(/2 consecutive failures/);
      expect(onB.remote.replica).toMatch(/:\d+:[0-9a-f]{6}$/);
      expect(onB.last_transition).toMatchObject({ to: 'open', replica: onB.remote.replica });
      // Open until A's open period ends, give or take the message's flight.
      expect(Math.abs(Date.parse(onB.open_until) - Date.parse(onA.open_until))).toBeLessThan(1_000);
      expect(onB.openings).toBe(0);

      const before = calls();
      const refused = await chat(b.url, 'gpt-4o');
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(calls()).toBe(before); // B did not call the upstream at all
      // The other models are unaffected on B.
      expect((await chat(b.url, 'gpt-4o-mini')).status).toBe(200);
    } finally {
      mock.setModelProfile('gpt-4o', {});
    }
  });

  it('a key revoked on one replica stops working on the others at once, not after key_cache_ms', async () => {
    const minted = await call(a.url, 'POST', '/admin/keys', { body: { name: 'shared-tenant' } });
    expect(minted.status).toBe(201);
    // B looks the key up and caches it for key_cache_ms (30 s).
    expect((await chat(b.url, 'gpt-4o-mini', minted.body.key)).status).toBe(200);
    expect((await chat(b.url, 'gpt-4o-mini', minted.body.key)).status).toBe(200);
    const revokedAt = Date.now();
    expect((await call(a.url, 'DELETE', `/admin/keys/${minted.body.id}`)).status).toBe(200);
    expect((await chat(a.url, 'gpt-4o-mini', minted.body.key)).status).toBe(401);
    const refused = await eventually(
      () => chat(b.url, 'gpt-4o-mini', minted.body.key),
      (reply) => reply.status === 401,
    );
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
    expect(refused.body.error.message).toMatch(/revoked/);
  });
});
