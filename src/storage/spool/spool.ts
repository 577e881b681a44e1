/**
 * @module storage/spool/spool
 * A durable local FIFO for items that could not reach their destination yet (the PostgreSQL
 * ledger's records while the database is down). Items are appended as JSON lines to numbered
 * segment files and each append is fsynced before it resolves, so an acknowledged item survives
 * a crash or a power cut. The consumer reads the oldest segment whole, delivers its items, and
 * only then removes the file: a crash in between delivers the segment twice, which is why the
 * destination must be idempotent. Appends and reads are serialized, and a segment is never read
 * while it is still being appended to (reading the last one seals it first).
 *
 * A line that does not parse (a write torn by a crash, or damage) is skipped, and its segment is
 * renamed `*.corrupt` instead of deleted so nothing is thrown away unseen. Items the destination
 * refuses for good go to `rejected.jsonl` with the reason. A `LOCK` file holds the owner's pid:
 * one spool directory serves one process, and a lock left by a dead process is taken over.
 */

import { type FileHandle, mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

export interface SpoolOptions<T> {
  dir: string;
  /** Size past which appends start a new segment; default 4 MiB. */
  maxSegmentBytes?: number;
  /** Checks a parsed line; undefined marks the line corrupt. Default: any JSON value. */
  parse?: (value: unknown) => T | undefined;
}

export interface SpoolSegment<T> {
  /** File name inside the spool directory. */
  readonly file: string;
  readonly items: T[];
  /** Lines that could not be read. */
  readonly corrupt: number;
}

export interface Spool<T> {
  readonly dir: string;
  /** True when nothing is stored and no append is under way. */
  isEmpty(): boolean;
  /** Appends items and resolves once they are on disk (fsynced). */
  append(items: readonly T[]): Promise<void>;
  /** The oldest segment's items, or undefined when the spool is empty. */
  oldest(): Promise<SpoolSegment<T> | undefined>;
  /** Deletes a segment returned by `oldest()`, once its items are safe elsewhere. */
  remove(segment: SpoolSegment<T>): Promise<void>;
  /** Sets an item aside in `rejected.jsonl`, with the reason, for an operator to look at. */
  reject(item: T, reason: string): Promise<void>;
  /** Closes the open segment and releases the directory; stored items stay for the next process. */
  close(): Promise<void>;
}

const SEGMENT = /^segment-(\d{12})\.jsonl$/;
const LOCK_FILE = 'LOCK';
export const REJECTED_FILE = 'rejected.jsonl';
const DEFAULT_MAX_SEGMENT_BYTES = 4 * 1024 * 1024;

/** Directories opened by this process: a second open would interleave two writers. */
const openDirs = new Set<string>();

interface ActiveSegment {
  file: string;
  handle: FileHandle;
  bytes: number;
  lines: number;
}

/** The segment files waiting in a spool directory, oldest first. */
export async function listSegments(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((name) => SEGMENT.test(name)).sort();
}

export async function openSpool<T>(options: SpoolOptions<T>): Promise<Spool<T>> {
  const dir = path.resolve(options.dir);
  const maxSegmentBytes = Math.max(1, options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES);
  const parse = options.parse ?? ((value: unknown) => value as T);
  if (openDirs.has(dir)) throw new Error(`spool ${dir} is already open in this process`);
  await mkdir(dir, { recursive: true });
  await takeLock(dir);
  openDirs.add(dir);

  const sealed = await listSegments(dir);
  const last = sealed.at(-1);
  let nextSeq = last === undefined ? 1 : Number(SEGMENT.exec(last)?.[1]) + 1;
  let active: ActiveSegment | undefined;
  let appending = 0;
  let closed = false;
  let chain: Promise<unknown> = Promise.resolve();

  /** Runs file operations one at a time, in call order. */
  function serial<R>(operation: () => Promise<R>): Promise<R> {
    const result = chain.then(operation);
    chain = result.catch(() => undefined);
    return result;
  }

  async function openSegment(): Promise<ActiveSegment> {
    const file = `segment-${String(nextSeq++).padStart(12, '0')}.jsonl`;
    const handle = await open(path.join(dir, file), 'a');
    // The new file's directory entry must be durable too, or a crash could lose the whole file.
    await syncDirectory(dir);
    return { file, handle, bytes: 0, lines: 0 };
  }

  async function seal(): Promise<void> {
    const segment = active;
    if (segment === undefined) return;
    active = undefined;
    await segment.handle.close();
    if (segment.lines > 0 || segment.bytes > 0) sealed.push(segment.file);
    else await unlink(path.join(dir, segment.file));
  }

  function checkOpen(): void {
    if (closed) throw new Error(`spool ${dir} is closed`);
  }

  return {
    dir,

    isEmpty() {
      return appending === 0 && sealed.length === 0 && (active === undefined || active.bytes === 0);
    },

    append(items) {
      if (items.length === 0) return Promise.resolve();
      checkOpen();
      // Serialized now, on the caller's stack: the items cannot change while they wait their turn.
      let text = '';
      for (const item of items) text += `${JSON.stringify(item)}\n`;
      const data = Buffer.from(text);
      appending++;
      return serial(async () => {
        try {
          active ??= await openSegment();
          const segment = active;
          try {
            await segment.handle.appendFile(data);
            await segment.handle.datasync();
          } catch (err) {
            // A partial line may now end this file: later appends go to a fresh one.
            segment.bytes += 1;
            await seal().catch(() => undefined);
            throw err;
          }
          segment.bytes += data.length;
          segment.lines += items.length;
          if (segment.bytes >= maxSegmentBytes) await seal();
        } finally {
          appending--;
        }
      });
    },

    oldest() {
      checkOpen();
      return serial(async () => {
        if (sealed.length === 0) await seal();
        const file = sealed[0];
        if (file === undefined) return undefined;
        const text = await readFile(path.join(dir, file), 'utf8');
        const items: T[] = [];
        let corrupt = 0;
        let start = 0;
        while (start < text.length) {
          let end = text.indexOf('\n', start);
          if (end === -1) end = text.length;
          if (end > start) {
            const item = parseLine(text.slice(start, end), parse);
            if (item === undefined) corrupt++;
            else items.push(item);
          }
          start = end + 1;
        }
        return { file, items, corrupt };
      });
    },

    remove(segment) {
      checkOpen();
      return serial(async () => {
        const at = sealed.indexOf(segment.file);
        if (at === -1) return;
        const full = path.join(dir, segment.file);
        if (segment.corrupt > 0) await rename(full, `${full}.corrupt`);
        else await unlink(full);
        sealed.splice(at, 1);
      });
    },

    reject(item, reason) {
      checkOpen();
      const line = `${JSON.stringify({ rejectedAt: new Date().toISOString(), reason, item })}\n`;
      return serial(async () => {
        const handle = await open(path.join(dir, REJECTED_FILE), 'a');
        try {
          await handle.appendFile(line);
          await handle.datasync();
        } finally {
          await handle.close();
        }
      });
    },

    close() {
      if (closed) return chain.then(() => undefined);
      closed = true;
      return serial(async () => {
        await seal();
        await unlink(path.join(dir, LOCK_FILE)).catch(() => undefined);
        openDirs.delete(dir);
      });
    },
  };
}

function parseLine<T>(line: string, parse: (value: unknown) => T | undefined): T | undefined {
  try {
    return parse(JSON.parse(line));
  } catch {
    return undefined;
  }
}

interface LockContent {
  pid: number;
  host: string;
}

/**
 * Refuses a directory held by another live process on this host. A lock with our own pid is
 * stale: in a container every incarnation of the gateway runs as pid 1.
 */
async function takeLock(dir: string): Promise<void> {
  const lockPath = path.join(dir, LOCK_FILE);
  let holder: LockContent | undefined;
  try {
    holder = JSON.parse(await readFile(lockPath, 'utf8')) as LockContent;
  } catch {
    holder = undefined;
  }
  if (
    holder !== undefined &&
    holder.host === hostname() &&
    holder.pid !== process.pid &&
    isAlive(holder.pid)
  ) {
    throw new Error(
      `spool ${dir} is in use by process ${holder.pid}; give each process its own spool directory`,
    );
  }
  const content: LockContent = { pid: process.pid, host: hostname() };
  await writeFile(lockPath, JSON.stringify(content));
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems cannot fsync a directory; the file's own fsync is the best there is.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    await handle.close();
  }
}
