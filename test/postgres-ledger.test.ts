/**
 * The PostgreSQL ledger against a real server (skipped without DATABASE_URL): volume exactly
 * once, two replicas racing on the same request ids, a database outage simulated by a TCP proxy
 * this test owns (the real server is never touched), and a process killed with SIGKILL whose
 * spool the next ledger replays. Every test works in its own schema, dropped at the end.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../src/config/load.js';
import { ledgerFromUrl } from '../src/gateway/create-gateway.js';
import { fullRecord } from '../src/storage/ledger.contract.js';
import type { Ledger, LedgerRecord } from '../src/storage/ports.js';
import { createPostgresLedger, type PostgresLedgerOptions } from '../src/storage/postgres/postgres-ledger.js';
import { listSegments, REJECTED_FILE } from '../src/storage/spool/spool.js';

const databaseUrl = process.env.DATABASE_URL;
const LEDGER_MODULE = fileURLToPath(new URL('../src/storage/postgres/postgres-ledger.ts', import.meta.url));

interface Proxy {
  readonly url: string;
  /** Closes the listener and cuts every open connection: the database looks gone. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of the real server, which it never touches. */
async function startProxy(target: URL): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = tcpConnect(Number(target.port || 5432), target.hostname || '127.0.0.1');
        sockets.add(client);
        sockets.add(upstream);
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        for (const socket of [client, upstream]) {
          socket.on('error', end);
          socket.on('close', end);
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await listen();
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.href,
    down: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        if (server === undefined) resolve();
        else server.close(() => resolve());
        server = undefined;
      }),
    up: listen,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Request ids in the spool's segment files (what a crash would leave behind). */
function spooledIds(dir: string, segments: readonly string[]): string[] {
  return segments.flatMap((file) =>
    readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as LedgerRecord).requestId),
  );
}

