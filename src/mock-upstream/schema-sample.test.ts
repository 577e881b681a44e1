import { describe, expect, it } from 'vitest';
import { createRandom } from './random.js';
import { sampleFromSchema } from './schema-sample.js';

describe('sampleFromSchema', () => {
  const random = () => createRandom(42);

  it('fills required properties with values of the right types', () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 20 },
        code: { type: 'string', maxLength: 3 },
        count: { type: 'integer', minimum: 5, maximum: 6 },
        ratio: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        flag: { type: 'boolean' },
        colour: { enum: ['red', 'green'] },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        when: { type: 'string', format: 'date-time' },
        nested: { type: 'object', properties: { deep: { type: ['null', 'integer'] } }, required: ['deep'] },
        optional: { type: 'string' },
      },
      required: ['name', 'code', 'count', 'ratio', 'flag', 'colour', 'tags', 'when', 'nested'],
    };
    const value = sampleFromSchema(schema, random()) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(schema.required.slice().sort());
    expect((value.name as string).length).toBeGreaterThanOrEqual(20);
    expect((value.code as string).length).toBeLessThanOrEqual(3);
    expect([5, 6]).toContain(value.count);
    expect(value.ratio as number).toBeGreaterThan(0);
    expect(value.ratio as number).toBeLessThanOrEqual(1);
    expect(typeof value.flag).toBe('boolean');
    expect(value.colour).toBe('red');
    expect(value.tags).toHaveLength(2);
    expect(Number.isNaN(Date.parse(value.when as string))).toBe(false);
    expect(Number.isInteger((value.nested as { deep: unknown }).deep)).toBe(true);
  });

  it('follows local $refs, anyOf and allOf', () => {
    const schema = {
      $defs: { point: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
      type: 'object',
      properties: {
        at: { $ref: '#/$defs/point' },
        either: { anyOf: [{ type: 'null' }, { type: 'string', const: 'fixed' }] },
        both: {
          allOf: [
            { properties: { a: { type: 'integer' } }, required: ['a'] },
            { properties: { b: { type: 'boolean' } }, required: ['b'] },
          ],
        },
      },
      required: ['at', 'either', 'both'],
    };
    const value = sampleFromSchema(schema, random()) as Record<string, Record<string, unknown>>;
    expect(typeof value.at!.x).toBe('number');
    expect(value.either).toBe('fixed');
    expect(Number.isInteger(value.both!.a)).toBe(true);
    expect(typeof value.both!.b).toBe('boolean');
  });

  it('is deterministic for a seed', () => {
    const schema = { type: 'object', properties: { s: { type: 'string' }, n: { type: 'number' } } };
    expect(sampleFromSchema(schema, createRandom(7))).toEqual(sampleFromSchema(schema, createRandom(7)));
  });
});
