/**
 * @module storage/key-rows
 * What every KeyStore backend shares: the one mapping between a StoredKey and its table row (one
 * column per field, an absent optional field as NULL, so "not set" survives the round trip), how
 * a patch changes a key, and the view without the hash that everyone but the authenticator gets.
 * The columns here hold native values; a backend only encodes what its driver cannot store as is
 * (SQLite has no arrays, booleans or JSON).
 */

import type { BudgetWindow, KeyPatch, StoredKey, VirtualKey } from './admission-ports.js';

/** A `virtual_keys` row, column for column, with native values. */
export interface KeyColumns {
  id: string;
  key_hash: string;
  key_prefix: string;
  name: string;
  models: string[];
  budget_usd: number | null;
  budget_window: string | null;
  rpm: number | null;
  tpm: number | null;
  priority: number | null;
  project: string | null;
  user_id: string | null;
  admin: boolean;
  expires_at: number | null;
  metadata: Record<string, unknown> | null;
  created_by: string;
  created_at: number;
  revoked_at: number | null;
}

/** The column names, in table order (`id` first). */
export const KEY_COLUMNS = Object.keys({
  id: 0,
  key_hash: 0,
  key_prefix: 0,
  name: 0,
  models: 0,
  budget_usd: 0,
  budget_window: 0,
  rpm: 0,
  tpm: 0,
  priority: 0,
  project: 0,
  user_id: 0,
  admin: 0,
  expires_at: 0,
  metadata: 0,
  created_by: 0,
  created_at: 0,
  revoked_at: 0,
} satisfies Record<keyof KeyColumns, 0>) as ReadonlyArray<keyof KeyColumns>;

/** The row for a key; it shares the key's `models` and `metadata`, so encode it before the key changes. */
export function toKeyColumns(key: StoredKey): KeyColumns {
  return {
    id: key.id,
    key_hash: key.hash,
    key_prefix: key.prefix,
    name: key.name,
    models: key.models,
    budget_usd: key.budgetUsd ?? null,
    budget_window: key.budgetWindow ?? null,
    rpm: key.rpm ?? null,
    tpm: key.tpm ?? null,
    priority: key.priority ?? null,
    project: key.project ?? null,
    user_id: key.user ?? null,
    admin: key.admin,
    expires_at: key.expiresAt ?? null,
    metadata: key.metadata ?? null,
    created_by: key.createdBy,
    created_at: key.createdAt,
    revoked_at: key.revokedAt ?? null,
  };
}

/** The key a row holds; takes ownership of the row's `models` and `metadata`. */
export function fromKeyColumns(row: KeyColumns): StoredKey {
  const key: StoredKey = {
    id: row.id,
    hash: row.key_hash,
    prefix: row.key_prefix,
    name: row.name,
    models: row.models,
    admin: row.admin,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
  if (row.budget_usd !== null) key.budgetUsd = row.budget_usd;
  if (row.budget_window !== null) key.budgetWindow = row.budget_window as BudgetWindow;
  if (row.rpm !== null) key.rpm = row.rpm;
  if (row.tpm !== null) key.tpm = row.tpm;
  if (row.priority !== null) key.priority = row.priority;
  if (row.project !== null) key.project = row.project;
  if (row.user_id !== null) key.user = row.user_id;
  if (row.expires_at !== null) key.expiresAt = row.expires_at;
  if (row.metadata !== null) key.metadata = row.metadata;
  if (row.revoked_at !== null) key.revokedAt = row.revoked_at;
  return key;
}

/** The key as everyone but the authenticator sees it. */
export function withoutHash(key: StoredKey): VirtualKey {
  const { hash: _hash, ...rest } = key;
  return rest;
}

/** Applies a patch in place: `null` deletes an optional field, `undefined` leaves it alone. */
export function applyPatch(key: VirtualKey, patch: KeyPatch): void {
  const target = key as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      if (field === 'models') key.models = [];
      else if (field === 'admin') key.admin = false;
      else if (field !== 'name') delete target[field];
      continue;
    }
    target[field] = Array.isArray(value) ? [...value] : isRecord(value) ? structuredClone(value) : value;
  }
}

/**
 * The error `create` rejects with when the id or the secret's hash is taken. It names neither the
 * hash nor the driver's error, whose detail would quote the hash.
 */
export function duplicateKeyError(field: 'id' | 'hash', id: string): Error {
  return new Error(
    field === 'id' ? `a key with id ${id} already exists` : 'a key with this secret already exists',
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
