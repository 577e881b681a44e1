import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { fullRecord } from '../ledger.contract.js';
import { PAGE_SIZE, useWal } from './database-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-database-file-'));
let files = 0;
const freshPath = () => path.join(dir, `db-${files++}.db`);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The file's page size and journal mode, as a new connection sees them. */
function settingsOf(file: string): { pageSize: number; journalMode: string } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      pageSize: db.pragma('page_size', { simple: true }) as number,
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
    };
  } finally {
    db.close();
  }
}

describe('useWal', () => {
  it('gives a new file 16 KiB pages, in WAL mode with synchronous=NORMAL', () => {
    const file = freshPath();
    const db = new Database(file);
    useWal(db);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    db.exec('CREATE TABLE t (a)');
    db.close();
    expect(PAGE_SIZE).toBe(16_384);
    expect(settingsOf(file)).toEqual({ pageSize: PAGE_SIZE, journalMode: 'wal' });
  });

  it('leaves the pages of an existing file as they are, WAL or not', () => {
    // 4 KiB: SQLite's own; 8 KiB: what useWal gave a new file before 16 KiB.
    for (const pageSize of [4_096, 8_192])
      for (const journalMode of ['wal', 'delete']) {
        const file = freshPath();
        const old = new Database(file);
        old.pragma(`page_size = ${pageSize}`);
        old.pragma(`journal_mode = ${journalMode}`);
        old.exec('CREATE TABLE t (a); INSERT INTO t VALUES (1)');
        old.close();
        const db = new Database(file);
        useWal(db);
        db.prepare('INSERT INTO t VALUES (2)').run();
        db.close();
        expect(settingsOf(file)).toEqual({ pageSize, journalMode: 'wal' });
      }
  });
});

describe('checkpoints stay off the event loop while a ledger writer thread has the file', () => {
  /** Frames in the file's WAL right now (a PASSIVE checkpoint from a connection of its own). */
  function walFrames(file: string): number {
    const db = new Database(file);
    try {
      return (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
    } finally {
      db.close();
    }
  }

  it('an admission-store connection leaves checkpoints to it, and takes them back once it is gone', async () => {
    const { createSqliteLedger } = await import('./sqlite-ledger.js');
    const { openAdmissionDatabase } = await import('./sqlite-counter-store.js');
    const file = freshPath();
    const other = freshPath();
    const ledger = createSqliteLedger({ path: file });
    try {
      const admission = openAdmissionDatabase(file);
      const elsewhere = openAdmissionDatabase(other);
      const plain = new Database(file);
      useWal(plain);
      expect(admission.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      expect(elsewhere.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
      expect(plain.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
      for (const db of [elsewhere, plain]) db.close();

      // A commit on the admission connection takes the WAL past 1,000 pages: no checkpoint
      // there, so the next commit appends after it instead of starting the WAL over.
      admission.exec('CREATE TABLE scratch (b BLOB)');
      admission.transaction(() => {
        const insert = admission.prepare('INSERT INTO scratch VALUES (zeroblob(15000))');
        for (let i = 0; i < 1_100; i++) insert.run();
      })();
      admission.exec('INSERT INTO scratch VALUES (zeroblob(10))');
      expect(walFrames(file)).toBeGreaterThan(1_000);

      // The writer thread's next commit finds the WAL past 1,000 pages and checkpoints it, so
      // the next commit (here, the admission connection's) starts the WAL over.
      admission.exec('INSERT INTO scratch VALUES (zeroblob(15000))');
      ledger.append(fullRecord(1));
      await ledger.flush();
      admission.exec('INSERT INTO scratch VALUES (zeroblob(10))');
      expect(walFrames(file)).toBeLessThan(50);
      admission.close();
    } finally {
      await ledger.close();
    }
    // Once the ledger is closed, a new connection checkpoints for itself again.
    const after = openAdmissionDatabase(file);
    expect(after.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
    after.close();
  });

  it('an inline (in-process) ledger changes nothing', async () => {
    const { createSqliteLedger } = await import('./sqlite-ledger.js');
    const { openAdmissionDatabase } = await import('./sqlite-counter-store.js');
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file, writer: 'inline' });
    try {
      const admission = openAdmissionDatabase(file);
      expect(admission.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
      admission.close();
    } finally {
      await ledger.close();
    }
  });
});
