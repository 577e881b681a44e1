#!/usr/bin/env node
// `npm test`: build the CLI (end-to-end tests run the real `switchyard` binary), find out which
// external services are reachable, run every test suite, and say which suites were skipped and
// why. In CI (CI=true) a missing service is an error, not a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function reachable(url, defaultPort) {
  if (!url) return Promise.resolve(false);
  let host;
  let port;
  try {
    const parsed = new URL(url);
    host = parsed.hostname || '127.0.0.1';
    port = Number(parsed.port || defaultPort);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const services = [
  { name: 'Redis', variable: 'REDIS_URL', port: 6379 },
  { name: 'PostgreSQL', variable: 'DATABASE_URL', port: 5432 },
];
const skipped = [];
for (const service of services) {
  const url = process.env[service.variable];
  const ok = await reachable(url, service.port);
  if (!ok) {
    const why = url ? `${service.variable}=${url} is not reachable` : `${service.variable} is not set`;
    if (process.env.CI === 'true') {
      console.error(`test: ${service.name} is required in CI but ${why}.`);
      process.exit(1);
    }
    skipped.push(`${service.name} suites: ${why}`);
    delete process.env[service.variable];
  }
}

// SWITCHYARD_TEST_SKIP_BUILD=1: dist/ is already built (the runner's own test, which must not
// rewrite dist/ under the other tests running beside it).
if (process.env.SWITCHYARD_TEST_SKIP_BUILD !== '1') {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const reportDir = mkdtempSync(join(tmpdir(), 'switchyard-vitest-'));
const report = join(reportDir, 'report.json');
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const run = spawnSync('npx', args, { stdio: 'inherit', env: process.env });
if (skipped.length > 0) {
  console.log('\nSkipped (start the service and set the variable to run them):');
  for (const line of skipped) console.log(`  - ${line}`);
}
// One plain closing line that any CI can read, whatever the runner prints above it.
if (existsSync(report)) {
  const totals = JSON.parse(readFileSync(report, 'utf8'));
  const skippedTests = (totals.numPendingTests ?? 0) + (totals.numTodoTests ?? 0);
  console.log(`\n${totals.numPassedTests} passed, ${totals.numFailedTests} failed, ${skippedTests} skipped`);
}
rmSync(reportDir, { recursive: true, force: true });
process.exit(run.status ?? 1);
