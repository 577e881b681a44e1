/**
 * @module observability/logger
 * Structured JSON logs (pino) in the seed documents' shape:
 * `{"level":"info","timestamp":"…","service":"switchyard","details":{…},"message":"…"}`.
 * Call sites read `log.info('request processed', { model, duration })`. Message, details and
 * child bindings pass the redactor before they are serialised (so sensitive keys are caught and
 * `Error`s become `{type, code, message}`); a line written any other way (a direct `pino` call)
 * is redacted whole just before it is written, so nothing reaches the output unredacted. Lines go to an
 * asynchronous sonic-boom destination (stdout or a file), gathered into writes of
 * {@link WRITE_BYTES} (or whatever came within {@link WRITE_EVERY_MS}): one write per line would
 * cost a system call and a thread-pool round trip per request once every request logs a line.
 * `flush()` waits until everything logged is written; pino writes the rest synchronously at exit.
 */

import { type Logger as PinoLogger, pino } from 'pino';
import type { Redactor } from './redact.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** What a log line carries besides its message; an `Error` is logged as `{type, code, message}`. */
export type LogDetails = Readonly<Record<string, unknown>> | Error;

export interface LoggerOptions {
  level: LogLevel | 'silent';
  /** The `service` field of every line (default `switchyard`). */
  service?: string;
  /** Append to this file (directories are created) instead of writing to stdout. */
  file?: string;
  redactor: Redactor;
  /** Write here instead (tests, embedding); takes precedence over `file`. */
  destination?: NodeJS.WritableStream;
}

export interface Logger {
  trace(message: string, details?: LogDetails): void;
  debug(message: string, details?: LogDetails): void;
  info(message: string, details?: LogDetails): void;
  warn(message: string, details?: LogDetails): void;
  error(message: string, details?: LogDetails): void;
  fatal(message: string, details?: LogDetails): void;
  /** A logger whose lines also carry these fields at the top level (e.g. `request_id`). */
  child(bindings: Readonly<Record<string, unknown>>): Logger;
  isLevelEnabled(level: LogLevel): boolean;
  /**
   * An info line whose details are already a JSON object text built from redacted values only
   * (the caller's promise): written as it is, without serialising or redacting again. For the
   * access log, one line per request. Same envelope as `info`.
   */
  infoJson(message: string, detailsJson: string): void;
  /** Resolves once every line logged so far has been handed to the operating system. */
  flush(): Promise<void>;
  /** The underlying pino logger, for libraries that take one. Its output is redacted too. */
  readonly pino: PinoLogger;
}

type SonicBoom = ReturnType<typeof pino.destination>;
/** sonic-boom in `contentMode: 'buffer'` (its types know only the string mode). */
interface BufferSink {
  write(data: Buffer): boolean;
}

let stampedMs = -1;
let stamp = '';
let secondAt = -1;
/** `,"timestamp":"2026-11-25T21:54:30.` of the second last formatted. */
let secondPrefix = '';
const MILLIS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z"`);

/**
 * pino's timestamp field. Under load nearly every line starts a new millisecond, so the date is
 * formatted once per second and the milliseconds appended (`toISOString` per line cost more than
 * the rest of an access-log line); the same millisecond reuses the last text.
 */
function isoTimestamp(): string {
  const now = Date.now();
  if (now === stampedMs) return stamp;
  stampedMs = now;
  const ms = now % 1000;
  const second = now - ms;
  if (second !== secondAt) {
    secondAt = second;
    secondPrefix = `,"timestamp":"${new Date(second).toISOString().slice(0, 20)}`;
  }
  stamp = secondPrefix + (MILLIS[ms] as string);
  return stamp;
}

const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Lines are written once this much has gathered (a write per ~200 access-log lines)… */
const WRITE_BYTES = 64 * 1024;
/** …in writes of at most this much. */
const MAX_WRITE_BYTES = 256 * 1024;
/** …or this long after the first of them. */
const WRITE_EVERY_MS = 100;
const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * Set while one of our own methods is inside pino: that line was built from redacted parts only
 * (message, details, bindings redacted before serialisation; timestamp, level and service are
 * ours), so the final pass over the whole line can be skipped. pino writes synchronously within
 * the call, so the flag cannot leak to another line.
 */
