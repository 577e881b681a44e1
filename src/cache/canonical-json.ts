/**
 * @module cache/canonical-json
 * One text per value, whatever order its keys were written in: object keys sorted by code unit,
 * `undefined` members left out (as JSON.stringify does), arrays kept in order, numbers as
 * JSON.stringify writes them (so `-0` and `0` agree, and non-finite numbers become `null`). Two
 * requests that mean the same thing hash to the same cache key; any difference in what they ask
 * makes a different text.
 */

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // Top-level undefined, functions and symbols have no JSON form: write null, as inside arrays.
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}
