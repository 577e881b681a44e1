import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultTestConfig, type Harness, startHarness } from '../../test/helpers/harness.js';
import { deleteRedisKeys } from '../../test/helpers/redis.js';
import {
  KeysCommandError,
  localKeysClient,
  runKeysCreate,
  runKeysList,
  runKeysRevoke,
  specFromFlags,
} from './keys.js';

const MASTER = 'sk-master-cli-keys-test-0123456789';
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(): Promise<Harness> {
  harness = await startHarness({
    config: (mockUrl) => ({ ...defaultTestConfig(mockUrl), auth: { master_key: MASTER } }),
  });
  return harness;
}

function chat(h: Harness, key: string) {
  return fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 5,
    }),
  });
}

describe('switchyard keys', () => {
  it('creates against a running gateway, and a revocation made in-process on its database stops the key', async () => {
    const h = await start();
    const printed: string[] = [];
    const created = await runKeysCreate(
      { url: h.url, apiKey: MASTER, name: 'deploy bot', models: 'gpt-4o-mini', rpm: '30', budgetUsd: '5' },
      (text) => printed.push(text),
    );
    expect(created.key).toMatch(/^sk-sy-/);
    expect(created).toMatchObject({ name: 'deploy bot', models: ['gpt-4o-mini'], rpm: 30, budget_usd: 5 });
    expect(printed.join('')).toContain(created.key);
    expect(printed.join('')).toMatch(/shown this once/);
    expect((await chat(h, created.key)).status).toBe(200);

    // In-process, on the same database file the gateway uses: it sees the key, never its secret.
    const storage = `sqlite://${join(h.dir, 'ledger.db')}`;
    const local = await localKeysClient(storage);
    const listed = await local.list();
    expect(listed.map((k) => k.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    await local.revoke(created.id);
    await local.close();
    // The gateway reuses a live key's lookup for auth.key_cache_ms (1 s): refused within that.
    const revokedAt = Date.now();
    while ((await chat(h, created.key)).status === 200) await sleep(50);
    expect(Date.now() - revokedAt).toBeLessThan(1_500);
    expect((await chat(h, created.key)).status).toBe(401);

    const remoteList: string[] = [];
    const keys = await runKeysList({ url: h.url, apiKey: MASTER }, (text) => remoteList.push(text));
    expect(keys[0]).toMatchObject({ id: created.id, status: 'revoked', created_by: 'master' });
    expect(remoteList.join('')).toMatch(/deploy bot.*revoked/);
  });

  it('refuses a non-admin key and a missing key, saying why', async () => {
    const h = await start();
    const user = await runKeysCreate({ url: h.url, apiKey: MASTER, name: 'user', json: true }, () => {});
    await expect(runKeysCreate({ url: h.url, apiKey: user.key, name: 'x' }, () => {})).rejects.toThrow(
      /FORBIDDEN/,
    );
    await expect(runKeysList({ url: h.url, apiKey: 'nope' }, () => {})).rejects.toThrow(/UNAUTHORIZED/);
    await expect(runKeysRevoke('key_missing', { url: h.url, apiKey: MASTER }, () => {})).rejects.toThrow(
      /NOT_FOUND/,
    );
  });

  it('works in-process from a config file, with --json output', async () => {
    const h = await start();
    const file = join(h.dir, 'switchyard.yaml');
    writeFileSync(file, `storage:\n  url: sqlite://${join(h.dir, 'cli.db')}\n`);
    const out: string[] = [];
    const created = await runKeysCreate(
      { config: file, name: 'ops', admin: true, expiresAt: '2099-01-01T00:00:00Z', json: true },
      (text) => out.push(text),
    );
    expect(JSON.parse(out.join(''))).toMatchObject({
      id: created.id,
      key: created.key,
      admin: true,
      expires_at: '2099-01-01T00:00:00.000Z',
      created_by: 'cli',
    });
    out.length = 0;
    await runKeysRevoke(created.id, { config: file, json: true }, (text) => out.push(text));
    expect(JSON.parse(out.join(''))).toMatchObject({ id: created.id, revoked: true });
    out.length = 0;
    await runKeysList({ config: file, json: true }, (text) => out.push(text));
    const listed = JSON.parse(out.join('')) as { keys: { status: string }[] };
    expect(listed.keys.map((k) => k.status)).toEqual(['revoked']);
    expect(out.join('')).not.toContain(created.key);
  });

  it('turns flags into the admin API body and rejects bad ones', async () => {
    expect(
      specFromFlags({
        name: 'n',
        models: 'a, b,,c',
        budgetUsd: '2.5',
        budgetWindow: 'daily',
        tpm: '1000',
        priority: '3',
        metadata: '{"team":"x"}',
      }),
    ).toEqual({
      name: 'n',
      models: ['a', 'b', 'c'],
      budget_usd: 2.5,
      budget_window: 'daily',
      tpm: 1000,
      priority: 3,
      metadata: { team: 'x' },
    });
    expect(() => specFromFlags({ name: 'n', rpm: 'many' })).toThrow(KeysCommandError);
    expect(() => specFromFlags({ name: 'n', metadata: '{' })).toThrow(/JSON/);
    await expect(localKeysClient('memory://')).rejects.toThrow(/--url/);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('switchyard keys on PostgreSQL (DATABASE_URL)', () => {
  it('creates, lists and revokes keys in-process on the PostgreSQL database the config names', async () => {
    const schema = `sy_cli_keys_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const url = new URL(process.env.DATABASE_URL!);
    url.searchParams.set('schema', schema);
    const pg = await import('pg');
    const admin = new pg.default.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    try {
      const local = await localKeysClient(url.href);
      const created = await local.create({ name: 'pg bot', rpm: 10 });
      expect(created.key).toMatch(/^sk-sy-/);
      expect((await local.list()).map((k) => k.name)).toEqual(['pg bot']);
      await local.revoke(created.id);
      await local.close();
      // A second process (a fresh client) sees the revocation in the shared table.
      const again = await localKeysClient(url.href);
      const [listed] = await again.list();
      expect(listed?.revoked_at).toEqual(expect.any(String));
      await again.close();
      const rows = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".virtual_keys`);
      expect(rows.rows[0].n).toBe(1);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });
});

describe.skipIf(!process.env.REDIS_URL)('switchyard keys revoke with Redis (REDIS_URL)', () => {
  it('announces the revocation: a gateway sharing Redis refuses the key at once, not after key_cache_ms', async () => {
    const prefix = `sy-cli-keys-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
    const h = await startHarness({
      config: (mockUrl) => ({
        ...defaultTestConfig(mockUrl),
        auth: { master_key: MASTER, key_cache_ms: 30_000 },
        storage: { redis_url: process.env.REDIS_URL, redis_prefix: prefix },
      }),
    });
    harness = h;
    try {
      const created = await runKeysCreate({ url: h.url, apiKey: MASTER, name: 'bus' }, () => {});
      expect((await chat(h, created.key)).status).toBe(200);
      const local = await localKeysClient(`sqlite://${join(h.dir, 'ledger.db')}`, {
        redisUrl: process.env.REDIS_URL,
        redisPrefix: prefix,
      });
      await local.revoke(created.id);
      await local.close();
      const revokedAt = Date.now();
      while ((await chat(h, created.key)).status === 200) await sleep(25);
      expect(Date.now() - revokedAt).toBeLessThan(2_000);
    } finally {
      await deleteRedisKeys(process.env.REDIS_URL!, prefix);
    }
  });
});