interface WriteState {
  prepared: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const { redactor } = options;
  const state: WriteState = { prepared: false };
  let sonic: SonicBoom | undefined;
  let sonicReady = false;
  let writeError: Error | undefined;
  if (options.destination === undefined) {
    sonic = pino.destination({
      dest: options.file ?? 1,
      sync: false,
      mkdir: options.file !== undefined,
      // Past this much unwritten output (a stalled disk or pipe), lines are dropped, not queued.
      maxLength: MAX_BUFFERED_BYTES,
      minLength: WRITE_BYTES,
      maxWrite: MAX_WRITE_BYTES,
      periodicFlush: WRITE_EVERY_MS,
      // Lines are handed over as bytes (see `lines` below): in its string mode sonic-boom measures
      // the UTF-8 length of everything gathered so far at every line, and re-encodes the whole
      // gathered text at every write — most of an access-log line's cost.
      contentMode: 'buffer',
    });
    sonic.once('ready', () => {
      sonicReady = true;
    });
    // A log file that cannot be opened or written (full disk, permissions) must not take the
    // gateway down with an unhandled 'error' event; flush() reports it instead.
    sonic.on('error', (error: Error) => {
      writeError ??= error;
    });
  }
  const bytes = sonic;
  // What pino writes to: each line encoded once, on its own (a few hundred bytes from the pool).
  const lines =
    bytes === undefined
      ? undefined
      : {
          write: (line: string): boolean => (bytes as unknown as BufferSink).write(Buffer.from(line)),
          flush: (callback?: (error?: Error) => void) => bytes.flush(callback),
        };
  const root = pino(
    {
      level: options.level,
      base: { service: options.service ?? 'switchyard' },
      messageKey: 'message',
      nestedKey: 'details',
      timestamp: isoTimestamp,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => (state.prepared ? line : redactor.text(line)) },
    },
    options.destination ?? lines,
  );

  async function flush(): Promise<void> {
    if (sonic !== undefined) {
      if (writeError !== undefined) throw writeError;
      await flushSonicBoom(sonic, () => sonicReady);
      return;
    }
    await new Promise<void>((resolve, reject) => root.flush((error) => (error ? reject(error) : resolve())));
  }

  return wrap(root, redactor, state, flush);
}

function wrap(
  instance: PinoLogger,
  redactor: Redactor,
  state: WriteState,
  flush: () => Promise<void>,
): Logger {
  const write = (level: LogLevel) => {
    // Stack traces are for failures and for debugging; at info and warn they are only noise.
    const stacks = level === 'error' || level === 'fatal';
    return (message: string, details?: LogDetails): void => {
      if (!instance.isLevelEnabled(level)) return;
      const text = redactor.text(message);
      const safe =
        details === undefined
          ? undefined
          : redactor.value(details, { stacks: stacks || instance.isLevelEnabled('debug') });
      state.prepared = true;
      try {
        if (safe === undefined) instance[level](text);
        else instance[level](safe as Record<string, unknown>, text);
      } finally {
        state.prepared = false;
      }
    };
  };
  const methods = Object.fromEntries(LEVELS.map((level) => [level, write(level)])) as Record<
    LogLevel,
    (message: string, details?: LogDetails) => void
  >;
  const { streamSym, chindingsSym } = pino.symbols;
  const target = instance as unknown as Record<symbol, unknown>;
  const destination = target[streamSym] as { write(line: string): unknown };
  // pino's own serialised bindings (`,"service":"switchyard"` and a child's), redacted already.
  const bindings = target[chindingsSym] as string;
  return {
    ...methods,
    child: (bindings) => wrap(instance.child(redactor.value(bindings)), redactor, state, flush),
    isLevelEnabled: (level) => instance.isLevelEnabled(level),
    infoJson(message, detailsJson) {
      if (!instance.isLevelEnabled('info')) return;
      const quoted = JSON.stringify(redactor.text(message));
      destination.write(
        `{"level":"info"${isoTimestamp()}${bindings},"details":${detailsJson},"message":${quoted}}\n`,
      );
    },
    flush,
    pino: instance,
  };
}

/**
 * sonic-boom's `flush` writes what is gathered and calls back on 'drain'. But 'drain' comes as
 * soon as less than `minLength` is left unwritten — up to {@link WRITE_BYTES} of the lines
 * before the flush may still be waiting (sonic-boom 4.2) — so the flush is repeated until
 * nothing is. Before the file is open there is nothing to flush into, so wait for 'ready'.
 */
async function flushSonicBoom(stream: SonicBoom, isReady: () => boolean): Promise<void> {
  if (!isReady()) await once(stream, 'ready');
  const unwritten = () => (stream as unknown as { _len: number })._len;
  do {
    await new Promise<void>((resolve, reject) => {
      // The lines are written before the fsync that ends a flush; a pipe or a terminal cannot be
      // fsynced (EINVAL, ENOTSUP), which is no reason to fail the flush.
      stream.flush((error) =>
        error && !UNSYNCABLE.has((error as NodeJS.ErrnoException).code ?? '') ? reject(error) : resolve(),
      );
    });
  } while (unwritten() > 0);
}

const UNSYNCABLE = new Set(['EINVAL', 'ENOTSUP', 'EROFS']);

function once(stream: SonicBoom, event: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onEvent = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      stream.off(event, onEvent);
      reject(error);
    };
    stream.once(event, onEvent);
    stream.once('error', onError);
  });
}
