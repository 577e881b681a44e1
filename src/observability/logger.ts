/**
 * @module observability/logger
 * Structured JSON logs (pino) in the seed documents' shape:
 * `{"level":"info","timestamp":"…","service":"switchyard","details":{…},"message":"…"}`.
 * Call sites read `log.info('request processed', { model, duration })`. Message, details and
 * child bindings pass the redactor before they are serialised (so sensitive keys are caught and
 * `Error`s become `{type, code, message}`); a line written any other way (a direct `pino` call)
 * is redacted whole just before it is written, so nothing reaches the output unredacted. Lines go
 * to a {@link LineSink} (stdout or a file), which encodes each into a large chunk and writes
 * chunks asynchronously: a write, or even a Buffer, per line would cost a system call or an
 * allocation per request once every request logs a line. `flush()` waits until everything
 * logged is handed to the operating system; the sink writes the rest synchronously at exit.
 */

import { type Logger as PinoLogger, pino } from 'pino';
import { LineSink } from './line-sink.js';
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
   * access log, one line per request. Same envelope as `info`. `message` is meant to be a
   * constant of the caller's: it is redacted and quoted when it differs from the last one only.
   */
  infoJson(message: string, detailsJson: string): void;
  /**
   * Resolves once every line logged so far has been handed to the operating system; rejects if
   * the output failed (a log file that cannot be opened or written, a closed pipe).
   */
  flush(): Promise<void>;
  /** The underlying pino logger, for libraries that take one. Its output is redacted too. */
  readonly pino: PinoLogger;
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
  const service = options.service ?? 'switchyard';
  const sink =
    options.destination === undefined
      ? new LineSink({
          ...(options.file === undefined ? {} : { file: options.file }),
          droppedLine: (count) =>
            `{"level":"warn"${isoTimestamp()},"service":${JSON.stringify(service)},"details":{"dropped_lines":${count}},"message":"log output fell behind; lines were dropped"}\n`,
        })
      : undefined;
  const root = pino(
    {
      level: options.level,
      base: { service },
      messageKey: 'message',
      nestedKey: 'details',
      timestamp: isoTimestamp,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => (state.prepared ? line : redactor.text(line)) },
    },
    // pino writes each line to the sink as a string, which encodes it once into its chunk.
    sink ?? options.destination,
  );

  function flush(): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      (sink ?? root).flush((error?: Error) => (error ? reject(error) : resolve())),
    );
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
      if (!enabled(instance, level)) return;
      const text = redactor.text(message);
      const safe =
        details === undefined
          ? undefined
          : redactor.value(details, { stacks: stacks || enabled(instance, 'debug') });
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
  // What an infoJson line has around its timestamp and details: the same for every line but
  // the message, which is a constant of its caller, redacted and quoted when it changes.
  const afterStamp = `${bindings},"details":`;
  let lastMessage: string | undefined;
  let lastEnd = '';
  return {
    ...methods,
    child: (bindings) => wrap(instance.child(redactor.value(bindings)), redactor, state, flush),
    isLevelEnabled: (level) => enabled(instance, level),
    infoJson(message, detailsJson) {
      if (instance.levelVal > INFO) return;
      if (message !== lastMessage) {
        lastEnd = `,"message":${JSON.stringify(redactor.text(message))}}\n`;
        lastMessage = message;
      }
      destination.write(`{"level":"info"${isoTimestamp()}${afterStamp}${detailsJson}${lastEnd}`);
    },
    flush,
    pino: instance,
  };
}

const LEVEL_VALUES = pino.levels.values as Readonly<Record<LogLevel, number>>;
const INFO = LEVEL_VALUES.info;

/**
 * pino's `isLevelEnabled` without its generality (custom levels and orderings, which these
 * loggers do not use): asked at least twice per request by the access log.
 */
function enabled(instance: PinoLogger, level: LogLevel): boolean {
  return instance.levelVal <= LEVEL_VALUES[level];
}
