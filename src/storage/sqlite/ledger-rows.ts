/**
 * @module storage/sqlite/ledger-rows
 * How SQLite stores the ledger columns (storage/ledger-columns): SQLite has no booleans or JSON,
 * so `stream`, `usage_estimated` and `cache_hit` are 0/1 and the tags are JSON text; everything
 * else is stored as is. A record is encoded once, when it is appended, straight into the batch
 * being built: every value of its rows becomes a number in that batch's Float64Arrays (a numeric
 * column's own value, NaN for NULL, which SQLite stores as NULL anyway; a text column's index in
 * the batch's string table, 0 for NULL). That is the queue's copy of the record: nothing the
 * caller changes later reaches it, and nothing of it stays on the heap but its request id (an
 * array of 42 values and the boxed numbers in it, held until its batch was written, outlived
 * young-generation collections and cost the main thread more to promote than to build). A string
 * repeated within a batch (endpoint, model, provider, key id, …) is in the table once; the
 * request ids, one per record, are a list of their own, and a record's first code is its index.
 * The codes live in shared memory (SharedArrayBuffer), so posting a batch to the writer thread
 * copies none of them, and the arrays of a written batch are reused for a later one: allocating,
 * zeroing, copying and transferring fresh ones for every batch, with the page faults that came
 * with them, was most of what the ledger cost the main thread (measured at 6,700 records/s
 * through the worker writer: 2.1–2.5 µs per record then, 1.3 now). The string table belongs to
 * the batch, not to a writer thread: a batch needs nothing sent before it, whether it is a retry
 * or goes to a thread that replaced one that died.
 */

import {
  ATTEMPT_COLUMNS,
  type AttemptColumns,
  LEDGER_COLUMNS,
  type LedgerColumns,
  recordFromColumns,
  tagsFrom,
} from '../ledger-columns.js';
import type { LedgerRecord } from '../ports.js';

/** A `ledger` row as better-sqlite3 returns it. */
export type LedgerRow = Omit<LedgerColumns, 'tags' | 'stream' | 'usage_estimated' | 'cache_hit'> & {
  tags: string | null;
  stream: number;
  usage_estimated: number;
  cache_hit: number;
};

export type AttemptRow = AttemptColumns;

export type SqlValue = string | number | null;

/** The records of one batch, encoded as they are appended (the queue's copy of them). */
export interface PendingRows {
  records: number;
  /**
   * `LEDGER_WIDTH` codes per record, record after record; grown as records come. A record's
   * first code (its request id) is its index in `ids`.
   */
  ledger: Float64Array;
  attemptRows: number;
  /**
   * `ATTEMPT_WIDTH` codes per attempt: the attempts of every record, in record order. An
   * attempt's first code (its request id) is the index of its record in `ids`.
   */
  attempts: Float64Array;
  /**
   * The request ids of the records, in record order. (One string of them all, cut up by the
   * writer, cost as much to post and to build.)
   */
  ids: string[];
  /** What the codes of the other text columns point at: `strings[0]` is NULL. */
  strings: (string | null)[];
  /** Where a repeated string already is in `strings`. */
  stringCodes: Map<string, number>;
  /**
   * Per text field of a record (its slot), the string it had last and that string's code: the
   * same model, provider, key, status… record after record is found by `===` (a pointer
   * compare), without hashing it for the map.
   */
  lastText: (string | undefined)[];
  lastCode: number[];
}

/**
 * A batch as the writer inserts it. Its arrays are the queue's own, in shared memory, and may be
 * longer than its rows: the writer reads them in place, and must not change them.
 */
export interface RowBatch {
  records: number;
  /** `LEDGER_WIDTH` codes per record (see `PendingRows.ledger`). */
  ledger: Float64Array;
  attemptRows: number;
  /** `ATTEMPT_WIDTH` codes per attempt row (see `PendingRows.attempts`). */
  attempts: Float64Array;
  ids: readonly string[];
  strings: readonly (string | null)[];
}

/** The arrays of a written batch, for `createPendingRows` to build another in. */
export interface RowBuffers {
  ledger: Float64Array;
  attempts: Float64Array;
}

