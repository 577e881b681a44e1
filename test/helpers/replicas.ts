/**
 * Test helper: real Switchyard replicas as child processes (`switchyard serve`, the built CLI in
 * dist/), all reading one config file, so that whatever they share they share the way a
 * deployment does — through Redis and PostgreSQL, never through this process's memory. (A
 * throw-away redis-server, for tests that stop and restart Redis, is in redis.ts.)
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/switchyard.js');

export interface Replica {
  index: number;
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  kill9(): Promise<void>;
  /** SIGTERM, then wait for the exit (a clean shutdown flushes the ledger). */
  stop(): Promise<void>;
}

/** Writes `config` (JSON is YAML) to `dir/replicas.yaml` and returns the path. */
export function writeReplicaConfig(dir: string, config: unknown): string {
  const file = join(dir, 'replicas.yaml');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Starts one `switchyard serve -c file --port 0` and waits for its banner. */
export async function startReplica(
  index: number,
  configFile: string,
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Promise<Replica> {
  const child = spawn(process.execPath, [BIN, 'serve', '-c', configFile, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    ...(cwd === undefined ? {} : { cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    out += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${index} printed no banner:\n${out}`)), 20_000);
    const look = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${index} exited (${code}) before listening:\n${out}`));
    });
  });
  const exited = once(child, 'exit');
  return {
    index,
    url,
    child,
    output: () => out,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
