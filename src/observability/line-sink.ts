/**
 * @module observability/line-sink
 * Where log lines go by default: standard output, or a file appended to (its directory created).
 * Each line is encoded straight into a large preallocated chunk — no Buffer, array entry or
 * other object per line, so nothing a line leaves behind outlives the next scavenge. A full
 * chunk ({@link CHUNK_BYTES}; a longer line gets a buffer of its own) is written with one
 * asynchronous `fs.write` while the next one fills, one write in flight at a time, and returns
 * to a small free list, so a steady stream of lines allocates nothing. A chunk that has not
 * filled is written {@link FLUSH_EVERY_MS} after its first line.
 *
 * Nothing is lost silently. Past {@link MAX_BUFFERED_BYTES} not yet written (a stalled disk or
 * reader) lines are dropped, not queued, but counted, and once writing resumes the count goes
 * out in a line of its own. A write that fails (EPIPE, ENOSPC) does not throw: the chunk's lines
 * are counted as dropped and the first error is kept for `flush`. A partial write or EAGAIN
 * (standard output can be a non-blocking pipe) is retried. At process exit what is still
 * buffered is written synchronously, after the write in flight if there is one: Node finishes
 * that one (the thread pool's) before the process ends, but cannot say when — on an output stalled
 * at that moment, the lines written at exit could land before it, or on a pipe amid it.
 */