export const LEDGER_WIDTH = LEDGER_COLUMNS.length;
export const ATTEMPT_WIDTH = ATTEMPT_COLUMNS.length;

/** Which columns hold text (or NULL); every other column holds a number (or NULL). */
const LEDGER_TEXT = {
  request_id: true,
  timestamp: false,
  endpoint: true,
  key_id: true,
  project: true,
  user_id: true,
  tags: true,
  route: true,
  strategy: true,
  model: true,
  provider: true,
  deployment: true,
  status: true,
  error_code: true,
  http_status: false,
  stream: false,
  input_tokens: false,
  output_tokens: false,
  cached_input_tokens: false,
  cache_write_tokens: false,
  reasoning_tokens: false,
  usage_estimated: false,
  cost_nanos: false,
  latency_ms: false,
  ttft_ms: false,
  cache_hit: false,
  confidence: false,
  route_trace: true,
  feedback_rating: false,
  feedback_comment: true,
} satisfies Record<keyof LedgerColumns, boolean>;

const ATTEMPT_TEXT = {
  request_id: true,
  attempt: false,
  model: true,
  provider: true,
  deployment: true,
  status: true,
  error_code: true,
  http_status: false,
  latency_ms: false,
  input_tokens: false,
  output_tokens: false,
  cost_nanos: false,
} satisfies Record<keyof AttemptColumns, boolean>;

/** Column by column, in table order: whether the column's codes index the string table. */
export const LEDGER_TEXT_COLUMNS: readonly boolean[] = LEDGER_COLUMNS.map((column) => LEDGER_TEXT[column]);
export const ATTEMPT_TEXT_COLUMNS: readonly boolean[] = ATTEMPT_COLUMNS.map((column) => ATTEMPT_TEXT[column]);

/** The code of a NULL text value. */
const NULL_TEXT = 0;
/** How many text fields a record has (its ledger row and an attempt): `addRecord` numbers them. */
const TEXT_SLOTS = 19;

/** The INSERT statements of one size: `rows` ledger rows, or as many attempt rows, at once. */
export interface MultiRowInsert {
  rows: number;
  ledger: string;
  attempts: string;
}

// A text value is bound as its UTF-8 bytes, which SQLite stores as the same TEXT once cast (see
// sqlite-writer.ts); CAST leaves NULL, and a value bound as a string, as they are.
const values = (text: readonly boolean[]): string =>
  `(${text.map((isText) => (isText ? 'CAST(? AS TEXT)' : '?')).join(', ')})`;
const insertSql = (
  table: string,
  columns: readonly string[],
  text: readonly boolean[],
  rows: number,
): string =>
  `INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => values(text)).join(', ')}`;

/**
 * Largest first: a batch goes in as many 32-row statements as fit, then one of each smaller size
 * its remainder needs. A statement per row cost the writer thread about 22 µs of CPU per record,
 * 32-row statements about 14 (measured); 32 ledger rows bind 960 values, far below SQLite's
 * limit of 32,766.
 */
export const MULTI_ROW_INSERTS: readonly MultiRowInsert[] = [32, 16, 8, 4, 2, 1].map((rows) => ({
  rows,
  ledger: insertSql('ledger', LEDGER_COLUMNS, LEDGER_TEXT_COLUMNS, rows),
  attempts: insertSql('ledger_attempts', ATTEMPT_COLUMNS, ATTEMPT_TEXT_COLUMNS, rows),
}));
/** The request ids of the rows whose rowid is in (?, ?]: those one INSERT statement added. */
export const INSERTED_BETWEEN_SQL = 'SELECT request_id FROM ledger WHERE rowid > ? AND rowid <= ?';
export const UPDATE_FEEDBACK_SQL =
  'UPDATE ledger SET feedback_rating = ?, feedback_comment = ? WHERE request_id = ?';

