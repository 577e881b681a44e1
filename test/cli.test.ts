/**
 * The `switchyard` binary as a newcomer runs it: no config file, no API keys.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../bin/switchyard.js');
let cwd: string;

/** The environment of a fresh machine: no provider keys, no Switchyard settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/API_KEY|TOKEN|SECRET|^SWITCHYARD_/.test(name)) continue;
    env[name] = value;
  }
  return env;
}

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 30_000,
  });
}

beforeAll(() => {
  if (!existsSync(join(import.meta.dirname, '../dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run the tests with `npm test`, which builds first');
  }
  cwd = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
});
afterAll(() => {
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('switchyard CLI', () => {
  it('ask answers "What is 2+2?" with model, tokens and cost, on simulated models', () => {
    const result = run(['ask', '--prompt', 'What is 2+2?', '--output', 'result.json']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('4');
    expect(result.stdout).toMatch(/model: gpt-4o-mini \(sim\)/);
    expect(result.stdout).toMatch(/tokens: \d+ in \/ \d+ out/);
    expect(result.stdout).toMatch(/cost: \$0\.0000\d+/);
    const written = JSON.parse(readFileSync(join(cwd, 'result.json'), 'utf8'));
    expect(written).toMatchObject({
      model_used: 'gpt-4o-mini',
      strategy: 'cheapest',
      fallback_chain: ['gpt-4o-mini'],
      input_tokens: expect.any(Number),
      output_tokens: expect.any(Number),
      cost: expect.any(Number),
      timestamp: expect.any(String),
    });
    expect(written.response).toContain('4');
    expect(written.cost).toBeGreaterThan(0);
  });

  it('models --json lists the simulated models with prices', () => {
    const result = run(['models', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const { models } = JSON.parse(result.stdout) as {
      models: { name: string; status: string; cost: { input_per_mtok: number } }[];
    };
    const mini = models.find((m) => m.name === 'gpt-4o-mini');
    expect(mini).toMatchObject({ status: 'available', cost: { input_per_mtok: 0.15 } });
    expect(models.length).toBeGreaterThanOrEqual(5);
  });

  it('config validate accepts a good file and rejects a bad one with one line per problem', () => {
    writeFileSync(
      join(cwd, 'good.yaml'),
      'providers: { sim: { type: simulator } }\nmodels:\n  m: { deployments: [{ provider: sim }] }\n',
    );
    const good = run(['config', 'validate', '-c', 'good.yaml']);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toContain('ok: good.yaml');
    writeFileSync(
      join(cwd, 'bad.yaml'),
      'server: { port: nope }\nmodels:\n  m: { deployments: [{ provider: ghost }], quality: 7 }\n',
    );
    const bad = run(['config', 'validate', '-c', 'bad.yaml']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('server.port:');
    expect(bad.stderr).toContain('models.m.quality:');
    const missing = run(['config', 'validate', '-c', 'missing.yaml']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('file not found');
  });

  it('config print redacts secrets', () => {
    writeFileSync(
      join(cwd, 'secret.yaml'),
      'auth: { master_key: sy-master-key-0123456789 }\nproviders: { o: { type: openai, api_key: sk-live-abcdef0123456789 } }\n',
    );
    const result = run(['config', 'print', '-c', 'secret.yaml']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('[REDACTED]');
    expect(result.stdout).not.toContain('abcdef0123456789');
    expect(result.stdout).not.toContain('0123456789');
  });

  it('serve with no config and no keys serves the simulator, says so, and stops cleanly', async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      cwd,
      env: cleanEnv(),
    });
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      out += chunk;
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner:\n${out}`)), 15_000);
        child.stdout!.on('data', () => {
          const match = /listening on (http:\/\/[^\s]+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      expect(out).toContain('SIMULATED');
      expect(out).toContain('Auth: OPEN');
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'What is 2+2?' }] }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0]?.message.content).toContain('4');
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited, out).toBe(0);
    }
    // The ledger was flushed to the default SQLite file on the way out.
    expect(existsSync(join(cwd, 'switchyard.db'))).toBe(true);
  });
});
