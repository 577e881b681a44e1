import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { createLogger, type LoggerOptions } from './logger.js';
import { createRedactor } from './redact.js';

const PROVIDER_KEY = 'sk-proj-9Tq4Wm2Xv7Lp0Zr5Yb8Nc3Ad6Ef1Gh';
const MASTER_KEY = 'mk_4f1c9e7a2b8d6053e1a9';

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  const redactor = createRedactor({ secrets: [PROVIDER_KEY, MASTER_KEY] });
  const log = createLogger({ level: 'info', redactor, destination, ...options });
  return {
    log,
    lines,
    redactor,
    parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function windowsOf(secret: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) pieces.push(secret.slice(i, i + 8));
  return pieces;
}

describe('createLogger', () => {
  it('writes one JSON line per call in the seed documents shape', () => {
    const { log, parsed } = capture();
    log.info('request processed', { model: 'gpt-4', duration: 0.5 });
    log.warn('no details here');
    const [first, second] = parsed();
    expect(first).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) as string,
      level: 'info',
      service: 'switchyard',
      message: 'request processed',
      details: { model: 'gpt-4', duration: 0.5 },
    });
    expect(Number.isNaN(Date.parse(first!.timestamp as string))).toBe(false);
    expect(second).toEqual({
      timestamp: expect.any(String) as string,
      level: 'warn',
      service: 'switchyard',
      message: 'no details here',
    });
  });

  it('stamps every line with its own millisecond, as toISOString writes it', () => {
    const { log, parsed } = capture();
    const times = [
      Date.UTC(2026, 10, 25, 21, 54, 30, 0),
      Date.UTC(2026, 10, 25, 21, 54, 30, 7),
      Date.UTC(2026, 10, 25, 21, 54, 30, 7),
      Date.UTC(2026, 10, 25, 21, 54, 30, 999),
      Date.UTC(2026, 10, 25, 21, 54, 31, 0),
      Date.UTC(2026, 10, 25, 21, 54, 30, 500),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1, 0, 0, 0, 1),
      Date.UTC(1999, 1, 28, 12, 0, 0, 42),
    ];
    vi.useFakeTimers();
    try {
      for (const [i, time] of times.entries()) {
        vi.setSystemTime(time);
        if (i % 2 === 0) log.info('via pino');
        else log.infoJson('via infoJson', '{}');
      }
    } finally {
      vi.useRealTimers();
    }
    expect(parsed().map((line) => line.timestamp)).toEqual(times.map((time) => new Date(time).toISOString()));
  });

  it('honours the level and the service name', () => {
    const { log, lines } = capture({ level: 'warn', service: 'edge' });
    log.debug('hidden');
    log.info('hidden');
    log.error('shown', { n: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', service: 'edge', message: 'shown' });
    expect(log.isLevelEnabled('info')).toBe(false);
    const silent = capture({ level: 'silent' });
    silent.log.fatal('nothing');
    expect(silent.lines).toEqual([]);
  });

  it('never lets a secret through, wherever it is put in a log call', () => {
    const { log, lines } = capture({ level: 'debug' });
    const truncated = PROVIDER_KEY.slice(0, 14);
    const upstream = new GatewayError('MODEL_ERROR', `upstream said: invalid key ${PROVIDER_KEY}`, {
      details: { api_key: 'abc', echoed: `Bearer ${MASTER_KEY}` },
      cause: new Error(`socket for ${MASTER_KEY} closed`),
    });
    log.info(`key ${PROVIDER_KEY} and master ${MASTER_KEY}`);
    log.info('nested', {
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'x-api-key': 'short', accept: 'application/json' },
      attempts: [{ provider: 'openai', note: `retrying with ${truncated}…` }],
      [MASTER_KEY]: 'as a key',
      url: `https://generativelanguage.googleapis.com/v1beta/models?key=${PROVIDER_KEY}`,
      password: 12345,
    });
    log.warn('failed', { error: upstream });
    log.error('crashed', upstream);
    log.debug('deep', { a: { b: { c: [{ d: `…${PROVIDER_KEY.slice(10, 30)}…` }] } } });
    log.child({ request_id: 'req_1', virtual_key: MASTER_KEY }).info('child line', { token: 'x' });
    log.pino.info({ raw: PROVIDER_KEY }, `raw pino ${MASTER_KEY}`);

    expect(lines).toHaveLength(7);
    const output = lines.join('\n');
    for (const piece of [...windowsOf(PROVIDER_KEY), ...windowsOf(MASTER_KEY)]) {
      expect(output).not.toContain(piece);
    }
    expect(output).not.toContain('"short"');
    expect(output).not.toContain('12345');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(output).toContain('[REDACTED]');
  });

  it('logs errors as {type, code, message}, with a stack only at error level or when debugging', () => {
    const { log, parsed } = capture();
    const error = new GatewayError('TIMEOUT', 'upstream timed out');
    log.info('retrying', { error });
    log.error('gave up', error);
    const [info, failure] = parsed();
    expect(info!.details).toEqual({
      error: { type: 'GatewayError', code: 'TIMEOUT', message: 'upstream timed out' },
    });
    expect(failure!.details).toMatchObject({
      type: 'GatewayError',
      code: 'TIMEOUT',
      message: 'upstream timed out',
    });
    expect((failure!.details as { stack?: string }).stack).toContain('logger.test.ts');

    const debugging = capture({ level: 'debug' });
    debugging.log.info('retrying', { error });
    expect((debugging.parsed()[0]!.details as { error: { stack?: string } }).error.stack).toBeTypeOf(
      'string',
    );
  });

  it('puts child bindings at the top level of each line', () => {
    const { log, parsed } = capture();
    log.child({ request_id: 'req_42' }).info('hello', { a: 1 });
    expect(parsed()[0]).toMatchObject({ request_id: 'req_42', message: 'hello', details: { a: 1 } });
  });

  it('writes prepared JSON details in the same envelope as info, with child bindings, at info only', () => {
    const { log, lines, parsed } = capture();
    log.info('request', { status: 200, path: '/v1/x' });
    log.infoJson('request', '{"status":200,"path":"/v1/x"}');
    log.child({ request_id: 'req_7' }).infoJson('request', '{"a":1}');
    const [viaInfo, viaJson, viaChild] = parsed();
    const { timestamp: _first, ...infoRest } = viaInfo ?? {};
    const { timestamp: _second, ...jsonRest } = viaJson ?? {};
    expect(jsonRest).toEqual(infoRest);
    expect(Object.keys(viaJson ?? {})).toEqual(Object.keys(viaInfo ?? {}));
    expect(viaChild).toMatchObject({
      level: 'info',
      request_id: 'req_7',
      details: { a: 1 },
      message: 'request',
    });
    const quiet = capture({ level: 'warn' });
    quiet.log.infoJson('request', '{}');
    expect(quiet.lines).toHaveLength(0);
    expect(lines).toHaveLength(3);
  });

  it('quotes and redacts the message of each infoJson line, whichever came before', () => {
    const { log, parsed } = capture();
    const messages = ['request', 'other "one"', 'request', `key ${MASTER_KEY}`, 'request'];
    for (const message of messages) log.infoJson(message, '{}');
    expect(parsed().map((line) => line.message)).toEqual([
      'request',
      'other "one"',
      'request',
      'key [REDACTED]',
      'request',
    ]);
  });

  describe('to a file', () => {
    let directory: string | undefined;
    afterEach(async () => {
      if (directory) await rm(directory, { recursive: true, force: true });
    });

    it('creates the directory, writes asynchronously and flush() waits until lines are on disk', async () => {
      directory = await mkdtemp(join(tmpdir(), 'switchyard-log-'));
      const file = join(directory, 'nested', 'gateway.log');
      const redactor = createRedactor({ secrets: [MASTER_KEY] });
      const log = createLogger({ level: 'info', file, redactor });
      // Logged before the file is even open: flush must still wait for these lines.
      for (let i = 0; i < 2000; i++) log.info('line', { i, key: MASTER_KEY });
      await log.flush();
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(2000);
      expect(JSON.parse(lines[1999]!)).toMatchObject({
        message: 'line',
        details: { i: 1999, key: '[REDACTED]' },
      });
      log.info('after');
      await log.flush();
      expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2001);
    });

    it('keeps pino lines and infoJson lines in the order they were logged', async () => {
      directory = await mkdtemp(join(tmpdir(), 'switchyard-log-'));
      const file = join(directory, 'gateway.log');
      const log = createLogger({ level: 'info', file, redactor: createRedactor({ secrets: [] }) });
      for (let i = 0; i < 3000; i++) {
        if (i % 3 === 0) log.info('via pino', { i });
        else if (i % 3 === 1) log.infoJson('via infoJson', `{"i":${i}}`);
        else log.child({ request_id: `req_${i}` }).warn('via a child', { i });
      }
      await log.flush();
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines.map((line) => (JSON.parse(line) as { details: { i: number } }).details.i)).toEqual(
        Array.from({ length: 3000 }, (_, i) => i),
      );
    });

    it('drops lines past 16 MB not yet written, and says how many in a line of its own', async () => {
      directory = await mkdtemp(join(tmpdir(), 'switchyard-log-'));
      const file = join(directory, 'gateway.log');
      const log = createLogger({ level: 'info', file, redactor: createRedactor({ secrets: [] }) });
      const padding = 'x'.repeat(400);
      // Nothing is written while this loop runs: 60,000 lines of ~500 bytes are more than 16 MB.
      for (let i = 0; i < 60_000; i++) log.infoJson('request', `{"i":${i},"padding":"${padding}"}`);
      await log.flush();
      log.info('after');
      await log.flush();
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      const kept = lines.length - 2;
      expect(kept).toBeGreaterThan(30_000);
      expect(kept).toBeLessThan(40_000);
      expect(JSON.parse(lines[kept - 1]!)).toMatchObject({ details: { i: kept - 1 } });
      expect(JSON.parse(lines[kept]!)).toEqual({
        level: 'warn',
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) as string,
        service: 'switchyard',
        details: { dropped_lines: 60_000 - kept },
        message: 'log output fell behind; lines were dropped',
      });
      expect(JSON.parse(lines[kept + 1]!)).toMatchObject({ message: 'after' });
    });

    it('reports an unwritable log file through flush() instead of crashing', async () => {
      directory = await mkdtemp(join(tmpdir(), 'switchyard-log-'));
      const file = join(directory, 'nested');
      await import('node:fs/promises').then((fs) => fs.mkdir(file)); // a directory where the file should be
      const log = createLogger({ level: 'info', file, redactor: createRedactor({ secrets: [] }) });
      log.info('lost');
      await expect(log.flush()).rejects.toThrow();
    });
  });
});
