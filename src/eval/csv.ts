/**
 * @module eval/csv
 * An incremental RFC 4180 CSV parser for evaluation datasets. Benchmark exports carry model
 * answers with commas, doubled quotes and newlines inside quoted fields, and weigh megabytes, so
 * the parser takes the text in chunks (a record may straddle two) and hands back whole records as
 * they complete; `readCsv` streams a file through it. Lenient where exports are sloppy (a stray
 * quote inside an unquoted field is kept as text, CRLF and LF both end a record, blank lines are
 * skipped), strict where guessing would corrupt data (an unterminated quoted field is an error).
 */

import { createReadStream } from 'node:fs';

export interface CsvParser {
  /** Feeds the next piece of text; returns the records it completed. */
  push(chunk: string): string[][];
  /** Ends the input; returns the last record if the text did not end with a newline. */
  end(): string[][];
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote was seen inside a quoted field: either an escaped quote or the closing one. */
const QUOTE_IN_QUOTED = 3;
type State = typeof FIELD_START | typeof UNQUOTED | typeof QUOTED | typeof QUOTE_IN_QUOTED;

export function createCsvParser(): CsvParser {
  let state: State = FIELD_START;
  let field = '';
  let record: string[] = [];
  let line = 1;
  let quotedFrom = 0;
  let started = false;
  let skipLf = false;

  function endRecord(out: string[][]): void {
    record.push(field);
    field = '';
    // A blank line is one empty field: not a record.
    if (!(record.length === 1 && record[0] === '')) out.push(record);
    record = [];
  }

  return {
    push(chunk) {
      const out: string[][] = [];
      let text = chunk;
      if (!started && text.length > 0) {
        started = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      let i = 0;
      const n = text.length;
      while (i < n) {
        if (skipLf) {
          skipLf = false;
          if (text.charCodeAt(i) === LF) {
            i++;
            continue;
          }
        }
        switch (state) {
          case FIELD_START: {
            const c = text.charCodeAt(i);
            if (c === QUOTE) {
              state = QUOTED;
              quotedFrom = line;
              i++;
            } else state = UNQUOTED;
            break;
          }
          case UNQUOTED: {
            let j = i;
            while (j < n) {
              const c = text.charCodeAt(j);
              if (c === COMMA || c === LF || c === CR) break;
              j++;
            }
            field += text.slice(i, j);
            if (j === n) {
              i = j;
              break;
            }
            const c = text.charCodeAt(j);
            if (c === COMMA) {
              record.push(field);
              field = '';
            } else {
              line++;
              endRecord(out);
              if (c === CR) skipLf = true;
            }
            state = FIELD_START;
            i = j + 1;
            break;
          }
          case QUOTED: {
            const j = text.indexOf('"', i);
            const stop = j === -1 ? n : j;
            const piece = text.slice(i, stop);
            for (let k = piece.indexOf('\n'); k !== -1; k = piece.indexOf('\n', k + 1)) line++;
            field += piece;
            if (j === -1) {
              i = n;
              break;
            }
            state = QUOTE_IN_QUOTED;
            i = j + 1;
            break;
          }
          case QUOTE_IN_QUOTED: {
            const c = text.charCodeAt(i);
            if (c === QUOTE) {
              field += '"';
              state = QUOTED;
              i++;
            } else if (c === COMMA) {
              record.push(field);
              field = '';
              state = FIELD_START;
              i++;
            } else if (c === LF || c === CR) {
              line++;
              endRecord(out);
              if (c === CR) skipLf = true;
              state = FIELD_START;
              i++;
            } else {
              // `"abc"def`: keep the text rather than drop it; the field is malformed but readable.
              state = UNQUOTED;
            }
            break;
          }
        }
      }
      return out;
    },
    end() {
      if (state === QUOTED) {
        throw new Error(`CSV: quoted field opened on line ${quotedFrom} is never closed`);
      }
      const out: string[][] = [];
      if (state !== FIELD_START || field !== '' || record.length > 0) endRecord(out);
      state = FIELD_START;
      return out;
    },
  };
}

/** Parses a whole CSV text (for small inputs and tests). */
export function parseCsv(text: string): string[][] {
  const parser = createCsvParser();
  return [...parser.push(text), ...parser.end()];
}

/** Streams the records of a CSV file, header included, without holding the file's text. */
export async function* readCsv(path: string): AsyncGenerator<string[]> {
  const parser = createCsvParser();
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  for await (const chunk of stream) {
    yield* parser.push(chunk as string);
  }
  yield* parser.end();
}
