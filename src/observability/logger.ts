/**
 * @module observability/logger
 * Structured JSON logs (pino) in the seed documents' shape:
 * `{"level":"info","timestamp":"…","service":"switchyard","details":{…},"message":"…"}`.
 * Call sites read `log.info('request processed', { model, duration })`. Message, details and
 * child bindings pass the redactor before they are serialised (so sensitive keys are caught and
 * `Error`s become `{type, code, message}`); a line written any other way (a direct `pino` call)
 * is redacted whole just before it is written, so nothing reaches the output unredacted. Lines go to an
 * asynchronous sonic-boom destination (stdout or a file); `flush()` waits until they are written.
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
  /** Resolves once every line logged so far has been handed to the operating system. */
  flush(): Promise<void>;
  /** The underlying pino logger, for libraries that take one. Its output is redacted too. */
  readonly pino: PinoLogger;
}

type SonicBoom = ReturnType<typeof pino.destination>;

const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
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
  const root = pino(
    {
      level: options.level,
      base: { service: options.service ?? 'switchyard' },
      messageKey: 'message',
      nestedKey: 'details',
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => (state.prepared ? line : redactor.text(line)) },
    },
    options.destination ?? sonic,
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
  return {
    ...methods,
    child: (bindings) => wrap(instance.child(redactor.value(bindings)), redactor, state, flush),
    isLevelEnabled: (level) => instance.isLevelEnabled(level),
    flush,
    pino: instance,
  };
}

/**
 * sonic-boom's own `flush` returns at once when it does not buffer (minLength 0) even while a
 * write is in flight. An empty write joins the queue instead: 'drain' follows once everything
 * before it is written. Before the file is open there is nothing to join, so wait for 'ready'.
 */
async function flushSonicBoom(stream: SonicBoom, isReady: () => boolean): Promise<void> {
  if (!isReady()) await once(stream, 'ready');
  await new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      stream.off('drain', onDrain);
      reject(error);
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
    stream.write('');
  });
}

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
