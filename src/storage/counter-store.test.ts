import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { describeCounterStoreContract } from './counter-store.contract.js';
import { createMemoryCounterStore } from './memory/memory-counter-store.js';
import { createSqliteCounterStore } from './sqlite/sqlite-counter-store.js';

describeCounterStoreContract('memory', (clock) => createMemoryCounterStore({ now: clock.now }));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-counters-'));
let files = 0;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeCounterStoreContract('sqlite', (clock) =>
  createSqliteCounterStore({ path: path.join(dir, `counters-${files++}.db`), now: clock.now }),
);

describeCounterStoreContract('sqlite (:memory:)', (clock) =>
  createSqliteCounterStore({ path: ':memory:', now: clock.now }),
);
