/**
 * @module http/auth
 * Who is calling. With `auth.master_key` set, `/v1` calls need `Authorization: Bearer KEY` or
 * `x-api-key: KEY`; the comparison is constant-time over a hash, so neither timing nor length
 * tells anything about the key. Without a master key the gateway is open (and says so at start).
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { Caller } from '../gateway/request-context.js';

export interface Authenticator {
  readonly open: boolean;
  authenticate(headers: IncomingHttpHeaders): Caller;
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

export function createAuthenticator(masterKey: string | undefined): Authenticator {
  if (masterKey === undefined || masterKey === '') {
    return { open: true, authenticate: () => ({ admin: true }) };
  }
  const expected = digest(masterKey);
  return {
    open: false,
    authenticate(headers) {
      const key = presentedKey(headers);
      if (key === undefined) {
        throw new GatewayError(
          'UNAUTHORIZED',
          'missing API key: send Authorization: Bearer <key> or x-api-key',
        );
      }
      if (!timingSafeEqual(digest(key), expected)) {
        throw new GatewayError('UNAUTHORIZED', 'invalid API key');
      }
      return { admin: true };
    },
  };
}