describe.skipIf(databaseUrl === undefined)('PostgreSQL ledger (DATABASE_URL)', () => {
  const url = databaseUrl ?? '';
  const prefix = `sy_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const schemas: string[] = [];
  let dir: string;
  let admin: Pool;
  const ledgers: Ledger[] = [];

  beforeAll(() => {
    // Here, not at collection: a skipped suite must not leave a directory behind.
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-pg-ledger-'));
    admin = new Pool({ connectionString: url, max: 2 });
  });

  afterAll(async () => {
    for (const ledger of ledgers) await ledger.close().catch(() => undefined);
    try {
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  function freshSchema(): string {
    const schema = `${prefix}_${schemas.length}`;
    schemas.push(schema);
    return schema;
  }

  async function open(options: Partial<PostgresLedgerOptions> & { schema: string }): Promise<Ledger> {
    const ledger = await createPostgresLedger({
      url,
      spoolDir: path.join(dir, `${options.schema}-${ledgers.length}`),
      onError: () => {},
      ...options,
    });
    ledgers.push(ledger);
    return ledger;
  }

  async function countRows(schema: string): Promise<{ rows: number; distinct: number; attempts: number }> {
    const { rows } = await admin.query<{ rows: string; distinct: string; attempts: string }>(
      `SELECT (SELECT count(*) FROM "${schema}".ledger) AS rows,
              (SELECT count(DISTINCT request_id) FROM "${schema}".ledger) AS distinct,
              (SELECT count(*) FROM "${schema}".ledger_attempts) AS attempts`,
    );
    const row = rows[0];
    return { rows: Number(row?.rows), distinct: Number(row?.distinct), attempts: Number(row?.attempts) };
  }

  it('is what storage.url: postgres://…?schema=… opens, spool in ./switchyard-spool', async () => {
    const schema = freshSchema();
    const storageUrl = new URL(url);
    storageUrl.searchParams.set('schema', schema);
    const { config } = parseConfigObject({ storage: { url: storageUrl.href } });
    const cwd = process.cwd();
    // The default spool directory is relative to the working directory: make that a temporary one.
    process.chdir(dir);
    let ledger: Ledger;
    try {
      ledger = await ledgerFromUrl(config, () => {});
    } finally {
      process.chdir(cwd);
    }
    ledgers.push(ledger);
    ledger.append(fullRecord(1));
    await ledger.flush();
    expect((await countRows(schema)).rows).toBe(1);
    expect(readFileSync(path.join(dir, 'switchyard-spool', 'LOCK'), 'utf8')).toContain(String(process.pid));
    await ledger.close();
  });

  it('writes 10,000 records exactly once, attempts included, without blocking append', async () => {
    const schema = freshSchema();
    const ledger = await open({ schema });
    const records = Array.from({ length: 10_000 }, (_, i) => fullRecord(i));
    const started = performance.now();
    for (const record of records) ledger.append(record);
    const appendMs = performance.now() - started;
    // Nothing was written on the caller's stack: the database still holds none of them.
    expect((await countRows(schema)).rows).toBe(0);
    await ledger.flush();
    expect(await countRows(schema)).toEqual({ rows: 10_000, distinct: 10_000, attempts: 20_000 });
    const { rows } = await admin.query<{ cost: string }>(
      `SELECT sum(cost_nanos) AS cost FROM "${schema}".ledger`,
    );
    expect(Number(rows[0]?.cost)).toBe(records.reduce((sum, r) => sum + r.costNanos, 0));
    expect(await ledger.get(fullRecord(7_777).requestId)).toStrictEqual(fullRecord(7_777));
    expect(appendMs).toBeLessThan(1_000);
  });

  it('keeps each request id once when two replicas append overlapping ids concurrently', async () => {
    const schema = freshSchema();
    const options = { schema, batchSize: 100, flushMs: 1 };
    const [a, b] = await Promise.all([open(options), open(options)]);
    if (a === undefined || b === undefined) throw new Error('unreachable');
    const fromA = (i: number) => fullRecord(i, { deployment: 'replica-a' });
    const fromB = (i: number) => {
      const base = fullRecord(i, { deployment: 'replica-b' });
      return { ...base, attempts: base.attempts.slice(1) };
    };
    // A takes 0–5,999 and B 4,000–9,999. Both start with the 2,000 they share, in the same
    // order, so that the same ids reach the database from both replicas at the same time.
    const orderA = [...range(4_000, 6_000), ...range(0, 4_000)];
    const orderB = range(4_000, 10_000);
    for (let i = 0; i < 6_000; i += 200) {
      for (let j = i; j < i + 200; j++) {
        a.append(fromA(orderA[j] as number));
        b.append(fromB(orderB[j] as number));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([a.flush(), b.flush()]);
    const counts = await countRows(schema);
    expect(counts.rows).toBe(10_000);
    expect(counts.distinct).toBe(10_000);
    // Every contested id holds one replica's record whole, attempts and all: never a mix.
    const stored = new Map((await b.query({})).map((record) => [record.requestId, record]));
    expect(stored.size).toBe(10_000);
    let wonByA = 0;
    for (let i = 4_000; i < 6_000; i++) {
      const record = stored.get(fullRecord(i).requestId);
      if (record?.deployment === 'replica-a') {
        wonByA++;
        expect(record).toStrictEqual(fromA(i));
      } else expect(record).toStrictEqual(fromB(i));
    }
    // Which replica wins which batch is timing (usually some of each); the totals hold either way.
    // A's records carry two attempts and B's one: the attempt rows add up to the winners exactly.
    expect(counts.attempts).toBe(2 * (4_000 + wonByA) + (4_000 + (2_000 - wonByA)));
    expect(await b.count()).toBe(10_000);
  });

  it('spools through a database outage and replays every record exactly once', async () => {
    const schema = freshSchema();
    const proxy = await startProxy(new URL(url));
    const errors: unknown[] = [];
    const spoolDir = path.join(dir, `${schema}-outage`);
    const ledger = await open({
      schema,
      url: proxy.url,
      spoolDir,
      flushMs: 5,
      retryBaseMs: 20,
      retryMaxMs: 200,
      connectTimeoutMs: 1_000,
      onError: (err) => errors.push(err),
    });
    const outageRecord = (i: number) => fullRecord(i, { requestId: `outage-${String(i).padStart(4, '0')}` });

    for (let i = 0; i < 100; i++) ledger.append(outageRecord(i));
    await ledger.flush();
    expect((await countRows(schema)).rows).toBe(100);

    await proxy.down();
    for (let i = 100; i < 600; i++) ledger.append(outageRecord(i));
    // flush() resolves with the database gone: the records are fsynced in the spool.
    await ledger.flush();
    const segments = await listSegments(spoolDir);
    expect(segments.length).toBeGreaterThan(0);
    const spooled = spooledIds(spoolDir, segments);
    expect(new Set(spooled)).toEqual(
      new Set(Array.from({ length: 500 }, (_, i) => outageRecord(i + 100).requestId)),
    );
    expect((await countRows(schema)).rows).toBe(100);
    // Reads fail while the database is unreachable rather than hang.
    await expect(ledger.count()).rejects.toThrow();
    expect(errors.length).toBeGreaterThan(0);
    // More records during the outage join the spool behind the first ones.
    for (let i = 600; i < 650; i++) ledger.append(outageRecord(i));
    await ledger.flush();

    await proxy.up();
    await waitFor('the spool to drain', async () => (await listSegments(spoolDir)).length === 0);
    expect(await countRows(schema)).toEqual({ rows: 650, distinct: 650, attempts: 1_300 });
    expect(await ledger.count()).toBe(650);
    expect(await ledger.get(outageRecord(321).requestId)).toStrictEqual(outageRecord(321));

    // Back to writing directly: no new spool files.
    for (let i = 650; i < 700; i++) ledger.append(outageRecord(i));
    await ledger.flush();
    expect(await listSegments(spoolDir)).toEqual([]);
    expect((await countRows(schema)).rows).toBe(700);
    await ledger.close();
    await proxy.down();
  });

  it('sets aside a record PostgreSQL refuses and writes the rest of its batch', async () => {
    const schema = freshSchema();
    const spoolDir = path.join(dir, `${schema}-rejected`);
    const errors: unknown[] = [];
    const ledger = await open({ schema, spoolDir, onError: (err) => errors.push(err) });
    for (let i = 0; i < 20; i++) ledger.append(fullRecord(i));
    // Beyond BIGINT: the database refuses it, whatever the retry.
    ledger.append(fullRecord(20, { requestId: 'too-expensive', costNanos: 1e20 }));
    await ledger.flush();
    expect((await countRows(schema)).rows).toBe(20);
    expect(await ledger.get('too-expensive')).toBeUndefined();
    const rejected = readFileSync(path.join(spoolDir, REJECTED_FILE), 'utf8').trim().split('\n');
    expect(rejected).toHaveLength(1);
    expect(JSON.parse(rejected[0] ?? '{}')).toMatchObject({ item: { requestId: 'too-expensive' } });
    expect(String(errors[0])).toMatch(/too-expensive refused/);
  });

  it('replays at start the spool of a process killed with SIGKILL', async () => {
    const schema = freshSchema();
    const spoolDir = path.join(dir, `${schema}-crash`);
    // The child's database is a port nobody listens on: everything it records goes to the spool.
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const unreachable = new URL(url);
    unreachable.hostname = '127.0.0.1';
    unreachable.port = String(closedPort);
    const records = Array.from({ length: 300 }, (_, i) => fullRecord(i, { requestId: `crash-${i}` }));

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
        import { createPostgresLedger } from ${JSON.stringify(LEDGER_MODULE)};
        let input = '';
        for await (const chunk of process.stdin) input += chunk;
        const ledger = await createPostgresLedger({
          url: process.env.CHILD_DATABASE_URL, schema: process.env.CHILD_SCHEMA,
          spoolDir: process.env.CHILD_SPOOL, connectTimeoutMs: 500, retryBaseMs: 60000, onError: () => {},
        });
        for (const record of JSON.parse(input)) ledger.append(record);
        await ledger.flush();
        process.stdout.write('spooled\\n');
        setInterval(() => {}, 1000);
        `,
      ],
      {
        cwd: path.dirname(fileURLToPath(new URL('../package.json', import.meta.url))),
        env: {
          ...process.env,
          CHILD_DATABASE_URL: unreachable.href,
          CHILD_SCHEMA: schema,
          CHILD_SPOOL: spoolDir,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    child.stdin.end(JSON.stringify(records));
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`child never spooled: ${stderr}`)), 20_000);
      child.stdout.on('data', (chunk) => {
        if (String(chunk).includes('spooled')) {
          clearTimeout(timeout);
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`child exited early: ${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // What the dead process left: its records in the spool, its lock, nothing in the database.
    const segments = await listSegments(spoolDir);
    expect(spooledIds(spoolDir, segments).sort()).toEqual(records.map((r) => r.requestId).sort());
    expect(JSON.parse(readFileSync(path.join(spoolDir, 'LOCK'), 'utf8'))).toMatchObject({ pid: child.pid });

    const ledger = await open({ schema, spoolDir });
    await waitFor('the replay at start', async () => (await listSegments(spoolDir)).length === 0);
    expect(await countRows(schema)).toEqual({ rows: 300, distinct: 300, attempts: 600 });
    expect(await ledger.count()).toBe(300);
    expect(await ledger.get('crash-42')).toStrictEqual(records[42]);
  });
});
