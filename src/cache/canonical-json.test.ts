import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('writes the same text whatever the key order, at every depth', () => {
    const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: 'x' } };
    const b = { a: { x: 'x', y: [1, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"x","y":[1,{"p":2,"q":1}]},"b":1}');
  });

  it('leaves undefined members out, keeps null, and keeps array order', () => {
    expect(canonicalJson({ a: undefined, b: null, c: [2, 1] })).toBe('{"b":null,"c":[2,1]}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('writes numbers and strings as JSON does', () => {
    expect(canonicalJson({ n: -0, f: 0.1, big: 1e21, s: 'é"\n' })).toBe(
      '{"big":1e+21,"f":0.1,"n":0,"s":"é\\"\\n"}',
    );
    expect(canonicalJson(Number.NaN)).toBe('null');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('tells apart values that differ only in type', () => {
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson({ a: [] })).not.toBe(canonicalJson({ a: {} }));
  });
});
