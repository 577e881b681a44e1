import { describe, expect, it } from 'vitest';
import { classifyPgError, type PgFailure } from './pg-errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyPgError', () => {
  const table: Array<[string, unknown, PgFailure]> = [
    ['deadlock', withCode('40P01'), 'transient'],
    ['serialization failure', withCode('40001'), 'transient'],
    ['connection refused', withCode('ECONNREFUSED'), 'unavailable'],
    ['connection reset', withCode('ECONNRESET'), 'unavailable'],
    ['localhost tried on every address', new AggregateError([withCode('ECONNREFUSED')]), 'unavailable'],
    ['server shutting down', withCode('57P01'), 'unavailable'],
    ['server starting up', withCode('57P03'), 'unavailable'],
    ['too many connections', withCode('53300'), 'unavailable'],
    ['connection exception class', withCode('08006'), 'unavailable'],
    ['connection lost mid-query', new Error('Connection terminated unexpectedly'), 'unavailable'],
    ['connect timeout', new Error('timeout exceeded when trying to connect'), 'unavailable'],
    ['bigint out of range', withCode('22003'), 'rejected'],
    ['NUL byte in text', withCode('22021'), 'rejected'],
    ['not-null violation', withCode('23502'), 'rejected'],
    ['wrong password', withCode('28P01'), 'fatal'],
    ['unknown database', withCode('3D000'), 'fatal'],
    ['missing table', withCode('42P01'), 'fatal'],
    ['not an error object', 'boom', 'fatal'],
  ];
  it.each(table)('%s → %s', (_name, error, expected) => {
    expect(classifyPgError(error)).toBe(expected);
  });
});
