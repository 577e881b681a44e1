/**
 * A strict RFC 4180 parser for tests, written apart from the writer it checks: every record ends
 * with CRLF, a quoted field ends with a quote followed by a comma or CRLF, quotes inside a quoted
 * field are doubled, an unquoted field holds no quote, CR or LF, and every record has the same
 * number of fields. Anything else throws, naming the offset.
 */
export function parseStrictCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`CSV: ${why} at offset ${i}`);
  };
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated quoted field');
        const c = text[i];
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          field += c;
          i++;
        }
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') fail('quote or LF in an unquoted field');
        field += text[i];
        i++;
      }
    }
    record.push(field);
    if (text[i] === ',') {
      i++;
      if (i >= text.length) fail('record ends after a comma');
    } else if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      records.push(record);
      record = [];
    } else fail(i >= text.length ? 'last record without CRLF' : `unexpected ${JSON.stringify(text[i])}`);
  }
  const width = records[0]?.length;
  records.forEach((r, n) => {
    if (r.length !== width)
      throw new Error(`CSV: record ${n + 1} has ${r.length} fields, header has ${width}`);
  });
  return records;
}
