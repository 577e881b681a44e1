import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
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
