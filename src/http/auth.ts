/**
 * @module http/auth
 * Who is calling. The key comes as `Authorization: Bearer KEY` or `x-api-key: KEY`. The master
 * key (`auth.master_key`) is hashed once at start; a presented key is hashed once per request and
 * the digests compared in constant time, so neither timing nor length tells anything about it —
 * except a live virtual key whose lookup is cached and that was told from the master key once
 * already (`KeyService.known`): that one is answered at once, with nothing hashed or compared.
 * It makes the caller an admin. A virtual key (`sk-sy-…`) is looked up by its hash in the key
 * store — asynchronous only when its lookup is not cached — and the caller becomes that key,
 * with its project, user, limits and scope; revoked or expired, it is refused. Anything else is
 * refused with 401, never echoing what was sent. Callers are frozen and reused (one per key
 * record, one for admins): nothing downstream may change who asked.
 *
 * Without a master key the gateway is open (and says so at start): a caller without a virtual key
 * is an admin. A virtual key is still honoured there — its budget and limits apply — and a
 * revoked one still refused, so keys behave the same whether or not a master key is set.
 */

import type { IncomingHttpHeaders } from 'node:http';
import {
  callerOf,
  digestsEqual,
  hashVirtualKey,
  isVirtualKey,
  type KeyService,
} from '../admission/virtual-keys.js';
import { GatewayError } from '../core/errors.js';
import type { Caller } from '../gateway/request-context.js';
import type { VirtualKey } from '../storage/admission-ports.js';

export interface Authenticator {
  readonly open: boolean;
  /** The caller, or a promise of it when a virtual key has to be looked up; throws UNAUTHORIZED. */
  authenticate(headers: IncomingHttpHeaders): Caller | Promise<Caller>;
}

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const space = authorization.indexOf(' ');
    if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer') {
      const token = authorization.slice(space + 1).trim();
      if (token !== '') return token;
    }
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}

const ADMIN: Caller = Object.freeze({ admin: true });

export function createAuthenticator(
  masterKey: string | undefined,
  keys?: Pick<KeyService, 'resolve' | 'known'>,
): Authenticator {
  const open = masterKey === undefined || masterKey === '';
  const expected = open ? undefined : hashVirtualKey(masterKey);
  // Key records are reused while their lookup is cached: one caller per record. With a master
  // key, a record has a caller only once a key of it was hashed and found not to be the master key.
  const callers = new WeakMap<VirtualKey, Caller>();
  const callerFor = (key: VirtualKey): Caller => {
    let caller = callers.get(key);
    if (caller === undefined) {
      caller = Object.freeze(callerOf(key));
      callers.set(key, caller);
    }
    return caller;
  };
  const virtual = (key: string, digest?: string): Caller | Promise<Caller> | undefined => {
    if (keys === undefined || !isVirtualKey(key)) return undefined;
    const found = keys.resolve(key, digest);
    return found instanceof Promise ? found.then(callerFor) : callerFor(found);
  };

  return {
    open,
    authenticate(headers) {
      const key = presentedKey(headers);
      if (key !== undefined && keys !== undefined) {
        const known = keys.known(key);
        const caller = known === undefined ? undefined : callers.get(known);
        if (caller !== undefined) return caller;
      }
      if (expected === undefined) {
        return (key === undefined ? undefined : virtual(key)) ?? ADMIN;
      }
      if (key === undefined) {
        throw new GatewayError(
          'UNAUTHORIZED',
          'missing API key: send Authorization: Bearer <key> or x-api-key',
        );
      }
      const digest = hashVirtualKey(key);
      if (digestsEqual(digest, expected)) return ADMIN;
      const caller = virtual(key, digest);
      if (caller !== undefined) return caller;
      throw new GatewayError('UNAUTHORIZED', 'invalid API key');
    },
  };
}
