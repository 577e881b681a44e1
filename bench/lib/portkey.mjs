/**
 * @module bench/lib/portkey
 * Portkey's open-source gateway (`@portkey-ai/gateway`, the most used TypeScript gateway) as a
 * comparison point. It is installed on demand with npm into its own folder under
 * node_modules/.cache, not into the project's node_modules: a `--no-save` package there is
 * removed by the next `npm install` anyone runs, and it must never become a dependency.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PORTKEY_VERSION = '1.15.2';
const PACKAGE = '@portkey-ai/gateway';
const MANIFEST = '{ "name": "switchyard-bench-portkey", "private": true }\n';

function installDir(root) {
  return join(root, 'node_modules', '.cache', 'switchyard-bench', 'portkey');
}

function entryOf(root) {
  return join(installDir(root), 'node_modules', PACKAGE, 'build', 'start-server.js');
}

function versionOf(root, name) {
  try {
    return JSON.parse(readFileSync(join(installDir(root), 'node_modules', name, 'package.json'), 'utf8'))
      .version;
  } catch {
    return undefined;
  }
}

function installed(root) {
  return existsSync(entryOf(root)) && versionOf(root, PACKAGE) === PORTKEY_VERSION;
}

/**
 * Finds Portkey's gateway, installing it when `install` is set. Resolves with `{entry, version}`
 * or `{error}` saying why it is not there.
 */
export function locatePortkey(root, { install }) {
  const found = { entry: entryOf(root), version: PORTKEY_VERSION };
  if (installed(root)) return found;
  if (!install) return { error: `${PACKAGE} is not installed (run with --with-portkey)` };
  const dir = installDir(root);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), MANIFEST);
  // --ignore-scripts: its postinstall only runs patch-package for its own development setup.
  const result = spawnSync(
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', `${PACKAGE}@${PORTKEY_VERSION}`],
    { cwd: dir, encoding: 'utf8', timeout: 300_000 },
  );
  if (result.status !== 0 || !installed(root)) {
    const why = (result.error?.message ?? result.stderr ?? '').trim().split('\n').slice(-3).join(' ');
    return { error: `npm install ${PACKAGE}@${PORTKEY_VERSION} failed: ${why || `exit ${result.status}`}` };
  }
  return found;
}

/** Headers that make Portkey forward an OpenAI request to the mock upstream. */
export function portkeyHeaders(upstreamUrl, upstreamKey) {
  return {
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${upstreamUrl}/v1`,
    authorization: `Bearer ${upstreamKey}`,
  };
}
