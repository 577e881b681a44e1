/**
 * @module http/auth
 * Who is calling. The key comes as `Authorization: Bearer KEY` or `x-api-key: KEY`. The master
 * key (`auth.master_key`) is compared in constant time over a hash, so neither timing nor length
 * tells anything about it, and makes the caller an admin. A virtual key (`sk-sy-…`) is looked up
 * by its hash in the key store — the one asynchronous case — and the caller becomes that key,
 * with its project, user, limits and scope; revoked or expired, it is refused. Anything else is
 * refused with 401, never echoing what was sent.
 *
 * Without a master key the gateway is open (and says so at start): a caller without a virtual key
 * is an admin. A virtual key is still honoured there — its budget and limits apply — and a
 * revoked one still refused, so keys behave the same whether or not a master key is set.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { callerOf, isVirtualKey, type KeyService } from '../admission/virtual-keys.js';
import { GatewayError } from '../core/errors.js';
import type { Caller } from '../gateway/request-context.js';

export interface Authenticator {
  readonly open: boolean;
  /** The caller, or a promise of it when a virtual key has to be looked up; throws UNAUTHORIZED. */
  authenticate(headers: IncomingHttpHeaders): Caller | Promise<Caller>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
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

const ADMIN: Caller = Object.freeze({ admin: true }) as Caller;

export function createAuthenticator(
  masterKey: string | undefined,
  keys?: Pick<KeyService, 'authenticate'>,
): Authenticator {
  const open = masterKey === undefined || masterKey === '';
  const expected = open ? undefined : digest(masterKey);
  const virtual = (key: string): Promise<Caller> | undefined =>
    keys !== undefined && isVirtualKey(key) ? keys.authenticate(key).then(callerOf) : undefined;

  return {
    open,
    authenticate(headers) {
      const key = presentedKey(headers);
      if (expected === undefined) {
        return (key === undefined ? undefined : virtual(key)) ?? { ...ADMIN };
      }
      if (key === undefined) {
        throw new GatewayError(
          'UNAUTHORIZED',
          'missing API key: send Authorization: Bearer <key> or x-api-key',
        );
      }
      if (timingSafeEqual(digest(key), expected)) return { ...ADMIN };
      const caller = virtual(key);
      if (caller !== undefined) return caller;
      throw new GatewayError('UNAUTHORIZED', 'invalid API key');
    },
  };
}
