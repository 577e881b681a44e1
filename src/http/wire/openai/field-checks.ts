/**
 * @module http/wire/openai/field-checks
 * The small checks the OpenAI request decoders are written with. Each failure throws
 * INVALID_REQUEST whose message starts with the exact path of the offending field
 * (`messages[2].content: …`) and whose `details.field` is that path, so a client can fix its
 * request without guessing. Hand-written rather than a schema library: they run per request.
 */

import { invalidRequest } from '../../../core/errors.js';

export function fail(field: string, problem: string): never {
  throw invalidRequest(`${field}: ${problem}`, field);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Absent and JSON `null` both mean "not set" for the optional fields of the OpenAI wire. */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

export function expectString(value: unknown, field: string): string {
  if (typeof value !== 'string') fail(field, 'expected a string');
  return value;
}

export function expectNonEmptyString(value: unknown, field: string, maxLength?: number): string {
  if (typeof value !== 'string' || value.length === 0) fail(field, 'expected a non-empty string');
  if (maxLength !== undefined && value.length > maxLength)
    fail(field, `must be at most ${maxLength} characters`);
  return value;
}

export function expectBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') fail(field, 'expected a boolean');
  return value;
}

export function expectNumberInRange(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, 'expected a number');
  if (value < min || value > max) fail(field, `must be between ${min} and ${max}`);
  return value;
}

export function expectIntegerInRange(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(field, 'expected an integer');
  if (value < min || value > max) fail(field, `must be between ${min} and ${max}`);
  return value;
}

export function expectPositiveInteger(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    fail(field, 'expected a positive integer');
  if (value > max) fail(field, `must be at most ${max}`);
  return value;
}

export function expectStringArray(value: unknown, field: string, maxItems: number): string[] {
  if (!Array.isArray(value)) fail(field, 'expected an array of strings');
  if (value.length > maxItems) fail(field, `at most ${maxItems} items are allowed`);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') fail(`${field}[${i}]`, 'expected a string');
  }
  return value as string[];
}

/** Tool and schema names: `^[a-zA-Z0-9_-]{1,maxLength}$` (OpenAI allows 64 characters, Anthropic 128). */
export function isIdentifierName(name: string, maxLength = 64): boolean {
  if (name.length === 0 || name.length > maxLength) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 95 /* _ */ ||
      c === 45; /* - */
    if (!ok) return false;
  }
  return true;
}
