import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCsvParser, parseCsv, readCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads plain fields and keeps empty cells as empty strings', () => {
    expect(parseCsv('a,b,c\n1,,3\n,,\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '', '3'],
      ['', '', ''],
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and newlines', () => {
    const text = 'id,answer\n1,"He said ""hi"", then left"\n2,"line one\nline two\r\nline three"\n';
    expect(parseCsv(text)).toEqual([
      ['id', 'answer'],
      ['1', 'He said "hi", then left'],
      ['2', 'line one\nline two\r\nline three'],
    ]);
  });

  it('accepts CRLF line ends, a BOM, a missing final newline and skips blank lines', () => {
    expect(parseCsv('\ufeffa,b\r\n\r\n1,2\r\n3,"4"')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('keeps a trailing empty field', () => {
    expect(parseCsv('a,\n')).toEqual([['a', '']]);
  });

  it('gives the same records whatever the chunking', () => {
    const text = 'x,y\n"a ""quoted"", multi\nline",2\r\n3,"4"\n';
    const whole = parseCsv(text);
    for (let size = 1; size <= 7; size++) {
      const parser = createCsvParser();
      const records: string[][] = [];
      for (let i = 0; i < text.length; i += size) records.push(...parser.push(text.slice(i, i + size)));
      records.push(...parser.end());
      expect(records).toEqual(whole);
    }
  });

  it('refuses an unterminated quoted field, naming the line it opened on', () => {
    expect(() => parseCsv('a,b\n1,"never closed\n2,3\n')).toThrow(/line 2/);
  });

  it('keeps text after a closing quote instead of dropping it', () => {
    expect(parseCsv('"ab"cd,e\n')).toEqual([['abcd', 'e']]);
  });
});

describe('readCsv', () => {
  it('streams records from a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-csv-'));
    try {
      const path = join(dir, 'data.csv');
      const long = 'x'.repeat(300_000); // spans several read chunks
      writeFileSync(path, `prompt,model\n"${long}\n""end""",1\nshort,0\n`);
      const records: string[][] = [];
      for await (const record of readCsv(path)) records.push(record);
      expect(records).toHaveLength(3);
      expect(records[1]![0]).toBe(`${long}\n"end"`);
      expect(records[2]).toEqual(['short', '0']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
