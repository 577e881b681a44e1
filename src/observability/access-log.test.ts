import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { jsonString } from '../core/json-string.js';
import { type AccessRecord, createAccessLog } from './access-log.js';
import { createLogger, type LogLevel } from './logger.js';
import { createRedactor, type Redactor } from './redact.js';

const SECRET = 'sk-live-Qm4Rt8Wz2Xc6Vb0Nk3Lp';

function capture(level: LogLevel | 'silent' = 'info') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  const redactor = createRedactor({ secrets: [SECRET] });
  const logger = createLogger({ level, redactor, destination });
  return { log: createAccessLog(logger, redactor), lines, redactor };
}

const record: AccessRecord = {
  requestId: 'req-1',
  method: 'POST',
  path: '/v1/chat/completions',
  status: 200,
  durationMs: 12.345,
  model: 'gpt-4o-mini',
  provider: 'openai',
  keyId: 'key_abc',
  costUsd: '0.00012',
  cache: 'miss',
  attempts: 2,
};

describe('access log', () => {
  it('writes one info line with the request, its outcome and its cost', () => {
    const { log, lines } = capture();
    log(record);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', message: 'request' });
    expect(line.details).toEqual({
      request_id: 'req-1',
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      duration_ms: 12.3,
      model: 'gpt-4o-mini',
      provider: 'openai',
      key_id: 'key_abc',
      cost_usd: '0.00012',
      cache: 'miss',
      attempts: 2,
    });
  });

  it('leaves out what the response did not have and marks an abandoned one', () => {
    const { log, lines } = capture();
    log({ requestId: 'req-2', method: 'GET', path: '/nope', status: 404, durationMs: 0.04, aborted: true });
    const line = JSON.parse(lines[0] ?? '{}') as { details: Record<string, unknown> };
    expect(line.details).toEqual({
      request_id: 'req-2',
      method: 'GET',
      path: '/nope',
      status: 404,
      duration_ms: 0,
      aborted: true,
    });
  });

  it('redacts a secret a client put in the path, and bounds the path', () => {
    const { log, lines } = capture();
    log({ ...record, path: `/v1/models/${SECRET}` });
    log({ ...record, path: `/v1/models/${'x'.repeat(5000)}` });
    expect(lines[0]).not.toContain(SECRET.slice(4, 16));
    expect(lines[0]).toContain('[REDACTED]');
    expect((JSON.parse(lines[1] ?? '{}') as { details: { path: string } }).details.path.length).toBeLessThan(
      300,
    );
  });

  it('writes nothing when info is below the configured level', () => {
    const { log, lines } = capture('warn');
    log(record);
    expect(lines).toEqual([]);
  });

  it('writes the duration rounded to a tenth of a millisecond, as JSON would the rounded number', () => {
    const { log, lines } = capture();
    const durations = [
      0,
      0.04,
      0.05,
      0.06,
      1,
      1.25,
      1.35,
      9.95,
      12.345,
      99.99,
      100,
      1234.56,
      65_000.04,
      1e9 + 0.3,
      5e-324,
    ];
    for (const durationMs of durations) log({ ...record, durationMs });
    const written = lines.map(
      (line) => (JSON.parse(line) as { details: { duration_ms: unknown } }).details.duration_ms,
    );
    expect(written).toEqual(durations.map((ms) => Math.round(ms * 10) / 10));
    // The text itself, not only the parsed number: no "3.0", no exponent.
    expect(lines[4]).toContain('"duration_ms":1,');
    expect(lines[5]).toContain('"duration_ms":1.3,');
  });

  it('writes lines byte for byte as the line built field by field with JSON.stringify did', () => {
    const { log, lines, redactor } = capture();
    const records: AccessRecord[] = [
      record,
      record, // the same outcome again
      { ...record, model: 'mistral-large-2411', attempts: 3 },
      { ...record, requestId: 'req-"quoted"\\back', method: 'GET', keyId: undefined, cache: undefined },
      { ...record, path: `/v1/models/${SECRET}/x`, provider: 'ünïcødé-供应商', costUsd: undefined },
      { ...record, path: '/v1/caf\u00e9/\u2028/\t\u0000/\u007f/\ud800', model: 'tab\there', aborted: true },
      { ...record, path: `/${'p'.repeat(300)}`, attempts: Number('not a number'), durationMs: Number.NaN },
      { requestId: 'req-3', method: 'DELETE', path: '/v1/keys/key_1', status: 204, durationMs: 1.26 },
      { ...record, cache: 'hit', aborted: false },
      record,
      // Each field of the outcome changed alone, then back: the last outcome's JSON must not stick.
      ...(
        [
          { model: 'other' },
          { provider: 'other' },
          { keyId: 'key_other' },
          { costUsd: '1.5' },
          { cache: 'hit' },
          { attempts: 4 },
          { aborted: true },
        ] as const
      ).flatMap((change) => [{ ...record, ...change }, record]),
    ];
    const time = Date.UTC(2026, 10, 25, 21, 54, 30, 7);
    vi.useFakeTimers();
    try {
      vi.setSystemTime(time);
      for (const each of records) log(each);
    } finally {
      vi.useRealTimers();
    }
    const stamp = new Date(time).toISOString();
    expect(lines).toEqual(records.map((each) => formerLine(each, redactor, stamp)));
    expect(lines[4]).not.toContain(SECRET.slice(4, 16));
  });

  it('writes each line its own method and path while they repeat, change and come back', () => {
    const { log, lines, redactor } = capture();
    const runtimeKey = 'vk-learned-Jx7Pq2Vn5Rc8'; // no secret's shape: redacted only once learned
    const paths = ['/v1/chat/completions', '/v1/models', `/v1/models/${runtimeKey}`, '/v1/a"b'];
    const methods = ['POST', 'GET', 'DELETE', 'P"ST'];
    const records: AccessRecord[] = [];
    for (let n = 0; n < 40; n++) {
      // New strings each time, equal to earlier ones, as a request's method and path are.
      records.push({ ...record, method: `${methods[(n >> 1) % 4]}`, path: `${paths[n % 4]}` });
    }
    // The same path just before and just after the secret is learned.
    records[20] = { ...record, path: `/v1/models/${runtimeKey}` };
    records[21] = { ...record, path: `/v1/models/${runtimeKey}` };
    const expected: string[] = [];
    for (const [n, each] of records.entries()) {
      // A secret learned at runtime: from then on the same path is written redacted.
      if (n === 21) redactor.addSecret(runtimeKey);
      log(each);
      const stamp = (JSON.parse(lines[n] ?? '{}') as { timestamp: string }).timestamp;
      expected.push(formerLine(each, redactor, stamp));
    }
    expect(lines).toEqual(expected);
    expect(lines[20]).toContain(runtimeKey);
    expect(lines.slice(21).join('\n')).not.toContain(runtimeKey.slice(6, 20));
  });

  it('writes strings as JSON.stringify does', () => {
    const samples = [
      '',
      'plain',
      'a"b',
      'a\\b',
      'tab\t',
      '\u0000\u001f',
      '\u007f',
      'é',
      '\u2028',
      '\ud83d',
      '😀',
      ' !#[]~',
    ];
    for (const sample of samples) expect(jsonString(sample)).toBe(JSON.stringify(sample));
  });
});

