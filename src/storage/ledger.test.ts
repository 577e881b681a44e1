import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { describeLedgerContract } from './ledger.contract.js';
import { createMemoryLedger } from './memory/memory-ledger.js';
import { createSqliteLedger } from './sqlite/sqlite-ledger.js';

describeLedgerContract('memory', () => createMemoryLedger());

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-ledger-'));
let files = 0;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeLedgerContract('sqlite', () => createSqliteLedger({ path: path.join(dir, `ledger-${files++}.db`) }));

describeLedgerContract('sqlite (batch of 7, slow timer)', () =>
  createSqliteLedger({ path: path.join(dir, `ledger-${files++}.db`), batchSize: 7, flushMs: 10_000 }),
);

describeLedgerContract('sqlite (inline writer)', () =>
  createSqliteLedger({ path: path.join(dir, `ledger-${files++}.db`), writer: 'inline' }),
);

describeLedgerContract('sqlite (:memory:)', () => createSqliteLedger({ path: ':memory:' }));
