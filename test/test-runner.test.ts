/**
 * `npm test` itself (scripts/test.mjs): without Redis and PostgreSQL it still passes the rest and
 * names the suites it skipped and why; in CI (CI=true) a missing service is an error. Each case
 * runs the real script on one small suite that needs both services.
 */

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function runTests(env: Record<string, string>): { status: number | null; out: string } {
  const result = spawnSync(
    process.execPath,
    ['scripts/test.mjs', 'src/storage/postgres/postgres-key-store.test.ts'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        SWITCHYARD_TEST_SKIP_BUILD: '1',
        // Nothing listens on port 1.
        REDIS_URL: 'redis://127.0.0.1:1',
        ...env,
      },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('npm test (scripts/test.mjs)', () => {
  it('without the services passes the rest and says which suites it skipped and why', {
    timeout: 130_000,
  }, () => {
    const { status, out } = runTests({});
    expect(status, out).toBe(0);
    expect(out).toContain('Skipped (start the service and set the variable to run them):');
    expect(out).toContain('Redis suites: REDIS_URL=redis://127.0.0.1:1 is not reachable');
    expect(out).toContain('PostgreSQL suites: DATABASE_URL is not set');
    expect(out).toMatch(/\d+ passed, 0 failed, [1-9]\d* skipped/);
  });

  it('in CI a missing service is an error, not a skip', { timeout: 130_000 }, () => {
    const { status, out } = runTests({ CI: 'true' });
    expect(status).toBe(1);
    expect(out).toContain(
      'test: Redis is required in CI but REDIS_URL=redis://127.0.0.1:1 is not reachable.',
    );
  });
});