/** The line as the access log wrote it before it was made cheaper: details, then pino's envelope. */
function formerLine(record: AccessRecord, redactor: Redactor, timestamp: string): string {
  const path = record.path.length > 256 ? `${record.path.slice(0, 256)}…` : record.path;
  const finite = (value: number) => (Number.isFinite(value) ? String(value) : 'null');
  let json =
    '{"request_id":' +
    JSON.stringify(record.requestId) +
    ',"method":' +
    JSON.stringify(record.method) +
    ',"path":' +
    JSON.stringify(redactor.text(path)) +
    ',"status":' +
    finite(record.status) +
    ',"duration_ms":' +
    finite(Math.round(record.durationMs * 10) / 10);
  if (record.model !== undefined) json += ',"model":' + JSON.stringify(record.model);
  if (record.provider !== undefined) json += ',"provider":' + JSON.stringify(record.provider);
  if (record.keyId !== undefined) json += ',"key_id":' + JSON.stringify(record.keyId);
  if (record.costUsd !== undefined) json += ',"cost_usd":' + JSON.stringify(record.costUsd);
  if (record.cache !== undefined) json += ',"cache":' + JSON.stringify(record.cache);
  if (record.attempts !== undefined) json += ',"attempts":' + finite(record.attempts);
  if (record.aborted === true) json += ',"aborted":true';
  return `{"level":"info","timestamp":"${timestamp}","service":"switchyard","details":${json}},"message":"request"}`;
}
