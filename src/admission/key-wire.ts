/**
 * @module admission/key-wire
 * The JSON shape of virtual keys on the admin API and in `switchyard keys --json`: the
 * `POST /admin/keys` body (snake_case, validated here once, for the HTTP route and the CLI alike)
 * and the key as it is shown — never its secret or hash, only the display prefix.
 */

import { z } from 'zod';
import { MAX_USD } from '../accounting/compute-cost.js';
import { NAME_PATTERN } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { VirtualKey } from '../storage/admission-ports.js';
import type { KeySpec } from './virtual-keys.js';

const MAX_METADATA_BYTES = 4_096;

const keySpecSchema = z.strictObject({
  name: z.string().trim().min(1).max(128),
  models: z.array(z.string().regex(NAME_PATTERN, 'not a model or route name')).max(256).optional(),
  // What nano-dollar accounting holds exactly: a larger budget failed every request of the key.
  budget_usd: z.number().finite().nonnegative().max(MAX_USD).optional(),
  budget_window: z.enum(['daily', 'monthly', 'total']).optional(),
  rpm: z.number().int().positive().max(1e9).optional(),
  tpm: z.number().int().positive().max(1e12).optional(),
  priority: z.number().int().min(0).max(9).optional(),
  project: z.string().min(1).max(128).optional(),
  user: z.string().min(1).max(256).optional(),
  admin: z.boolean().optional(),
  /** ISO 8601 time, or epoch milliseconds. */
  expires_at: z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]).optional(),
  metadata: z
    .record(z.string(), z.unknown())
    .refine((value) => JSON.stringify(value).length <= MAX_METADATA_BYTES, 'at most 4 KB of JSON')
    .optional(),
});

export type KeySpecJson = z.input<typeof keySpecSchema>;

/** Validates a `POST /admin/keys` body; INVALID_REQUEST names the first bad field. */
export function parseKeySpec(body: unknown): KeySpec {
  const parsed = keySpecSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw new GatewayError('INVALID_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`, {
      details: { field },
    });
  }
  const input = parsed.data;
  if (input.budget_window !== undefined && input.budget_usd === undefined) {
    throw new GatewayError('INVALID_REQUEST', 'budget_window needs budget_usd', {
      details: { field: 'budget_window' },
    });
  }
  const spec: KeySpec = { name: input.name };
  if (input.models !== undefined) spec.models = [...new Set(input.models)];
  if (input.budget_usd !== undefined) spec.budgetUsd = input.budget_usd;
  if (input.budget_window !== undefined) spec.budgetWindow = input.budget_window;
  if (input.rpm !== undefined) spec.rpm = input.rpm;
  if (input.tpm !== undefined) spec.tpm = input.tpm;
  if (input.priority !== undefined) spec.priority = input.priority;
  if (input.project !== undefined) spec.project = input.project;
  if (input.user !== undefined) spec.user = input.user;
  if (input.admin !== undefined) spec.admin = input.admin;
  if (input.expires_at !== undefined) {
    spec.expiresAt = typeof input.expires_at === 'number' ? input.expires_at : Date.parse(input.expires_at);
  }
  if (input.metadata !== undefined) spec.metadata = input.metadata;
  return spec;
}

export interface KeyJson {
  id: string;
  name: string;
  key_prefix: string;
  models: string[];
  budget_usd: number | null;
  budget_window: string | null;
  rpm: number | null;
  tpm: number | null;
  priority: number | null;
  project: string | null;
  user: string | null;
  admin: boolean;
  expires_at: string | null;
  metadata: Record<string, unknown> | null;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
  status: 'active' | 'revoked' | 'expired';
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function keyToJson(key: VirtualKey, now: number = Date.now()): KeyJson {
  let status: KeyJson['status'] = 'active';
  if (key.revokedAt !== undefined) status = 'revoked';
  else if (key.expiresAt !== undefined && key.expiresAt <= now) status = 'expired';
  return {
    id: key.id,
    name: key.name,
    key_prefix: `${key.prefix}…`,
    models: key.models,
    budget_usd: key.budgetUsd ?? null,
    budget_window: key.budgetWindow ?? null,
    rpm: key.rpm ?? null,
    tpm: key.tpm ?? null,
    priority: key.priority ?? null,
    project: key.project ?? null,
    user: key.user ?? null,
    admin: key.admin,
    expires_at: iso(key.expiresAt),
    metadata: key.metadata ?? null,
    created_by: key.createdBy,
    created_at: new Date(key.createdAt).toISOString(),
    revoked_at: iso(key.revokedAt),
    status,
  };
}
