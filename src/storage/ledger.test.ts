import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { afterAll, describe } from 'vitest';
import { describeLedgerContract } from './ledger.contract.js';
import { createMemoryLedger } from './memory/memory-ledger.js';
import { createPostgresLedger } from './postgres/postgres-ledger.js';
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

// PostgreSQL runs when DATABASE_URL names a server (npm test checks that it answers). Every
// ledger gets a fresh schema, all dropped at the end: the server outlives the test run.
const databaseUrl = process.env.DATABASE_URL;
describe.skipIf(databaseUrl === undefined)('postgres', () => {
  const prefix = `sy_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const schemas: string[] = [];
  const makePostgres = (options: { batchSize?: number; flushMs?: number } = {}) => {
    const schema = `${prefix}_${schemas.length}`;
    schemas.push(schema);
    return createPostgresLedger({
      url: databaseUrl ?? '',
      schema,
      spoolDir: path.join(dir, schema),
      ...options,
    });
  };
  afterAll(async () => {
    const admin = new Pool({ connectionString: databaseUrl });
    try {
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
  });

  describeLedgerContract('postgres', () => makePostgres());
  describeLedgerContract('postgres (batch of 7, slow timer)', () =>
    makePostgres({ batchSize: 7, flushMs: 10_000 }),
  );
});
