/**
 * @module admission/virtual-keys
 * Virtual keys: `sk-sy-` followed by 32 random bytes in base64url (256 bits), stored only as the
 * SHA-256 of the whole key plus a short display prefix, and shown once, when created. A presented
 * key is hashed and looked up by its hash; the hashes are then compared in constant time, so
 * neither the index nor the comparison tells an attacker how close a guess came. A live key's
 * lookup is reused for a second (a store read per request costs more than the rest of
 * authentication) and answered synchronously while it is (`resolve`), so a request with a known
 * key never waits for a promise; revoking through the service clears it, so a revoked key fails
 * on the very next request, and expiry is checked on every request.
 *
 * While a live key's lookup is cached it is also found by the secret itself (`known`), which saves
 * hashing the secret again: hashing is most of what authenticating a known key costs. The secret
 * is then held in this process's memory, as the request carrying it already was — never in the
 * store, a log or an answer — and only for keys the store knew and that are live: a flood of
 * wrong keys adds nothing, and revoking, evicting or clearing the cache forgets it.
 */

import { hash, randomBytes } from 'node:crypto';
import { GatewayError } from '../core/errors.js';
import type { Caller } from '../gateway/request-context.js';
import type { BudgetWindow, KeyStore, StoredKey, VirtualKey } from '../storage/admission-ports.js';
import { assertWithinCreator, type ModelScope } from './key-scope.js';

export const VIRTUAL_KEY_PREFIX = 'sk-sy-';
const SECRET_BYTES = 32;
/** Length of a key: the prefix plus 43 base64url characters for 32 bytes. */
const KEY_LENGTH = VIRTUAL_KEY_PREFIX.length + Math.ceil((SECRET_BYTES * 4) / 3);
/** Characters of the key shown in listings: the prefix and four characters of the secret. */
const DISPLAY_LENGTH = VIRTUAL_KEY_PREFIX.length + 4;

export function generateVirtualKey(): string {
  return VIRTUAL_KEY_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
}