import { close as closeFd, mkdir, mkdirSync, open, openSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Lines gather in chunks of this size: a write per ~200 access-log lines. */
export const CHUNK_BYTES = 64 * 1024;
/** Past this much not yet written, lines are dropped (and counted). */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** A line is written at most this long after it was logged (unless the output is stalled). */
export const FLUSH_EVERY_MS = 100;
/** How long to wait before writing again to an output that was full (EAGAIN). */
const RETRY_MS = 10;
/** Written chunks kept for reuse; more than one or two are only needed while the output lags. */
const SPARE_CHUNKS = 4;
/** A UTF-16 code unit never needs more than three bytes of UTF-8 (a surrogate pair needs four for two). */
const MAX_BYTES_PER_UNIT = 3;
/** At exit, give up on an output that accepted nothing for this long (a reader that never reads). */
const EXIT_PATIENCE_MS = 10_000;

export interface LineSinkOptions {
  /** Append to this file (its directory is created) instead of writing to `fd`. */
  file?: string;
  /** Written to when there is no `file` (default 1, standard output); never closed by the sink. */
  fd?: number;
  chunkBytes?: number;
  maxBufferedBytes?: number;
  flushEveryMs?: number;
  /** The line, ending in a newline, that reports `count` dropped lines (default: a bare JSON line). */
  droppedLine?: (count: number) => string;
}

interface FlushRequest {
  /** Settled once this many bytes have been written or given up on. */
  until: number;
  callback: (error?: Error) => void;
}

/** Sinks holding unwritten bytes; the exit hook writes them. Holding one keeps it alive for that. */
const unwritten = new Set<LineSink>();
function writeAllAtExit(): void {
  for (const sink of unwritten) sink.writeOutSync();
}

/** Lines (strings ending in a newline) in, chunked asynchronous writes out; see the module comment. */
export class LineSink {
  private fd: number;
  private readonly file: string | undefined;
  private readonly chunkBytes: number;
  private limit: number;
  private readonly flushEveryMs: number;
  private readonly droppedLine: (count: number) => string;

  /** The chunk being filled, and how much of it is. */
  private chunk: Buffer;
  private used = 0;
  /** Chunks waiting to be written, oldest first, with the end of their lines. */
  private readonly sealed: Buffer[] = [];
  private readonly sealedEnds: number[] = [];
  /** How much of `sealed[0]` is written already (after a partial write). */
  private head = 0;
  private readonly spare: Buffer[] = [];
  private writing = false;
  private retrying: NodeJS.Timeout | undefined;

  /** Bytes accepted but not yet written or given up on. */
  private buffered = 0;
  /** Totals since the start, which `flush` compares. */
  private accepted = 0;
  private settled = 0;
  private dropped = 0;
  private error: Error | undefined;
  private readonly flushes: FlushRequest[] = [];

  private timer: NodeJS.Timeout | undefined;
  /** Set while the timer will fire; whenever the chunk being filled holds a line, it is. */
  private armed = false;
  private stopped = false;
  /** Past the exit hook: a line logged later (by another exit handler) is written at once. */
  private exited = false;

  constructor(options: LineSinkOptions = {}) {
    this.file = options.file;
    this.fd = options.file === undefined ? (options.fd ?? 1) : -1;
    this.chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    this.limit = options.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
    this.flushEveryMs = options.flushEveryMs ?? FLUSH_EVERY_MS;
    this.droppedLine = options.droppedLine ?? ((count) => `{"dropped_lines":${count}}\n`);
    this.chunk = Buffer.allocUnsafeSlow(this.chunkBytes);
    if (options.file !== undefined) this.openFile(options.file);
  }

  /** Takes one line; false when it was dropped (counted) because too much is waiting already. */
  write(line: string): boolean {
    if (this.buffered >= this.limit || this.dropped !== 0) return this.writeAfterDrops(line);
    this.put(line);
    return true;
  }

  /**
   * Calls back once every line taken before the call has been handed to the operating system
   * (not fsynced), with the first write error there ever was, if any: a failed write is lost.
   */
  flush(callback: (error?: Error) => void): void {
    this.seal();
    if (this.settled >= this.accepted) callback(this.error);
    else this.flushes.push({ until: this.accepted, callback });
  }

  /** Flushes, then stops: later lines are dropped, the file (not a given fd) is closed. */
  close(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.flush((error) => {
        this.stopped = true;
        this.limit = 0;
        clearTimeout(this.timer);
        clearTimeout(this.retrying);
        this.forget();
        const done = () => (error === undefined ? resolve() : reject(error));
        if (this.file !== undefined && this.fd >= 0) closeFd(this.fd, done);
        else done();
      });
    });
  }

  /**
   * Writes everything buffered synchronously: at process exit only, when no callback will run
   * again. A chunk whose asynchronous write is in flight is left to it.
   */
  writeOutSync(): void {
    this.stopped = true;
    this.exited = true;
    this.limit = 0;
    this.forget();
    if (this.fd < 0 && !this.openFileSync()) return;
    if (this.used > 0) {
      this.sealed.push(this.chunk);
      this.sealedEnds.push(this.used);
      this.used = 0;
    }
    try {
      for (let i = this.writing ? 1 : 0; i < this.sealed.length; i++) {
        writeFullySync(this.fd, this.sealed[i]!, i === 0 ? this.head : 0, this.sealedEnds[i]!);
      }
      if (this.dropped !== 0) writeFullySync(this.fd, Buffer.from(this.droppedLine(this.dropped)));
    } catch {
      // The output is gone (EPIPE) or full: there is nowhere left to report it.
    }
    this.sealed.length = 0;
    this.sealedEnds.length = 0;
    this.buffered = 0;
    this.dropped = 0;
  }

  private put(line: string): void {
    if (this.used === 0) this.firstInChunk();
    const { chunk, used } = this;
    // Encoding straight away, without measuring first, when the line surely fits.
    if (line.length * MAX_BYTES_PER_UNIT <= chunk.length - used) {
      const bytes = chunk.write(line, used);
      this.used = used + bytes;
      this.buffered += bytes;
      this.accepted += bytes;
      return;
    }
    const bytes = Buffer.byteLength(line);
    if (bytes > chunk.length - used) {
      this.seal();
      if (bytes > this.chunkBytes) {
        this.enqueue(Buffer.from(line), bytes);
        this.buffered += bytes;
        this.accepted += bytes;
        return;
      }
    }
    this.used += this.chunk.write(line, this.used);
    this.buffered += bytes;
    this.accepted += bytes;
  }

  private writeAfterDrops(line: string): boolean {
    if (this.exited && this.fd >= 0) {
      try {
        writeFullySync(this.fd, Buffer.from(line));
        return true;
      } catch {
        return false;
      }
    }
    if (this.buffered >= this.limit) {
      this.dropped++;
      return false;
    }
    this.reportDropped();
    this.put(line);
    return true;
  }

  private reportDropped(): void {
    if (this.dropped === 0 || this.buffered >= this.limit) return;
    const count = this.dropped;
    this.dropped = 0;
    this.put(this.droppedLine(count));
  }

  /** Keeps the lines of the chunk just started from waiting longer than flushEveryMs, and from exit. */
  private firstInChunk(): void {
    if (this.buffered === 0 && !this.stopped) {
      if (unwritten.size === 0) process.on('exit', writeAllAtExit);
      unwritten.add(this);
    }
    if (this.armed) return;
    this.armed = true;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.armed = false;
        this.seal();
      }, this.flushEveryMs);
      this.timer.unref();
    } else this.timer.refresh();
  }

  private forget(): void {
    if (unwritten.delete(this) && unwritten.size === 0) process.off('exit', writeAllAtExit);
  }

  /** Queues the chunk being filled (if it holds anything) for writing, and starts a fresh one. */
  private seal(): void {
    if (this.used === 0) return;
    const full = this.chunk;
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes);
    this.enqueue(full, this.used);
    this.used = 0;
  }

  private enqueue(buffer: Buffer, end: number): void {
    this.sealed.push(buffer);
    this.sealedEnds.push(end);
    this.kick();
  }

  private kick(): void {
    if (this.writing || this.retrying !== undefined || this.fd < 0 || this.stopped) return;
    const buffer = this.sealed[0];
    if (buffer === undefined) return;
    this.writing = true;
    write(this.fd, buffer, this.head, this.sealedEnds[0]! - this.head, null, this.written);
  }

  private readonly written = (error: NodeJS.ErrnoException | null, bytes: number): void => {
    this.writing = false;
    if (this.stopped) return;
    let settled: number;
    if (error !== null) {
      if (error.code === 'EAGAIN' || error.code === 'EBUSY') {
        // Not unref'd: like the write it stands for, it keeps the process alive until done.
        this.retrying = setTimeout(() => {
          this.retrying = undefined;
          this.kick();
        }, RETRY_MS);
        return;
      }
      this.error ??= error;
      const end = this.sealedEnds[0]!;
      this.dropped += countLines(this.sealed[0]!, this.head, end);
      settled = end - this.head;
      this.nextChunk();
    } else {
      settled = bytes;
      this.head += bytes;
      if (this.head >= this.sealedEnds[0]!) this.nextChunk();
    }
    // Only now that the queue is in order: a flush's callback may log again.
    this.done(settled);
    if (error === null) this.reportDropped();
    this.kick();
  };

  /** `bytes` more are written or given up on: settles the flushes waiting for them. */
  private done(bytes: number): void {
    this.buffered -= bytes;
    this.settled += bytes;
    if (this.buffered === 0) this.forget();
    while (this.flushes.length > 0 && this.flushes[0]!.until <= this.settled) {
      this.flushes.shift()!.callback(this.error);
    }
  }

  private nextChunk(): void {
    const finished = this.sealed.shift()!;
    this.sealedEnds.shift();
    this.head = 0;
    if (finished.length === this.chunkBytes && this.spare.length < SPARE_CHUNKS) this.spare.push(finished);
  }

  private openFile(file: string): void {
    mkdir(dirname(file), { recursive: true }, (mkdirError) => {
      if (mkdirError !== null) return this.failOpen(mkdirError);
      open(file, 'a', (openError, fd) => {
        if (openError !== null) return this.failOpen(openError);
        if (this.stopped) {
          closeFd(fd, () => {});
          return;
        }
        this.fd = fd;
        this.kick();
      });
    });
  }

  /** At exit, before the asynchronous open has finished: opening again, synchronously. */
  private openFileSync(): boolean {
    if (this.file === undefined || this.error !== undefined) return false;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      this.fd = openSync(this.file, 'a');
      return true;
    } catch {
      return false;
    }
  }

  /** Without a file nothing can ever be written: what waits is dropped, and so is what follows. */
  private failOpen(error: Error): void {
    this.error ??= error;
    this.limit = 0;
    this.seal();
    let lines = 0;
    for (let i = 0; i < this.sealed.length; i++) lines += countLines(this.sealed[i]!, 0, this.sealedEnds[i]!);
    this.dropped += lines;
    this.sealed.length = 0;
    this.sealedEnds.length = 0;
    this.done(this.buffered);
  }
}

/** Writes buffer[start, end) synchronously, waiting out a full non-blocking output (EAGAIN). */
function writeFullySync(fd: number, buffer: Buffer, start = 0, end = buffer.length): void {
  let position = start;
  let progressAt = Date.now();
  while (position < end) {
    try {
      position += writeSync(fd, buffer, position, end - position);
      progressAt = Date.now();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      if (Date.now() - progressAt > EXIT_PATIENCE_MS) throw error;
      Atomics.wait(PAUSE, 0, 0, 1);
    }
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
const NEWLINE = 0x0a;

function countLines(buffer: Buffer, start: number, end: number): number {
  let lines = 0;
  for (let at = buffer.indexOf(NEWLINE, start); at !== -1 && at < end; at = buffer.indexOf(NEWLINE, at + 1)) {
    lines++;
  }
  return lines;
}
