import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../core/errors.js';
import type { Caller } from '../gateway/request-context.js';
import type { VirtualKey } from '../storage/admission-ports.js';
import { assertWithinCreator, type ModelScope } from './key-scope.js';
import type { KeySpec } from './virtual-keys.js';

const NOW = Date.UTC(2026, 0, 1);
// `reliable` is a route over two models.
const scope: ModelScope = {
  allows: (allowed, model) =>
    allowed.includes(model) || (allowed.includes('reliable') && ['mini', 'sonnet'].includes(model)),
};

const parent: VirtualKey = {
  id: 'key_parent',
  name: 'lead',
  prefix: 'sk-sy-abcd',
  models: ['mini', 'reliable'],
  budgetUsd: 10,
  budgetWindow: 'monthly',
  rpm: 100,
  tpm: 50_000,
  priority: 5,
  project: 'search',
  user: 'ann',
  admin: true,
  expiresAt: NOW + 30 * 86_400_000,
  createdBy: 'master',
  createdAt: NOW,
};
const byParent: Caller = { keyId: parent.id, admin: true, key: parent };
const within: KeySpec = {
  name: 'child',
  models: ['mini'],
  budgetUsd: 5,
  budgetWindow: 'total',
  rpm: 10,
  tpm: 1_000,
};

function refusal(spec: KeySpec, creator: Caller = byParent): string | undefined {
  try {
    assertWithinCreator(spec, creator, scope, NOW);
    return undefined;
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    return `${error.code} ${String(error.details?.field)}`;
  }
}

describe('assertWithinCreator', () => {
  it('lets the master key (or the open gateway) mint anything, and nobody without admin mint at all', () => {
    expect(refusal({ name: 'x', admin: true, budgetUsd: 1e6 }, { admin: true })).toBeUndefined();
    expect(refusal({ name: 'x' }, { admin: false })).toBe('FORBIDDEN admin');
    expect(refusal({ name: 'x' }, { admin: false, keyId: 'k', key: { ...parent, admin: false } })).toBe(
      'FORBIDDEN admin',
    );
  });

  const cases: [string, KeySpec, string | undefined][] = [
    ['a narrower key', within, undefined],
    ['a model reached through an allowed route', { ...within, models: ['sonnet'] }, undefined],
    ['the route itself', { ...within, models: ['reliable'] }, undefined],
    ['another model', { ...within, models: ['opus'] }, 'FORBIDDEN models'],
    ['all models', { ...within, models: [] }, 'FORBIDDEN models'],
    ['no budget', { ...within, budgetUsd: undefined, budgetWindow: undefined }, 'FORBIDDEN budget_usd'],
    ['a larger budget', { ...within, budgetUsd: 11 }, 'FORBIDDEN budget_usd'],
    ['the same budget, monthly', { ...within, budgetUsd: 10, budgetWindow: 'monthly' }, undefined],
    ['a budget renewed daily', { ...within, budgetWindow: 'daily' }, 'FORBIDDEN budget_window'],
    ['no rpm', { ...within, rpm: undefined }, 'FORBIDDEN rpm'],
    ['more rpm', { ...within, rpm: 101 }, 'FORBIDDEN rpm'],
    ['more tpm', { ...within, tpm: 50_001 }, 'FORBIDDEN tpm'],
    ['a higher priority', { ...within, priority: 6 }, 'FORBIDDEN priority'],
    ['another project', { ...within, project: 'ads' }, 'FORBIDDEN project'],
    ['another user', { ...within, user: 'bob' }, 'FORBIDDEN user'],
    ['a later expiry', { ...within, expiresAt: parent.expiresAt! + 1 }, 'FORBIDDEN expires_at'],
    ['an expiry in the past', { ...within, expiresAt: NOW - 1 }, 'INVALID_REQUEST expires_at'],
  ];
  it.each(cases)('an admin key minting %s', (_name, spec, expected) => {
    expect(refusal(spec)).toBe(expected);
  });

  it('fills in what the new key leaves out, where inheriting cannot widen it', () => {
    const granted = assertWithinCreator(within, byParent, scope, NOW);
    expect(granted).toMatchObject({
      priority: 5,
      project: 'search',
      user: 'ann',
      expiresAt: parent.expiresAt,
    });
    expect(assertWithinCreator({ ...within, priority: 1 }, byParent, scope, NOW).priority).toBe(1);
  });
});
