import { describe, expect, it } from 'vitest';
import { createKeyService, hashVirtualKey } from '../admission/virtual-keys.js';
import { isGatewayError } from '../core/errors.js';
import type { Caller } from '../gateway/request-context.js';
import { createMemoryKeyStore } from '../storage/memory/memory-key-store.js';
import { createAuthenticator, presentedKey } from './auth.js';

const MASTER = 'sk-master-0123456789abcdef';

async function outcome(result: () => Caller | Promise<Caller>): Promise<Caller | string> {
  try {
    return await result();
  } catch (error) {
    if (isGatewayError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
}

describe('presentedKey', () => {
  it('takes a Bearer token or x-api-key', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
});

describe('createAuthenticator', () => {
  it('makes the master key an admin, synchronously, and refuses anything else without echoing it', async () => {
    const auth = createAuthenticator(MASTER);
    expect(auth.open).toBe(false);
    expect(auth.authenticate({ authorization: `Bearer ${MASTER}` })).toEqual({ admin: true });
    expect(await outcome(() => auth.authenticate({}))).toMatch(/^UNAUTHORIZED: missing API key/);
    const wrong = await outcome(() => auth.authenticate({ 'x-api-key': `${MASTER}x` }));
    expect(wrong).toBe('UNAUTHORIZED: invalid API key');
  });

  it('resolves a virtual key to its caller, and refuses it once revoked', async () => {
    const keys = createKeyService(createMemoryKeyStore());
    const { key, secret } = await keys.create(
      { name: 'bot', project: 'search', user: 'ann' },
      { admin: true },
    );
    const auth = createAuthenticator(MASTER, keys);
    const caller = await auth.authenticate({ authorization: `Bearer ${secret}` });
    expect(caller).toMatchObject({ keyId: key.id, project: 'search', user: 'ann', admin: false });
    expect(caller.key?.name).toBe('bot');
    await keys.revoke(key.id);
    expect(await outcome(() => auth.authenticate({ authorization: `Bearer ${secret}` }))).toBe(
      'UNAUTHORIZED: this API key has been revoked',
    );
  });

  it('is open without a master key — but still honours and checks virtual keys', async () => {
    const keys = createKeyService(createMemoryKeyStore());
    const { key, secret } = await keys.create({ name: 'bot', rpm: 5 }, { admin: true });
    const auth = createAuthenticator(undefined, keys);
    expect(auth.open).toBe(true);
    expect(auth.authenticate({})).toEqual({ admin: true });
    expect(auth.authenticate({ authorization: 'Bearer sk-anything-an-sdk-sends' })).toEqual({ admin: true });
    expect(await auth.authenticate({ 'x-api-key': secret })).toMatchObject({ keyId: key.id, admin: false });
    await keys.revoke(key.id);
    expect(await outcome(() => auth.authenticate({ 'x-api-key': secret }))).toMatch(/revoked/);
  });

  it('answers a known virtual key synchronously, with one frozen caller per key, until it lapses', async () => {
    let now = 1_000_000;
    const keys = createKeyService(createMemoryKeyStore(), { now: () => now, cacheMs: 1_000 });
    const { key, secret } = await keys.create({ name: 'bot', expiresAt: now + 500 }, { admin: true });
    const auth = createAuthenticator(MASTER, keys);
    const headers = { authorization: `Bearer ${secret}` };
    // The first request asks the store; the next ones within cacheMs are answered on the spot.
    const first = auth.authenticate(headers);
    expect(first).toBeInstanceOf(Promise);
    const caller = await first;
    const second = auth.authenticate(headers);
    expect(second).toBe(caller);
    expect(Object.isFrozen(second)).toBe(true);
    expect(caller).toMatchObject({ keyId: key.id, admin: false });
    // A cached key is still checked for expiry on every request.
    now += 499;
    expect(auth.authenticate(headers)).toBe(caller);
    now += 1;
    expect(await outcome(() => auth.authenticate(headers))).toMatch(/expired/);
    // The master key never touches the store, and its caller is shared and frozen too.
    const admin = auth.authenticate({ 'x-api-key': MASTER });
    expect(admin).toEqual({ admin: true });
    expect(Object.isFrozen(admin)).toBe(true);
  });

  it('keeps the master key first, even when a virtual key with the same secret is cached', async () => {
    // A master key shaped like a virtual key, and a key record stored under its hash.
    const secret = `sk-sy-${'m'.repeat(43)}`;
    const store = createMemoryKeyStore();
    await store.create({
      id: 'key_same',
      hash: hashVirtualKey(secret),
      prefix: secret.slice(0, 10),
      name: 'same',
      models: [],
      admin: false,
      createdBy: 'master',
      createdAt: 0,
    });
    const keys = createKeyService(store);
    await keys.authenticate(secret);
    expect(keys.known(secret)?.id).toBe('key_same');
    const auth = createAuthenticator(secret, keys);
    for (let i = 0; i < 3; i++)
      expect(auth.authenticate({ authorization: `Bearer ${secret}` })).toEqual({ admin: true });
  });
});
