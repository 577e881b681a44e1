/**
 * @module http/routes/admin-keys
 * Virtual keys over HTTP (admin only): `POST /admin/keys` mints one and is the only time its
 * secret is shown; `GET /admin/keys` and `GET /admin/keys/{id}` show keys without secret or hash
 * (the latter with the key's spend in its current budget period); `DELETE /admin/keys/{id}`
 * revokes, effective from the next request.
 */

import { type ManagedAdmission, managedAdmission } from '../../admission/create-admission.js';
import { keyToJson, parseKeySpec } from '../../admission/key-wire.js';
import { GatewayError } from '../../core/errors.js';
import { readJsonBody } from '../body.js';
import type { HttpContext } from '../context.js';
import { sendJson } from '../respond.js';

function admissionOf(http: HttpContext): ManagedAdmission {
  const admission = managedAdmission(http.gateway.admission);
  if (admission === undefined)
    throw new GatewayError('NOT_FOUND', 'virtual keys are not enabled on this gateway');
  return admission;
}

function notFound(id: string): GatewayError {
  return new GatewayError('NOT_FOUND', `no key ${id}`, { details: { id } });
}

export async function createKey(http: HttpContext): Promise<void> {
  const admission = admissionOf(http);
  const spec = parseKeySpec(await readJsonBody(http.req, http.bodyLimitBytes));
  const origin = http.gateway.config.auth.master_key ? 'master' : 'open';
  const { key, secret } = await admission.keys.create(spec, http.caller, origin);
  const { id, ...rest } = keyToJson(key, admission.now());
  sendJson(http.res, 201, { id, key: secret, ...rest });
}

export async function listKeys(http: HttpContext): Promise<void> {
  const admission = admissionOf(http);
  const keys = await admission.keys.list();
  const now = admission.now();
  sendJson(http.res, 200, { keys: keys.map((key) => keyToJson(key, now)) });
}

export async function getKey(http: HttpContext): Promise<void> {
  const admission = admissionOf(http);
  const id = http.params.id ?? '';
  const key = await admission.keys.get(id);
  if (key === undefined) throw notFound(id);
  const view = await admission.keyBudget(key);
  const budget =
    view === undefined
      ? null
      : {
          window: view.window,
          period: view.period,
          limit_usd: view.limitNanos / 1e9,
          spent_usd: view.spentNanos / 1e9,
          reserved_usd: view.reservedNanos / 1e9,
          alert_sent: view.alerted,
        };
  sendJson(http.res, 200, { ...keyToJson(key, admission.now()), budget });
}

export async function revokeKey(http: HttpContext): Promise<void> {
  const id = http.params.id ?? '';
  const key = await admissionOf(http).keys.revoke(id);
  if (key === undefined) throw notFound(id);
  sendJson(http.res, 200, {
    id: key.id,
    revoked: true,
    revoked_at: new Date(key.revokedAt ?? 0).toISOString(),
  });
}
