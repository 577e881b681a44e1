/**
 * Helpers of the job tests: plain HTTP calls, polling a job until it reaches a state, and
 * starting the worker process of job-worker-process.ts (to kill it mid-job).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  key?: string,
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export function chatRequest(text: string, model = 'gpt-4o-mini'): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: text }], max_tokens: 20 };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` yields a value, or throws after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Polls `GET /v1/jobs/{id}` until the job is in one of `states`; resolves to its view. */
export function jobIn(
  url: string,
  id: string,
  states: string[],
  timeoutMs = 10_000,
  key?: string,
): Promise<Reply['body']> {
  return until(
    async () => {
      const reply = await call(url, 'GET', `/v1/jobs/${id}`, undefined, key);
      return states.includes(String(reply.body.status)) ? reply.body : undefined;
    },
    timeoutMs,
    `job ${id} to be ${states.join(' or ')}`,
  );
}

const HELPER = fileURLToPath(new URL('./job-worker-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  url: string;
  /** Resolves to the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stderr: string[];
}

/** Starts job-worker-process.ts with `args`; resolves once it serves. */
export async function startWorkerProcess(args: string[]): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HELPER, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${stderr.join('')}`)));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`worker did not start: ${stderr.join('')}`)), 20_000);
  });
  try {
    return { child, url: await Promise.race([ready, timeout]), exited, stderr };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
