/**
 * @module config/reload
 * What a configuration reload changes. The file is read again (asynchronously: a reload happens
 * while requests are served) and validated exactly as at start, so a bad file is refused with
 * one line per problem and the running configuration stays. Most of the configuration can change
 * live; a few settings only take effect at start — the listening address, the storage and Redis
 * URLs, the ledger, metrics, jobs, the response cache and the log file. For those the running values are kept in the
 * configuration that takes effect, and their paths are reported as needing a restart. The file's
 * digest (of its text, before `${VAR}` interpolation) identifies a version across replicas that
 * read the same file, without revealing anything in it.
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError, type LoadedConfig, parseConfigText } from './load.js';
import type { Config } from './schema.js';

/** Settings read only at start: a reload reports them as needing a restart and keeps the running values. */
export const RESTART_ONLY: readonly string[] = Object.freeze([
  'server.host',
  'server.port',
  'storage',
  'ledger',
  'metrics',
  'jobs',
  // The response cache is opened once, on the storage it names, and kept across reloads.
  'cache',
  'logging.file',
]);

export interface ConfigFile extends LoadedConfig {
  /** `sha256:` and the first 16 hex digits of the hash of the file's text. */
  digest: string;
}

export interface ReloadPlan {
  /** The configuration to run with: the file's, with the restart-only settings as they run now. Frozen. */
  effective: Config;
  /** Top-level sections that differ from the running configuration (and will change live). */
  changed: string[];
  /** Paths of restart-only settings the file changes. */
  restartRequired: string[];
}

export function configDigest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/** Reads, interpolates and validates a config file without blocking. Throws ConfigError. */
export async function readConfigFile(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ConfigFile> {
  const absolute = isAbsolute(path) ? path : resolvePath(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw new ConfigError(path, [`${path}: ${reason}`]);
  }
  return { ...parseConfigText(text, { env, source: path }), digest: configDigest(text) };
}

/** Compares the running configuration with a newly validated one. */
export function planReload(running: Config, next: Config): ReloadPlan {
  const restartRequired: string[] = [];
  const effective = structuredClone(next) as Config;
  for (const path of RESTART_ONLY) {
    const keys = path.split('.');
    const now = valueAt(running, keys);
    const wanted = valueAt(next, keys);
    restartRequired.push(...differingLeaves(now, wanted, path));
    setAt(effective, keys, structuredClone(now));
  }
  const changed: string[] = [];
  const sections = new Set([...Object.keys(running), ...Object.keys(effective)]);
  for (const section of sections) {
    const key = section as keyof Config;
    if (!isDeepStrictEqual(running[key], effective[key])) changed.push(section);
  }
  return { effective: deepFreeze(effective), changed, restartRequired };
}

function valueAt(root: unknown, keys: readonly string[]): unknown {
  let value = root;
  for (const key of keys) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function setAt(root: object, keys: readonly string[], value: unknown): void {
  let target = root as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const next = target[key];
    if (next === null || typeof next !== 'object') return;
    target = next as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (value === undefined) delete target[last];
  else target[last] = value;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Paths under `path` whose values differ: leaves of objects, whole arrays and scalars. */
function differingLeaves(a: unknown, b: unknown, path: string): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (!isPlainObject(a) || !isPlainObject(b)) return [path];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((key) => differingLeaves(a[key], b[key], `${path}.${key}`));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
