/**
 * @module cli/keys
 * `switchyard keys create|list|revoke`: virtual keys, either on a running gateway (`--url`, with
 * the master key or an admin key from `--api-key` or the environment) through the admin API, or
 * in-process on the SQLite or PostgreSQL database the configuration names — the one the gateway
 * reads. A key revoked here is refused at once by every gateway that shares `storage.redis_url`
 * (the revocation is announced on the replica bus), else within `auth.key_cache_ms` (a second by
 * default). In-process the CLI acts with the master key's
 * authority (the keys are recorded as created by `cli`).
 */

import { request } from 'undici';
import type { KeyJson, KeySpecJson } from '../admission/key-wire.js';
import { keyToJson, parseKeySpec } from '../admission/key-wire.js';
import { sqlitePathOf } from '../admission/stores.js';
import { createKeyService } from '../admission/virtual-keys.js';
import { clientApiKey } from '../config/source.js';
import { isGatewayError } from '../core/errors.js';
import type { KeyStore } from '../storage/admission-ports.js';
import { createSqliteKeyStore } from '../storage/sqlite/sqlite-key-store.js';
import { fail, loadOrExit } from './load.js';
import { renderTable } from './table.js';

export interface KeysClientOptions {
  url?: string;
  apiKey?: string;
  config?: string;
}

export interface KeysCreateOptions extends KeysClientOptions {
  name: string;
  models?: string;
  budgetUsd?: string;
  budgetWindow?: string;
  rpm?: string;
  tpm?: string;
  priority?: string;
  project?: string;
  user?: string;
  admin?: boolean;
  expiresAt?: string;
  metadata?: string;
  json?: boolean;
}

/** The key as shown once at creation: its id, its secret, and the rest. */
export type CreatedKeyJson = KeyJson & { key: string };

/** The admin operations on keys, wherever they run. */
export interface KeysClient {
  create(spec: KeySpecJson): Promise<CreatedKeyJson>;
  list(): Promise<KeyJson[]>;
  revoke(id: string): Promise<{ id: string; revoked_at: string }>;
  close(): Promise<void>;
}

export class KeysCommandError extends Error {}

