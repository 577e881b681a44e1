import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type AccessRecord, createAccessLog } from './access-log.js';
import { createLogger, type LogLevel } from './logger.js';
import { createRedactor } from './redact.js';

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
  return { log: createAccessLog(logger, redactor), lines };
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
});
