import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { describeKeyStoreContract } from './key-store.contract.js';
import { createMemoryKeyStore } from './memory/memory-key-store.js';
import { createSqliteKeyStore } from './sqlite/sqlite-key-store.js';

describeKeyStoreContract('memory', () => createMemoryKeyStore());

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-keys-'));
let files = 0;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeKeyStoreContract('sqlite', () =>
  createSqliteKeyStore({ path: path.join(dir, `keys-${files++}.db`) }),
);
describeKeyStoreContract('sqlite (:memory:)', () => createSqliteKeyStore({ path: ':memory:' }));
