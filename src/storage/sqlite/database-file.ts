/**
 * @module storage/sqlite/database-file
 * How every connection that writes the shared database file (ledger, admission stores, job
 * queue) sets it up: WAL with synchronous=NORMAL, so a commit appends to the WAL and nothing is
 * fsynced until a checkpoint (a process crash loses nothing committed; a power loss at most the
 * last commits). A file created here gets 16 KiB pages instead of SQLite's 4 KiB. Every ledger
 * commit rewrites the right-most pages of the ledger's seven B-trees and the pages above them,
 * so the fewer and larger the pages, the fewer WAL frames a commit writes and a checkpoint
 * copies back: at 4,000 records/s (200-record batches) 4 KiB pages meant 70 WAL frames per
 * commit and 8 KiB pages 46, for 10–13 % less writer-thread CPU per record. 16 KiB pages write
 * 0.29 pwrite and 0.06 pread per record where 8 KiB pages wrote 0.46 and 0.11 (400-record
 * batches on a 500,000-row ledger), and cost the writer thread 7–10 % less CPU per record; the
 * usage reports run 10–20 % faster on them, with the same query plans. 32 KiB pages cost more
 * again (each commit copies more bytes than it saves frames). A file keeps the page size it was
 * created with: one made with 4 or 8 KiB pages works as before (a VACUUM outside WAL mode would
 * convert it).
 *
 * Checkpoints run off the event loop. SQLite checkpoints in the commit that takes the WAL past
 * 1,000 pages, on whichever connection makes it; the connections of the admission stores and the
 * job queue run on the event loop, so one of their commits every few seconds copied the WAL back
 * (16 MB) there: a 40 ms stall of every request in flight (measured under 400 requests/s). While
 * a ledger's writer thread commits to the file, those connections leave checkpoints to it
 * (`wal_autocheckpoint = 0`): it commits every batch, so the WAL is checkpointed as before.
 */

import { resolve } from 'node:path';
import type Database from 'better-sqlite3';

/** The page size of a database file created from now on. */
export const PAGE_SIZE = 16_384;

// Files a ledger's writer thread commits to, by absolute path: how many such ledgers are open.
const writerThreads = new Map<string, number>();

/**
 * Puts a connection in WAL mode with synchronous=NORMAL; a new, empty file gets `PAGE_SIZE`.
 * `onEventLoop`: the connection writes from the event loop (admission stores, job queue), so it
 * leaves checkpoints to a ledger writer thread of the same file when there is one, open before it.
 */
export function useWal(db: Database.Database, onEventLoop?: { path: string }): void {
  // Before journal_mode: switching a new file to WAL writes its header, which fixes the page size.
  db.pragma(`page_size = ${PAGE_SIZE}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (onEventLoop !== undefined && writerThreads.has(resolve(onEventLoop.path))) {
    db.pragma('wal_autocheckpoint = 0');
  }
}

/**
 * Says that a writer thread commits to `path` from now on, and so checkpoints it; returns what
 * to call once it has closed.
 */
export function checkpointedByWriterThread(path: string): () => void {
  const file = resolve(path);
  writerThreads.set(file, (writerThreads.get(file) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (writerThreads.get(file) ?? 1) - 1;
    if (left > 0) writerThreads.set(file, left);
    else writerThreads.delete(file);
  };
}
