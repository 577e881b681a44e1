/**
 * @module mock-upstream/schema-sample
 * Builds a deterministic value that satisfies a JSON schema: the arguments of a mock tool call
 * and the content of a `json_schema` answer. It covers what tool and structured-output schemas
 * use in practice (types, enums, const, required properties, nested objects, arrays, formats,
 * numeric and length bounds, anyOf/oneOf/allOf, local `$ref`s); `pattern` is not attempted.
 */

import type { Random } from './random.js';

const WORDS = ['alpha', 'bravo', 'delta', 'echo', 'harbor', 'maple', 'nova', 'orbit', 'pixel', 'river'];
const MAX_DEPTH = 8;

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value valid against `schema`; `random` makes strings, numbers and booleans vary per request. */
export function sampleFromSchema(schema: unknown, random: Random): unknown {
  return sample(schema, random, isSchema(schema) ? schema : {}, 0);
}

function sample(schema: unknown, random: Random, root: Schema, depth: number): unknown {
  if (!isSchema(schema)) return schema === false ? null : {};
  if (depth > MAX_DEPTH) return null;
  const resolved = resolveRef(schema, root);
  if (resolved !== schema) return sample(resolved, random, root, depth + 1);

  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  const branches = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(branches) && branches.length > 0) {
    const branch = branches.find((b) => !(isSchema(b) && b['type'] === 'null')) ?? branches[0];
    return sample(branch, random, root, depth + 1);
  }
  if (Array.isArray(schema['allOf'])) return sample(mergeAllOf(schema), random, root, depth + 1);

  switch (schemaType(schema)) {
    case 'object':
      return sampleObject(schema, random, root, depth);
    case 'array':
      return sampleArray(schema, random, root, depth);
    case 'string':
      return sampleString(schema, random);
    case 'integer':
      return sampleNumber(schema, random, true);
    case 'number':
      return sampleNumber(schema, random, false);
    case 'boolean':
      return random.next() < 0.5;
    case 'null':
      return null;
    default:
      return {};
  }
}

function schemaType(schema: Schema): string {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const first = type.find((t) => t !== 'null') ?? type[0];
    return typeof first === 'string' ? first : 'object';
  }
  if (isSchema(schema['properties'])) return 'object';
  if (schema['items'] !== undefined || schema['prefixItems'] !== undefined) return 'array';
  return 'object';
}

function resolveRef(schema: Schema, root: Schema): unknown {
  const ref = schema['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#')) return schema;
  let target: unknown = root;
  for (const part of ref.slice(1).split('/')) {
    if (part === '') continue;
    if (!isSchema(target)) return {};
    target = target[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return target ?? {};
}

function mergeAllOf(schema: Schema): Schema {
  const properties: Schema = {};
  const required: unknown[] = [];
  const merged: Schema = { type: 'object', properties, required };
  for (const part of [schema, ...(schema['allOf'] as unknown[])]) {
    if (!isSchema(part)) continue;
    if (isSchema(part['properties'])) Object.assign(properties, part['properties']);
    if (Array.isArray(part['required'])) required.push(...part['required']);
    if (typeof part['type'] === 'string') merged['type'] = part['type'];
  }
  return merged;
}

function sampleObject(schema: Schema, random: Random, root: Schema, depth: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const properties = isSchema(schema['properties']) ? schema['properties'] : {};
  // With no `required` list every property is optional; filling them all reads more like real output.
  const names = Array.isArray(schema['required'])
    ? schema['required'].filter((name): name is string => typeof name === 'string')
    : Object.keys(properties);
  for (const name of names) {
    result[name] = sample(properties[name] ?? {}, random, root, depth + 1);
  }
  return result;
}

function sampleArray(schema: Schema, random: Random, root: Schema, depth: number): unknown[] {
  const prefix = Array.isArray(schema['prefixItems']) ? schema['prefixItems'] : [];
  const minItems = typeof schema['minItems'] === 'number' ? schema['minItems'] : 1;
  const maxItems = typeof schema['maxItems'] === 'number' ? schema['maxItems'] : Number.POSITIVE_INFINITY;
  const count = Math.min(Math.max(minItems, prefix.length, 1), maxItems);
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) {
    items.push(sample(i < prefix.length ? prefix[i] : (schema['items'] ?? {}), random, root, depth + 1));
  }
  return items;
}

function sampleString(schema: Schema, random: Random): string {
  let value: string;
  switch (schema['format']) {
    case 'date-time':
      value = `2024-0${1 + random.int(9)}-1${random.int(10)}T12:00:00Z`;
      break;
    case 'date':
      value = `2024-0${1 + random.int(9)}-1${random.int(10)}`;
      break;
    case 'time':
      value = `1${random.int(10)}:30:00`;
      break;
    case 'email':
      value = `${pick(random)}@example.com`;
      break;
    case 'uri':
    case 'url':
      value = `https://example.com/${pick(random)}`;
      break;
    case 'uuid':
      value = sampleUuid(random);
      break;
    default:
      value = `${pick(random)} ${pick(random)}`;
  }
  const minLength = typeof schema['minLength'] === 'number' ? schema['minLength'] : 0;
  const maxLength = typeof schema['maxLength'] === 'number' ? schema['maxLength'] : Number.POSITIVE_INFINITY;
  if (value.length < minLength) value = value.padEnd(minLength, 'x');
  if (value.length > maxLength) value = value.slice(0, maxLength);
  return value;
}

function sampleUuid(random: Random): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += random.int(16).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function sampleNumber(schema: Schema, random: Random, integer: boolean): number {
  const step = integer ? 1 : 0.01;
  let low = typeof schema['minimum'] === 'number' ? schema['minimum'] : Number.NEGATIVE_INFINITY;
  let high = typeof schema['maximum'] === 'number' ? schema['maximum'] : Number.POSITIVE_INFINITY;
  if (typeof schema['exclusiveMinimum'] === 'number') low = Math.max(low, schema['exclusiveMinimum'] + step);
  if (typeof schema['exclusiveMaximum'] === 'number')
    high = Math.min(high, schema['exclusiveMaximum'] - step);
  if (!Number.isFinite(low)) low = Number.isFinite(high) ? Math.min(0, high - 100) : 0;
  if (!Number.isFinite(high)) high = low + 100;
  let value = low + random.next() * Math.max(high - low, 0);
  const multipleOf =
    typeof schema['multipleOf'] === 'number' && schema['multipleOf'] > 0 ? schema['multipleOf'] : 0;
  if (multipleOf > 0) {
    value = Math.ceil(low / multipleOf) * multipleOf;
  } else if (integer) {
    value = Math.min(Math.max(Math.round(value), Math.ceil(low)), Math.floor(high));
  } else {
    value = Math.min(Math.max(Math.round(value * 100) / 100, low), high);
  }
  return value;
}

function pick(random: Random): string {
  return WORDS[random.int(WORDS.length)] ?? 'alpha';
}
