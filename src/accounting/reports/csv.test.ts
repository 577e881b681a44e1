import { describe, expect, it } from 'vitest';
import { parseStrictCsv } from './__fixtures__/strict-csv.js';
import { csvField, csvRecord } from './csv.js';

describe('csvField', () => {
  it('quotes exactly the fields that need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(' padded ')).toBe('" padded "');
    expect(csvField(12.5)).toBe('12.5');
    expect(csvField(false)).toBe('false');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField('')).toBe('');
  });
});

describe('csvRecord', () => {
  it('round-trips awkward fields through a strict RFC 4180 parser', () => {
    const rows = [
      ['id', 'text', 'n'],
      ['1', 'comma, inside', '3'],
      ['2', '"quoted" and ""doubled""', ''],
      ['3', 'line\r\nbreak and\nLF', '-1'],
      ['4', 'ünïcödé ✓ 🚀', ' '],
    ];
    const text = rows.map(csvRecord).join('');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseStrictCsv(text)).toEqual(rows);
  });

  it('is caught by the strict parser when quoting is wrong', () => {
    expect(() => parseStrictCsv('a,b\r\n"x,y\r\n')).toThrow(/unterminated/);
    expect(() => parseStrictCsv('a,b\r\nx"y,z\r\n')).toThrow(/quote/);
    expect(() => parseStrictCsv('a,b\r\nx\r\n')).toThrow(/fields/);
    expect(() => parseStrictCsv('a,b\nx,y\n')).toThrow();
  });
});