/** Talks to a running gateway's admin API. */
export function remoteKeysClient(url: string, apiKey: string | undefined): KeysClient {
  const base = url.replace(/\/+$/, '');
  async function send(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
    const headers: Record<string, string> = {};
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await request(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const payload = (await response.body.json()) as Record<string, unknown>;
    if (response.statusCode >= 400) {
      const error = (payload.error ?? {}) as { code?: string; message?: string };
      throw new KeysCommandError(
        `${error.code ?? response.statusCode}: ${error.message ?? 'request failed'}`,
      );
    }
    return payload;
  }
  return {
    create: async (spec) => (await send('POST', '/admin/keys', spec)) as unknown as CreatedKeyJson,
    list: async () => (await send('GET', '/admin/keys')).keys as KeyJson[],
    revoke: async (id) =>
      (await send('DELETE', `/admin/keys/${encodeURIComponent(id)}`)) as { id: string; revoked_at: string },
    close: async () => {},
  };
}

async function openKeyStore(storageUrl: string): Promise<KeyStore> {
  if (storageUrl.startsWith('postgres://') || storageUrl.startsWith('postgresql://')) {
    // Loaded only when named: node-postgres costs tens of milliseconds at start-up.
    const { createPostgresKeyStore } = await import('../storage/postgres/postgres-key-store.js');
    return createPostgresKeyStore({ url: storageUrl, poolSize: 1 });
  }
  const path = sqlitePathOf(storageUrl);
  if (path === undefined) {
    throw new KeysCommandError(
      `storage.url is ${storageUrl.split(':')[0]}: only a SQLite or PostgreSQL database can be managed ` +
        'in-process; use --url to manage the keys of a running gateway',
    );
  }
  return createSqliteKeyStore({ path });
}

/** Where running gateways listen for key changes: `storage.redis_url` and `storage.redis_prefix`. */
export interface ReplicaBusAddress {
  redisUrl?: string | undefined;
  redisPrefix?: string | undefined;
}

/** Tells the gateways sharing Redis that a key was revoked, so that they drop their cached lookup now. */
async function announceRevocation(bus: ReplicaBusAddress, id: string): Promise<void> {
  if (bus.redisUrl === undefined || bus.redisUrl === '') return;
  const { createRedisBus } = await import('../storage/redis/redis-bus.js');
  const replicaBus = await createRedisBus({
    url: bus.redisUrl,
    ...(bus.redisPrefix === undefined ? {} : { prefix: bus.redisPrefix }),
    connectTimeoutMs: 2_000,
  });
  try {
    await replicaBus.publish('keys', { id, change: 'revoked' });
  } catch {
    process.stderr.write(
      `warning: could not tell running gateways through Redis; they refuse the key within auth.key_cache_ms\n`,
    );
  } finally {
    await replicaBus.close();
  }
}

/** Works on the key store the configuration's `storage.url` names. */
export async function localKeysClient(storageUrl: string, bus: ReplicaBusAddress = {}): Promise<KeysClient> {
  const store = await openKeyStore(storageUrl);
  const keys = createKeyService(store, { cacheMs: 0 });
  return {
    async create(spec) {
      const { key, secret } = await keys.create(parseKeySpec(spec), { admin: true }, 'cli');
      return { ...keyToJson(key), key: secret };
    },
    async list() {
      const now = Date.now();
      return (await keys.list()).map((key) => keyToJson(key, now));
    },
    async revoke(id) {
      const key = await keys.revoke(id);
      if (key === undefined) throw new KeysCommandError(`no key ${id}`);
      await announceRevocation(bus, key.id);
      return { id: key.id, revoked_at: new Date(key.revokedAt ?? 0).toISOString() };
    },
    close: () => store.close(),
  };
}

function clientFor(options: KeysClientOptions): Promise<KeysClient> | KeysClient {
  if (options.url) return remoteKeysClient(options.url, options.apiKey ?? clientApiKey());
  const { storage } = loadOrExit(options.config).config;
  return localKeysClient(storage.url, { redisUrl: storage.redis_url, redisPrefix: storage.redis_prefix });
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new KeysCommandError(`${flag} expects a number, got "${value}"`);
  return parsed;
}

/** The `POST /admin/keys` body the flags describe. */
export function specFromFlags(options: KeysCreateOptions): KeySpecJson {
  const spec: Record<string, unknown> = { name: options.name };
  if (options.models !== undefined)
    spec.models = options.models
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
  const numbers = {
    budget_usd: number(options.budgetUsd, '--budget-usd'),
    rpm: number(options.rpm, '--rpm'),
    tpm: number(options.tpm, '--tpm'),
    priority: number(options.priority, '--priority'),
  };
  for (const [field, value] of Object.entries(numbers)) if (value !== undefined) spec[field] = value;
  if (options.budgetWindow !== undefined) spec.budget_window = options.budgetWindow;
  if (options.project !== undefined) spec.project = options.project;
  if (options.user !== undefined) spec.user = options.user;
  if (options.admin) spec.admin = true;
  if (options.expiresAt !== undefined) spec.expires_at = options.expiresAt;
  if (options.metadata !== undefined) {
    try {
      spec.metadata = JSON.parse(options.metadata);
    } catch {
      throw new KeysCommandError('--metadata expects a JSON object');
    }
  }
  return spec as KeySpecJson;
}

type Out = (text: string) => void;
const stdout: Out = (text) => process.stdout.write(text);

export async function runKeysCreate(options: KeysCreateOptions, out: Out = stdout): Promise<CreatedKeyJson> {
  const spec = specFromFlags(options);
  const client = await clientFor(options);
  try {
    const created = await client.create(spec);
    if (options.json) out(`${JSON.stringify(created, null, 2)}\n`);
    else {
      out(
        `Created key ${created.id} (${created.name}).\n\n  ${created.key}\n\n` +
          'Store it now: it is shown this once and cannot be recovered.\n',
      );
    }
    return created;
  } finally {
    await client.close();
  }
}

export async function runKeysList(
  options: KeysClientOptions & { json?: boolean },
  out: Out = stdout,
): Promise<KeyJson[]> {
  const client = await clientFor(options);
  try {
    const keys = await client.list();
    if (options.json) {
      out(`${JSON.stringify({ keys }, null, 2)}\n`);
      return keys;
    }
    const rows = keys.map((k) => [
      k.id,
      k.name,
      k.key_prefix,
      k.status,
      k.models.length === 0 ? 'all' : k.models.join(','),
      k.budget_usd === null ? '-' : `$${k.budget_usd} ${k.budget_window}`,
      k.rpm ?? '-',
      k.tpm ?? '-',
      k.project ?? '-',
      k.admin ? 'yes' : 'no',
    ]);
    out(
      `${renderTable(['id', 'name', 'key', 'status', 'models', 'budget', 'rpm', 'tpm', 'project', 'admin'], rows)}\n`,
    );
    out(`\n${keys.length} keys\n`);
    return keys;
  } finally {
    await client.close();
  }
}

export async function runKeysRevoke(
  id: string,
  options: KeysClientOptions & { json?: boolean },
  out: Out = stdout,
): Promise<void> {
  const client = await clientFor(options);
  try {
    const revoked = await client.revoke(id);
    out(
      options.json
        ? `${JSON.stringify({ ...revoked, revoked: true }, null, 2)}\n`
        : `Revoked key ${revoked.id}.\n`,
    );
  } finally {
    await client.close();
  }
}

/** Runs a keys action, turning expected failures into one line on stderr and exit code 1. */
export async function keysCommand(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof KeysCommandError) fail(error.message);
    if (isGatewayError(error)) fail(`${error.code}: ${error.message}`);
    throw error;
  }
}
