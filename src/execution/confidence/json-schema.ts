/**
 * @module execution/confidence/json-schema
 * A small JSON Schema checker for judging structured answers: `type` (one or a list, with
 * `integer`), `enum`, `const`, `required`, `properties`, `additionalProperties: false`, `items`,
 * `minItems`/`maxItems`, `minimum`/`maximum`, `minLength`/`maxLength`, and `anyOf`/`oneOf` (as
 * "at least one"). What a confidence score needs is "does this answer have the asked shape", not
 * a full validator, so `$ref`, formats and patterns are not checked (they pass). No dependency.
 */

export interface SchemaProblem {
  /** JSON-pointer-like path: `/items/2/name`. */
  path: string;
  message: string;
}

type Schema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeOf(value) === type;
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function check(schema: Schema, value: unknown, path: string, problems: SchemaProblem[], limit: number): void {
  if (problems.length >= limit) return;
  const type = schema['type'];
  if (typeof type === 'string' || Array.isArray(type)) {
    const types = typeof type === 'string' ? [type] : type.filter((t): t is string => typeof t === 'string');
    if (!types.some((t) => typeMatches(t, value))) {
      problems.push({ path: path || '/', message: `expected ${types.join(' or ')}, got ${typeOf(value)}` });
      return;
    }
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].some((option) => equal(option, value))) {
    problems.push({ path: path || '/', message: 'not one of the allowed values' });
  }
  if ('const' in schema && !equal(schema['const'], value)) {
    problems.push({ path: path || '/', message: 'not the required constant' });
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const fits = options.some((option) => {
        if (!isSchema(option)) return true;
        const inner: SchemaProblem[] = [];
        check(option, value, path, inner, 1);
        return inner.length === 0;
      });
      if (!fits) problems.push({ path: path || '/', message: `matches none of ${key}` });
    }
  }
  if (typeof value === 'number') {
    const min = schema['minimum'];
    const max = schema['maximum'];
    if (typeof min === 'number' && value < min) problems.push({ path: path || '/', message: `below ${min}` });
    if (typeof max === 'number' && value > max) problems.push({ path: path || '/', message: `above ${max}` });
  }
  if (typeof value === 'string') {
    const min = schema['minLength'];
    const max = schema['maxLength'];
    if (typeof min === 'number' && value.length < min)
      problems.push({ path: path || '/', message: 'too short' });
    if (typeof max === 'number' && value.length > max)
      problems.push({ path: path || '/', message: 'too long' });
  }
  if (Array.isArray(value)) {
    const min = schema['minItems'];
    const max = schema['maxItems'];
    if (typeof min === 'number' && value.length < min)
      problems.push({ path: path || '/', message: 'too few items' });
    if (typeof max === 'number' && value.length > max)
      problems.push({ path: path || '/', message: 'too many items' });
    const items = schema['items'];
    if (isSchema(items)) {
      for (let i = 0; i < value.length; i++) check(items, value[i], `${path}/${i}`, problems, limit);
    }
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const required = schema['required'];
    if (Array.isArray(required)) {
      for (const key of required) {
        if (typeof key === 'string' && !(key in record)) {
          problems.push({ path: `${path}/${key}`, message: 'required property missing' });
        }
      }
    }
    const properties = isSchema(schema['properties']) ? schema['properties'] : {};
    for (const [key, child] of Object.entries(record)) {
      const sub = properties[key];
      if (isSchema(sub)) check(sub, child, `${path}/${key}`, problems, limit);
      else if (schema['additionalProperties'] === false) {
        problems.push({ path: `${path}/${key}`, message: 'property not allowed' });
      } else if (isSchema(schema['additionalProperties'])) {
        check(schema['additionalProperties'], child, `${path}/${key}`, problems, limit);
      }
    }
  }
}

/** Problems of `value` against `schema` (at most `limit`); empty when it fits. */
export function validateJsonSchema(schema: unknown, value: unknown, limit = 5): SchemaProblem[] {
  if (!isSchema(schema)) return [];
  const problems: SchemaProblem[] = [];
  check(schema, value, '', problems, limit);
  return problems.slice(0, limit);
}
