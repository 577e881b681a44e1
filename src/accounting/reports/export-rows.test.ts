import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fullRecord, minimalRecord } from '../../storage/ledger.contract.js';
import { createMemoryLedger } from '../../storage/memory/memory-ledger.js';
import type { Ledger, LedgerRecord } from '../../storage/ports.js';
import { createSqliteLedger } from '../../storage/sqlite/sqlite-ledger.js';
import { parseStrictCsv } from './__fixtures__/strict-csv.js';
import { EXPORT_COLUMNS, encodeExport, scanLedger } from './export-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** The documented columns, written out independently of the code. */
const DOCUMENTED =
  'request_id,timestamp,endpoint,key_id,project,user,tags,route,strategy,model,provider,deployment,status,' +
  'error_code,http_status,stream,input_tokens,output_tokens,cached_input_tokens,cache_write_tokens,' +
  'reasoning_tokens,usage_estimated,cost_usd,latency_ms,ttft_ms,cache_hit,confidence,attempts,feedback_rating';

/** A record whose text fields hold everything CSV must quote. */
function awkward(): LedgerRecord {
  return fullRecord(1, {
    requestId: 'req-awkward',
    user: 'O\'Brien, "Bob"',
    project: 'line one\r\nline two',
    tags: ['a,b', 'say "x"', 'multi\nline'],
    costNanos: 3_000_000_007,
    feedback: { rating: 4.5, comment: 'not exported' },
  });
}

async function text(chunks: AsyncIterable<string>): Promise<{ text: string; chunks: number }> {
  let out = '';
  let n = 0;
  for await (const chunk of chunks) {
    out += chunk;
    n++;
  }
  return { text: out, chunks: n };
}

async function* from(records: readonly LedgerRecord[]): AsyncGenerator<LedgerRecord> {
  yield* records;
}

describe('encodeExport — CSV', () => {
  it('writes the documented header and one strictly valid RFC 4180 row per request', async () => {
    const records = [awkward(), minimalRecord('req-min', Date.UTC(2026, 0, 2, 3, 4, 5, 6))];
    const { text: csv } = await text(encodeExport(from(records), 'csv'));
    const [header, first, second, ...rest] = parseStrictCsv(csv);
    expect(header?.join(',')).toBe(DOCUMENTED);
    expect(rest).toEqual([]);
    const row = Object.fromEntries(EXPORT_COLUMNS.map((column, i) => [column, first?.[i]]));
    expect(row).toMatchObject({
      request_id: 'req-awkward',
      timestamp: '2026-01-01T00:00:01.000Z',
      user: 'O\'Brien, "Bob"',
      project: 'line one\r\nline two',
      tags: 'a,b;say "x";multi\nline',
      status: 'ok',
      http_status: '200',
      stream: 'true',
      input_tokens: '1001',
      cached_input_tokens: '200',
      usage_estimated: 'false',
      cost_usd: '3.000000007',
      latency_ms: '812.5',
      ttft_ms: '120.25',
      cache_hit: 'false',
      confidence: '0.875',
      attempts: '2',
      feedback_rating: '4.5',
    });
    const bare = Object.fromEntries(EXPORT_COLUMNS.map((column, i) => [column, second?.[i]]));
    expect(bare).toMatchObject({
      timestamp: '2026-01-02T03:04:05.006Z',
      key_id: '',
      tags: '',
      model: '',
      cost_usd: '0.00',
      ttft_ms: '',
      confidence: '',
      attempts: '0',
      feedback_rating: '',
    });
  });

  it('writes only the header for no requests', async () => {
    expect((await text(encodeExport(from([]), 'csv'))).text).toBe(`${DOCUMENTED}\r\n`);
  });
});

describe('encodeExport — JSON', () => {
  it('writes a JSON array with the same columns, typed', async () => {
    const { text: json } = await text(encodeExport(from([awkward()]), 'json'));
    const [row] = JSON.parse(json) as Record<string, unknown>[];
    expect(Object.keys(row ?? {})).toEqual(DOCUMENTED.split(','));
    expect(row).toMatchObject({
      tags: ['a,b', 'say "x"', 'multi\nline'],
      stream: true,
      http_status: 200,
      cost_usd: '3.000000007',
      feedback_rating: 4.5,
      key_id: 'key-1',
    });
    expect(JSON.parse((await text(encodeExport(from([]), 'json'))).text)).toEqual([]);
  });
});

describe.each([
  ['memory', (): Ledger => createMemoryLedger()],
  ['sqlite', (): Ledger => createSqliteLedger({ path: join(dir, `export-${files++}.db`) })],
])('exporting a %s ledger', (_, make) => {
  it('streams 5,000 requests oldest first in chunks, filtered like the ledger query', async () => {
    const ledger = make();
    for (let i = 4_999; i >= 0; i--) ledger.append(fullRecord(i));
    const { text: csv, chunks } = await text(encodeExport(scanLedger(ledger, {}), 'csv'));
    const rows = parseStrictCsv(csv);
    expect(rows).toHaveLength(5_001);
    expect(chunks).toBeGreaterThan(10);
    expect(rows[1]?.[0]).toBe(fullRecord(0).requestId);
    expect(rows[5_000]?.[0]).toBe(fullRecord(4_999).requestId);
    const sum = rows.slice(1).reduce((total, row) => total + Math.round(Number(row[22]) * 1e9), 0);
    expect(sum).toBe(
      Array.from({ length: 5_000 }, (_, i) => fullRecord(i).costNanos).reduce((a, b) => a + b),
    );

    const tagged = parseStrictCsv(
      (await text(encodeExport(scanLedger(ledger, { keyId: 'key-1' }, 'n7'), 'csv'))).text,
    );
    expect(tagged.slice(1).map((row) => row[0])).toEqual([fullRecord(7).requestId]);
    await ledger.close();
  });
});