/** SHA-256 of a secret, in hex: the one-shot `crypto.hash`, several times cheaper than createHash. */
export function hashVirtualKey(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/**
 * Compares two hex digests in constant time: every character is looked at whatever differs, so
 * the time taken says nothing about where two digests part (as `timingSafeEqual`, without
 * allocating two buffers per request).
 */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export function isVirtualKey(presented: string): boolean {
  return presented.startsWith(VIRTUAL_KEY_PREFIX);
}

/** What a new key may be created with (the wire's `POST /admin/keys` body, in camelCase). */
export interface KeySpec {
  name: string;
  models?: string[];
  budgetUsd?: number;
  budgetWindow?: BudgetWindow;
  rpm?: number;
  tpm?: number;
  priority?: number;
  project?: string;
  user?: string;
  admin?: boolean;
  expiresAt?: number;
  metadata?: Record<string, unknown>;
}

export interface CreatedKey {
  key: VirtualKey;
  /** The secret: returned this once and never stored. */
  secret: string;
}

export interface KeyService {
  /**
   * Mints a key no broader than its creator's (FORBIDDEN otherwise). `origin` names a creator
   * that is not a virtual key (`master`, `open`, `cli`) in the key's `createdBy`.
   */
  create(spec: KeySpec, creator: Caller, origin?: string): Promise<CreatedKey>;
  /** The live key a secret belongs to; UNAUTHORIZED when unknown, revoked or expired. */
  authenticate(secret: string): Promise<VirtualKey>;
  /**
   * As `authenticate`, but synchronous while the key's lookup is cached (the hot path): returns
   * the key or throws UNAUTHORIZED then, and a promise only when the store must be asked.
   * `digest` is `hashVirtualKey(secret)` when the caller has it already.
   */
  resolve(secret: string, digest?: string): VirtualKey | Promise<VirtualKey>;
  /**
   * The key `secret` authenticates, when its lookup is cached and it is live; otherwise undefined
   * (ask `resolve`, which also says why a key is refused). Never reads the store, never throws.
   */
  known(secret: string): VirtualKey | undefined;
  get(id: string): Promise<VirtualKey | undefined>;
  list(): Promise<VirtualKey[]>;
  revoke(id: string): Promise<VirtualKey | undefined>;
  /** Forgets the cached lookup of key `id` (another replica revoked or changed it). */
  evict(id: string): void;
  /** Forgets every cached lookup (news from other replicas may have been missed). */
  clearCache(): void;
}

export interface KeyServiceOptions {
  now?: () => number;
  /** Which models a key's `models` list allows (routes expand to the models they name). */
  scope?: ModelScope;
  /**
   * How long a successful lookup is reused (default 1,000 ms; 0 looks up every time). Revoking
   * through this service clears it at once; a revocation by another process on the same
   * database is seen within this time — or at once, when that process says so on the replica
   * bus and the gateway calls `evict`.
   */
  cacheMs?: number;
  /** Told after this service revoked a key, so that other replicas can forget it too. */
  onRevoked?: (id: string) => void;
}

interface Cached {
  key: VirtualKey;
  /** The stored hash (hex), compared in constant time with the presented key's. */
  hash: string;
  until: number;
  /** In `cache` under `hash` (not replaced by a later lookup, evicted or cleared since). */
  current: boolean;
}

/** Lookups remembered at most; past this the cache starts over (it only saves store reads). */
const CACHE_LIMIT = 10_000;

const ANY_MODEL: ModelScope = { allows: (allowed, model) => allowed.includes(model) };

export function createKeyService(store: KeyStore, options: KeyServiceOptions = {}): KeyService {
  const now = options.now ?? Date.now;
  const scope = options.scope ?? ANY_MODEL;
  const cacheMs = options.cacheMs ?? 1_000;
  // By the secret's hash.
  const cache = new Map<string, Cached>();
  // By the secret, while its lookup is in `cache`: that lookup, whose hash is the secret's.
  const bySecret = new Map<string, Cached>();
  // Bumped by every eviction: a lookup that started before one must not cache what it read.
  let evictions = 0;
  // Store reads under way, by hash: a cold key presented by a thousand requests at once is read
  // once, not a thousand times (each would be a database query on a shared key store). Only a
  // read that started after the latest eviction or clear is joined.
  const reading = new Map<string, { started: number; lookup: Promise<Cached | undefined> }>();

  function lookUpOnce(secret: string, hash: string, at: number): Promise<Cached | undefined> {
    // Without a cache every request reads the store itself, as configured.
    if (cacheMs <= 0) return lookUp(secret, hash, at);
    const under = reading.get(hash);
    if (under !== undefined && under.started === evictions) return under.lookup;
    const lookup = lookUp(secret, hash, at);
    const entry = { started: evictions, lookup };
    reading.set(hash, entry);
    const done = () => {
      if (reading.get(hash) === entry) reading.delete(hash);
    };
    lookup.then(done, done);
    return lookup;
  }

  async function lookUp(secret: string, hash: string, at: number): Promise<Cached | undefined> {
    let stored: StoredKey | undefined;
    const started = evictions;
    try {
      stored = await store.getByHash(hash);
    } catch {
      // The database behind the store is down: the key cannot be checked, which is not the caller's fault.
      throw new GatewayError('SERVICE_UNAVAILABLE', 'the key store is unreachable; retry shortly', {
        headers: { 'retry-after': '1' },
      });
    }
    if (stored === undefined) return undefined;
    const { hash: storedHash, ...key } = stored;
    const found: Cached = { key, hash: storedHash, until: at + cacheMs, current: false };
    // Only live keys are remembered, so a refusal is always decided by the store; and only under
    // their own hash, so that a cached lookup matches by being found (see `resolve`).
    const remembered =
      cacheMs > 0 && key.revokedAt === undefined && started === evictions && digestsEqual(storedHash, hash);
    if (remembered) {
      if (cache.size >= CACHE_LIMIT || bySecret.size >= CACHE_LIMIT) clear();
      const replaced = cache.get(hash);
      if (replaced !== undefined) replaced.current = false;
      found.current = true;
      cache.set(hash, found);
      bySecret.set(secret, found);
    } else {
      bySecret.delete(secret);
    }
    return found;
  }

  function clear(): void {
    evictions++;
    for (const cached of cache.values()) cached.current = false;
    cache.clear();
    bySecret.clear();
  }

  function evict(id: string): void {
    evictions++;
    for (const [hash, cached] of cache) {
      if (cached.key.id !== id) continue;
      cached.current = false;
      cache.delete(hash);
    }
    for (const [secret, cached] of bySecret) if (cached.key.id === id) bySecret.delete(secret);
  }

  function known(secret: string): VirtualKey | undefined {
    if (secret.length !== KEY_LENGTH) return undefined;
    const cached = bySecret.get(secret);
    if (cached === undefined) return undefined;
    // Its lookup was replaced (the next one remembers the secret again) or evicted since.
    if (!cached.current) return undefined;
    const at = now();
    if (cached.until <= at) return undefined;
    const { key } = cached;
    return key.expiresAt !== undefined && key.expiresAt <= at ? undefined : key;
  }

  function verify(found: Cached | undefined, hash: string, at: number): VirtualKey {
    if (found === undefined || !digestsEqual(found.hash, hash)) {
      throw new GatewayError('UNAUTHORIZED', 'invalid API key');
    }
    return live(found.key, at);
  }

  function live(key: VirtualKey, at: number): VirtualKey {
    if (key.revokedAt !== undefined) throw new GatewayError('UNAUTHORIZED', 'this API key has been revoked');
    if (key.expiresAt !== undefined && key.expiresAt <= at) {
      throw new GatewayError('UNAUTHORIZED', 'this API key has expired');
    }
    return key;
  }

  // `given` must be `hashVirtualKey(secret)`: it decides which key this is.
  function resolve(secret: string, given?: string): VirtualKey | Promise<VirtualKey> {
    if (secret.length !== KEY_LENGTH || !isVirtualKey(secret)) {
      throw new GatewayError('UNAUTHORIZED', 'invalid API key');
    }
    const hash = given ?? hashVirtualKey(secret);
    const at = now();
    const cached = cache.get(hash);
    // Found under `hash`, a cached lookup is the stored hash's, which `lookUp` compared already.
    if (cached !== undefined && cached.until > at) return live(cached.key, at);
    return lookUpOnce(secret, hash, at).then((found) => verify(found, hash, at));
  }

  return {
    async create(spec, creator, origin = 'master') {
      const granted = assertWithinCreator(spec, creator, scope, now());
      const secret = generateVirtualKey();
      const key: StoredKey = {
        id: `key_${randomBytes(9).toString('base64url')}`,
        hash: hashVirtualKey(secret),
        prefix: secret.slice(0, DISPLAY_LENGTH),
        name: granted.name,
        models: granted.models ?? [],
        admin: granted.admin === true,
        createdBy: creator.key?.id ?? origin,
        createdAt: now(),
      };
      if (granted.budgetUsd !== undefined) {
        key.budgetUsd = granted.budgetUsd;
        key.budgetWindow = granted.budgetWindow ?? 'total';
      }
      if (granted.rpm !== undefined) key.rpm = granted.rpm;
      if (granted.tpm !== undefined) key.tpm = granted.tpm;
      if (granted.priority !== undefined) key.priority = granted.priority;
      if (granted.project !== undefined) key.project = granted.project;
      if (granted.user !== undefined) key.user = granted.user;
      if (granted.expiresAt !== undefined) key.expiresAt = granted.expiresAt;
      if (granted.metadata !== undefined) key.metadata = granted.metadata;
      await store.create(key);
      const { hash: _hash, ...visible } = key;
      return { key: visible, secret };
    },

    async authenticate(secret) {
      return resolve(secret);
    },
    resolve,
    known,

    get: (id) => store.get(id),
    list: () => store.list(),
    async revoke(id) {
      const revoked = await store.revoke(id, now());
      if (revoked !== undefined) {
        evict(id);
        options.onRevoked?.(id);
      }
      return revoked;
    },
    evict,
    clearCache: () => {
      evictions++;
      clear();
    },
  };
}

/** The caller a live virtual key stands for. */
export function callerOf(key: VirtualKey): Caller {
  const caller: Caller = { keyId: key.id, admin: key.admin, key };
  if (key.project !== undefined) caller.project = key.project;
  if (key.user !== undefined) caller.user = key.user;
  return caller;
}
