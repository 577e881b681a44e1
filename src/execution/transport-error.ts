/**
 * @module execution/transport-error
 * Maps what undici throws (refused connections, resets, timeouts, aborts) to gateway errors,
 * deciding once whether another attempt may help.
 */

import { GatewayError } from '../core/errors.js';

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

export function transportError(error: unknown, provider: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const codeText = typeof code === 'string' ? code : undefined;
  if (codeText !== undefined && TIMEOUT_CODES.has(codeText)) {
    return new GatewayError('TIMEOUT', `upstream ${provider} timed out`, {
      details: { provider, reason: codeText },
      cause: error,
    });
  }
  return new GatewayError('MODEL_UNAVAILABLE', `upstream ${provider} could not be reached`, {
    details: { provider, reason: codeText ?? 'connection failed' },
    cause: error,
  });
}

export function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  // undici rejects with the signal's reason: a TimeoutError DOMException for AbortSignal.timeout.
  return (
    name === 'AbortError' || name === 'TimeoutError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR'
  );
}
