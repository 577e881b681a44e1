/**
 * The PostgreSQL KeyStore against a real server (skipped without DATABASE_URL): the shared
 * contract, two replicas (two pools) on one schema seeing each other's keys at once, concurrent
 * migrations on a fresh schema, the ledger and the keys in one schema, and how the store starts
 * when the database is missing or unreachable. Every store works in its own schema, dropped at the end.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyStore } from '../admission-ports.js';
import { describeKeyStoreContract, storedKey } from '../key-store.contract.js';
import { createPostgresKeyStore, type PostgresKeyStoreOptions } from './postgres-key-store.js';
import { createPostgresLedger } from './postgres-ledger.js';

const databaseUrl = process.env.DATABASE_URL;
const T0 = Date.UTC(2026, 0, 1);

describe.skipIf(databaseUrl === undefined)('PostgreSQL key store (DATABASE_URL)', () => {
  const url = databaseUrl ?? '';
  const prefix = `sy_keys_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const schemas: string[] = [];
  const stores: KeyStore[] = [];
  let admin: Pool;

  beforeAll(() => {
    admin = new Pool({ connectionString: url, max: 2 });
  });

  afterAll(async () => {
    for (const store of stores) await store.close();
    try {
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
  });

  function freshSchema(): string {
    const schema = `${prefix}_${schemas.length}`;
    schemas.push(schema);
    return schema;
  }

  async function open(options: Partial<PostgresKeyStoreOptions> & { schema?: string }): Promise<KeyStore> {
    const store = await createPostgresKeyStore({ url, poolSize: 2, ...options });
    stores.push(store);
    return store;
  }

  async function migrationsOf(schema: string): Promise<string[]> {
    const { rows } = await admin.query<{ component: string; version: number }>(
      `SELECT component, version FROM "${schema}".schema_migrations ORDER BY component, version`,
    );
    return rows.map((row) => `${row.component}@${row.version}`);
  }

  describeKeyStoreContract('postgres', () =>
    createPostgresKeyStore({ url, schema: freshSchema(), poolSize: 2 }),
  );

  it('two replicas (two pools) see each other’s keys, revocations and updates at once', async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([open({ schema }), open({ schema })]);
    const key = storedKey(1);
    await a.create(key);
    expect(await b.getByHash(key.hash)).toEqual(key);

    expect((await b.revoke(key.id, T0 + 10))?.revokedAt).toBe(T0 + 10);
    expect((await a.getByHash(key.hash))?.revokedAt).toBe(T0 + 10);
    expect((await a.revoke(key.id, T0 + 20))?.revokedAt).toBe(T0 + 10);

    await b.update(key.id, { rpm: null, name: 'renamed' });
    const seen = await a.get(key.id);
    expect(seen?.name).toBe('renamed');
    expect(seen).not.toHaveProperty('rpm');

    await expect(b.create(storedKey(2, { hash: key.hash }))).rejects.toThrow(
      'a key with this secret already exists',
    );
    await expect(b.create(storedKey(1, { hash: 'e'.repeat(64) }))).rejects.toThrow(
      'a key with id key-0001 already exists',
    );
    expect((await a.list()).map((k) => k.id)).toEqual(['key-0001']);
  });

  it('keeps the first revocation when two replicas revoke at once', async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([open({ schema }), open({ schema })]);
    const ids = Array.from({ length: 20 }, (_, i) => storedKey(i + 1));
    for (const key of ids) await a.create(key);
    const results = await Promise.all(
      ids.flatMap((key) => [a.revoke(key.id, T0 + 1), b.revoke(key.id, T0 + 2)]),
    );
    // A later round from both replicas changes nothing.
    const later = await Promise.all(
      ids.flatMap((key) => [b.revoke(key.id, T0 + 3), a.revoke(key.id, T0 + 4)]),
    );
    for (const key of ids) {
      const stored = (await a.getByHash(key.hash))?.revokedAt;
      expect([T0 + 1, T0 + 2]).toContain(stored);
      // Every caller was told the time that stuck, not the one it asked for.
      const told = [...results, ...later].filter((r) => r?.id === key.id).map((r) => r?.revokedAt);
      expect(told).toEqual([stored, stored, stored, stored]);
    }
  });

  it('does not lose either of two concurrent updates of the same key', async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([open({ schema }), open({ schema })]);
    await a.create(storedKey(1));
    await Promise.all([a.update('key-0001', { rpm: 7 }), b.update('key-0001', { tpm: 9 })]);
    const key = await b.get('key-0001');
    expect([key?.rpm, key?.tpm]).toEqual([7, 9]);
  });

  it('migrates a fresh schema from two replicas at once, exactly once', async () => {
    const schema = freshSchema();
    const opened = await Promise.allSettled([open({ schema }), open({ schema }), open({ schema })]);
    expect(opened.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(await migrationsOf(schema)).toEqual(['keys@1']);
    const [a, b] = opened.map((result) => (result as PromiseFulfilledResult<KeyStore>).value);
    await a?.create(storedKey(1));
    expect((await b?.get('key-0001'))?.id).toBe('key-0001');
  });

  it('shares a schema with the ledger, each with its own migrations', async () => {
    const schema = freshSchema();
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'switchyard-pg-keys-'));
    try {
      const [ledger, keys] = await Promise.all([
        createPostgresLedger({ url, schema, spoolDir, onError: () => {} }),
        open({ schema }),
      ]);
      try {
        await keys.create(storedKey(1));
        expect(await ledger.count()).toBe(0);
        expect((await keys.list()).map((k) => k.id)).toEqual(['key-0001']);
        expect(await migrationsOf(schema)).toEqual(['keys@1', 'ledger@1']);
      } finally {
        await ledger.close();
      }
    } finally {
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });

  it('takes the schema from the URL’s schema parameter', async () => {
    const schema = freshSchema();
    const withSchema = new URL(url);
    withSchema.searchParams.set('schema', schema);
    const store = await open({ url: withSchema.href });
    await store.create(storedKey(1));
    const { rows } = await admin.query(`SELECT id FROM "${schema}".virtual_keys`);
    expect(rows).toEqual([{ id: 'key-0001' }]);
  });

  it('creates the tables again when the schema is dropped under a running store', async () => {
    const schema = freshSchema();
    const store = await open({ schema });
    await store.create(storedKey(1));
    await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
    expect(await store.get('key-0001')).toBeUndefined();
    await store.create(storedKey(2));
    expect((await store.list()).map((k) => k.id)).toEqual(['key-0002']);
  });

  it('refuses to start on a database that does not exist', async () => {
    const missing = new URL(url);
    missing.pathname = `/${prefix}_no_such_database`;
    await expect(createPostgresKeyStore({ url: missing.href, schema: freshSchema() })).rejects.toMatchObject({
      code: '3D000',
    });
  });

  it('starts while the database is unreachable, reports it, and fails each operation', async () => {
    // A port that was just free and is closed again: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const unreachable = new URL(url);
    unreachable.hostname = '127.0.0.1';
    unreachable.port = String(port);

    const reported: unknown[] = [];
    const store = await open({
      url: unreachable.href,
      schema: freshSchema(),
      onError: (e) => reported.push(e),
    });
    expect(reported).toHaveLength(1);
    await expect(store.getByHash('0'.repeat(64))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses operations once closed', async () => {
    const store = await createPostgresKeyStore({ url, schema: freshSchema() });
    await store.close();
    await store.close();
    await expect(store.list()).rejects.toThrow('key store is closed');
  });
});
