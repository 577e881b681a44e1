/**
 * @module http/routes/dashboard
 * The dashboard: three static files read once at start and served with strict security headers
 * (no inline script, no third-party origin, no framing). It reads the gateway's own JSON APIs
 * with the key the operator types in, kept in the browser tab's session storage only.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../../core/errors.js';
import type { HttpContext } from '../context.js';
import { sendText } from '../respond.js';

const WEB = join(fileURLToPath(new URL('.', import.meta.url)), '../../../web');

export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

const FILES: Record<string, { file: string; type: string }> = {
  '': { file: 'dashboard.html', type: 'text/html; charset=utf-8' },
  'app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  'app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

let cache: Map<string, string> | undefined;

/** Read once, on the first visit (never per request afterwards). */
function load(): Map<string, string> {
  cache ??= new Map(
    Object.entries(FILES).map(([name, { file }]) => [name, readFileSync(join(WEB, file), 'utf8')]),
  );
  return cache;
}

export function dashboard(http: HttpContext): void {
  const name =
    http.path === '/dashboard' || http.path === '/dashboard/' ? '' : http.path.slice('/dashboard/'.length);
  const entry = FILES[name];
  const body = entry ? load().get(name) : undefined;
  if (!entry || body === undefined) throw new GatewayError('NOT_FOUND', `no dashboard file ${name}`);
  sendText(http.res, 200, body, entry.type, SECURITY_HEADERS);
}