/** Codes in shared memory: posted to the writer thread, they are shared, not copied. */
function sharedCodes(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/**
 * An empty batch with room for `capacity` records (it grows past that if need be), in `reuse`,
 * the arrays of a batch already written, where given.
 */
export function createPendingRows(capacity: number, reuse?: RowBuffers): PendingRows {
  return {
    records: 0,
    ledger: reuse?.ledger ?? sharedCodes(Math.max(1, capacity) * LEDGER_WIDTH),
    attemptRows: 0,
    attempts: reuse?.attempts ?? sharedCodes(Math.max(1, capacity) * ATTEMPT_WIDTH),
    ids: [],
    strings: [null],
    stringCodes: new Map(),
    lastText: new Array<string | undefined>(TEXT_SLOTS).fill(undefined),
    lastCode: new Array<number>(TEXT_SLOTS).fill(NULL_TEXT),
  };
}

/**
 * Appends the record's rows to the batch: the same values as `columnsFromRecord` and
 * `columnsFromAttempt`, encoded for SQLite, read straight off the record (on the request path:
 * no intermediate row objects). ledger-rows.test.ts holds the two to the same order.
 */
export function addRecord(rows: PendingRows, r: LedgerRecord): void {
  const record = rows.records;
  let at = record * LEDGER_WIDTH;
  rows.ledger = withRoom(rows.ledger, at + LEDGER_WIDTH);
  const ledger = rows.ledger;
  rows.ids.push(r.requestId);
  ledger[at++] = record;
  ledger[at++] = r.timestamp;
  ledger[at++] = textCode(rows, 0, r.endpoint);
  ledger[at++] = textCode(rows, 1, r.keyId);
  ledger[at++] = textCode(rows, 2, r.project);
  ledger[at++] = textCode(rows, 3, r.user);
  ledger[at++] = r.tags === undefined ? NULL_TEXT : textCode(rows, 4, JSON.stringify(r.tags));
  ledger[at++] = textCode(rows, 5, r.route);
  ledger[at++] = textCode(rows, 6, r.strategy);
  ledger[at++] = textCode(rows, 7, r.model);
  ledger[at++] = textCode(rows, 8, r.provider);
  ledger[at++] = textCode(rows, 9, r.deployment);
  ledger[at++] = textCode(rows, 10, r.status);
  ledger[at++] = textCode(rows, 11, r.errorCode);
  ledger[at++] = r.httpStatus;
  ledger[at++] = r.stream ? 1 : 0;
  ledger[at++] = r.inputTokens;
  ledger[at++] = r.outputTokens;
  ledger[at++] = r.cachedInputTokens;
  ledger[at++] = r.cacheWriteTokens;
  ledger[at++] = r.reasoningTokens;
  ledger[at++] = r.usageEstimated ? 1 : 0;
  ledger[at++] = r.costNanos;
  ledger[at++] = r.latencyMs;
  ledger[at++] = r.ttftMs ?? Number.NaN;
  ledger[at++] = r.cacheHit ? 1 : 0;
  ledger[at++] = r.confidence ?? Number.NaN;
  ledger[at++] = textCode(rows, 12, r.routeTrace);
  ledger[at++] = r.feedback?.rating ?? Number.NaN;
  ledger[at++] = textCode(rows, 13, r.feedback?.comment);
  const count = r.attempts.length;
  let a = rows.attemptRows * ATTEMPT_WIDTH;
  rows.attempts = withRoom(rows.attempts, a + count * ATTEMPT_WIDTH);
  const attempts = rows.attempts;
  for (const attempt of r.attempts) {
    attempts[a++] = record;
    attempts[a++] = attempt.attempt;
    attempts[a++] = textCode(rows, 14, attempt.model);
    attempts[a++] = textCode(rows, 15, attempt.provider);
    attempts[a++] = textCode(rows, 16, attempt.deployment);
    attempts[a++] = textCode(rows, 17, attempt.status);
    attempts[a++] = textCode(rows, 18, attempt.errorCode);
    attempts[a++] = attempt.httpStatus ?? Number.NaN;
    attempts[a++] = attempt.latencyMs;
    attempts[a++] = attempt.inputTokens;
    attempts[a++] = attempt.outputTokens;
    attempts[a++] = attempt.costNanos;
  }
  rows.attemptRows += count;
  rows.records++;
}

/** The position of `text` in the batch's string table, where it is added the first time. */
function textCode(rows: PendingRows, slot: number, text: string | null | undefined): number {
  if (text === undefined || text === null) return NULL_TEXT;
  if (rows.lastText[slot] === text) return rows.lastCode[slot] as number;
  let code = rows.stringCodes.get(text);
  if (code === undefined) {
    code = rows.strings.push(text) - 1;
    rows.stringCodes.set(text, code);
  }
  rows.lastText[slot] = text;
  rows.lastCode[slot] = code;
  return code;
}

/** `codes`, or a copy twice as large when it has no room for `length` codes. */
function withRoom(codes: Float64Array, length: number): Float64Array {
  if (length <= codes.length) return codes;
  const grown = sharedCodes(Math.max(length, codes.length * 2));
  grown.set(codes);
  return grown;
}

/** The batch to write: the queue's own arrays, not copies (see `RowBatch`). */
export function toRowBatch(rows: PendingRows): RowBatch {
  return {
    records: rows.records,
    ledger: rows.ledger,
    attemptRows: rows.attemptRows,
    attempts: rows.attempts,
    ids: rows.ids,
    strings: rows.strings,
  };
}

/**
 * Decodes one row of `text.length` columns from `codes[from]` on into `out[to]` on, all but its
 * first column, the request id, which is the caller's (see `PendingRows`). The writer thread runs
 * this very function from its source text, so it uses nothing but its parameters.
 */
export function decodeRow<Text extends string | Uint8Array | null>(
  codes: Float64Array,
  from: number,
  text: readonly boolean[],
  strings: readonly Text[],
  out: (Text | number | null)[],
  to: number,
): void {
  for (let column = 1; column < text.length; column++) {
    const code = codes[from + column] as number;
    out[to + column] = text[column] ? (strings[code] as Text) : Number.isNaN(code) ? null : code;
  }
}

/**
 * The first record with this request id in the batch, decoded as a row read from the table would
 * be; undefined if the batch has none. A linear scan: only reads of records not yet written, which
 * are rare, come here.
 */
export function findRecord(rows: PendingRows, requestId: string): LedgerRecord | undefined {
  for (let record = 0; record < rows.records; record++) {
    if (rows.ids[record] === requestId) {
      const values = new Array<SqlValue>(LEDGER_WIDTH).fill(requestId);
      decodeRow(rows.ledger, record * LEDGER_WIDTH, LEDGER_TEXT_COLUMNS, rows.strings, values, 0);
      const attempts: AttemptRow[] = [];
      for (let row = 0; row < rows.attemptRows; row++) {
        if (rows.attempts[row * ATTEMPT_WIDTH] !== record) continue;
        const attempt = new Array<SqlValue>(ATTEMPT_WIDTH).fill(requestId);
        decodeRow(rows.attempts, row * ATTEMPT_WIDTH, ATTEMPT_TEXT_COLUMNS, rows.strings, attempt, 0);
        attempts.push(rowOf<AttemptRow>(ATTEMPT_COLUMNS, attempt));
      }
      return toRecord(rowOf<LedgerRow>(LEDGER_COLUMNS, values), attempts);
    }
  }
  return undefined;
}

/** The row object better-sqlite3 would return for these values of `columns`. */
function rowOf<Row>(columns: readonly string[], values: readonly SqlValue[]): Row {
  const row: Record<string, SqlValue | undefined> = {};
  columns.forEach((column, i) => {
    row[column] = values[i];
  });
  // addRecord wrote these values from a typed record, column for column.
  return row as unknown as Row;
}

export function toRecord(row: LedgerRow, attempts: readonly AttemptRow[]): LedgerRecord {
  return recordFromColumns(
    {
      ...row,
      tags: row.tags === null ? null : tagsFrom(JSON.parse(row.tags)),
      stream: row.stream === 1,
      usage_estimated: row.usage_estimated === 1,
      cache_hit: row.cache_hit === 1,
    },
    attempts,
  );
}
