/**
 * @module accounting/reports/csv
 * RFC 4180 output, so that exports open in any spreadsheet: CRLF between records, and a field
 * quoted (with its quotes doubled) exactly when it holds a comma, a quote, CR or LF — or starts or
 * ends with a space, which some importers would otherwise trim.
 *
 * Exports carry text that clients chose (tags, key projects and users), and a spreadsheet runs a
 * cell that starts with `=`, `+`, `-`, `@`, TAB or CR as a formula (`=HYPERLINK(…)` that sends
 * data away, `=cmd|…` DDE). Such a text cell gets a leading `'`, which spreadsheets read as "this
 * is text" (OWASP's CSV-injection advice); a plain number such as `-0.5` stays a number.
 */

export type CsvValue = string | number | boolean | null | undefined;

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : String(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF included. */
export function csvRecord(values: readonly CsvValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += csvField(values[i]);
  }
  return `${line}\r\n`;
}
