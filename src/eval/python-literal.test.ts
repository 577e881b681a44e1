import { describe, expect, it } from 'vitest';
import { decodeTextCell, parsePythonStringList } from './python-literal.js';

describe('parsePythonStringList', () => {
  it('decodes single- and double-quoted literals with escapes', () => {
    expect(parsePythonStringList(`['It\\'s A)\\nB)', "say \\"hi\\"", 'tab\\there']`)).toEqual([
      "It's A)\nB)",
      'say "hi"',
      'tab\there',
    ]);
  });

  it('decodes hex, unicode and octal escapes and keeps unknown ones', () => {
    expect(parsePythonStringList(`['\\x41\\u00e9\\101 \\d']`)).toEqual(['AéA \\d']);
  });

  it('returns undefined for anything that is not a list of strings', () => {
    expect(parsePythonStringList('plain text')).toBeUndefined();
    expect(parsePythonStringList("['unterminated")).toBeUndefined();
    expect(parsePythonStringList("['a'] trailing")).toBeUndefined();
    expect(parsePythonStringList('[1, 2]')).toBeUndefined();
  });

  it('reads an empty list', () => {
    expect(parsePythonStringList('[]')).toEqual([]);
  });
});

describe('decodeTextCell', () => {
  it('joins the strings of a list with blank lines and leaves other cells alone', () => {
    expect(decodeTextCell("['first', 'second']")).toBe('first\n\nsecond');
    expect(decodeTextCell('[not python')).toBe('[not python');
    expect(decodeTextCell('A')).toBe('A');
  });
});
