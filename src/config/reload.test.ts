import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigObject } from './load.js';
import { configDigest, planReload, readConfigFile } from './reload.js';
import type { ConfigInput } from './schema.js';

const base: ConfigInput = {
  server: { port: 4000 },
  storage: { url: 'memory://' },
  providers: { sim: { type: 'simulator' } },
  models: {
    small: { pricing: { input_per_mtok: 1, output_per_mtok: 2 }, deployments: [{ provider: 'sim' }] },
  },
};
const parse = (input: ConfigInput) => parseConfigObject(input).config;

describe('planReload', () => {
  const running = parse(base);

  it('changes nothing when the file did not change', () => {
    const plan = planReload(running, parse(base));
    expect(plan).toMatchObject({ changed: [], restartRequired: [] });
    expect(plan.effective).toEqual(running);
  });

  it('names the top-level sections that change live', () => {
    const next = parse({
      ...base,
      models: {
        small: { pricing: { input_per_mtok: 5, output_per_mtok: 2 }, deployments: [{ provider: 'sim' }] },
      },
      routes: { fast: { strategy: 'direct', model: 'small' } },
      auth: { key_cache_ms: 30_000 },
    });
    const plan = planReload(running, next);
    expect(plan.changed.sort()).toEqual(['auth', 'models', 'routes']);
    expect(plan.restartRequired).toEqual([]);
    expect(plan.effective.models.small?.pricing?.input_per_mtok).toBe(5);
  });

  it('keeps restart-only settings as they run and reports their paths', () => {
    const next = parse({
      ...base,
      server: { port: 4001, body_limit_mb: 2 },
      storage: { url: 'sqlite://./other.db', redis_url: 'redis://127.0.0.1:6379' },
      jobs: { concurrency: 9 },
      logging: { level: 'debug', file: './x.log' },
    });
    const plan = planReload(running, next);
    expect(plan.restartRequired.sort()).toEqual([
      'jobs.concurrency',
      'logging.file',
      'server.port',
      'storage.redis_url',
      'storage.url',
    ]);
    expect(plan.changed.sort()).toEqual(['logging', 'server']); // body limit and log level are live
    expect(plan.effective.server).toMatchObject({ port: 4000, body_limit_mb: 2 });
    expect(plan.effective.storage).toEqual(running.storage);
    expect(plan.effective.jobs).toEqual(running.jobs);
    expect(plan.effective.logging).toEqual({ level: 'debug' });
    expect(Object.isFrozen(plan.effective.server)).toBe(true);
    expect(Object.isFrozen(next.server)).toBe(true); // the parsed input is not touched
    expect(next.server.port).toBe(4001);
  });
});

describe('readConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-reload-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads, interpolates and validates, with a digest of the text', async () => {
    const file = join(dir, 'ok.yaml');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config interpolation syntax
    const text = 'auth:\n  master_key: ${KEY}\nstorage: { url: "memory://" }\n';
    writeFileSync(file, text);
    const loaded = await readConfigFile(file, { KEY: 'a-master-key-of-32-characters-x' });
    expect(loaded.config.auth.master_key).toBe('a-master-key-of-32-characters-x');
    expect(loaded.digest).toBe(configDigest(text));
    expect(loaded.digest).toMatch(/^sha256:[0-9a-f]{16}$/);
    // The digest is of the text: the same file gives the same digest whatever the environment.
    expect((await readConfigFile(file, { KEY: 'another-master-key-32-characters' })).digest).toBe(
      loaded.digest,
    );
  });

  it('refuses a bad file with one line per problem, naming its path', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'models:\n  m:\n    pricing: { input_per_mtok: -1 }\n    deployments: [{ provider: nowhere }]\nroutes:\n  r: { strategy: sideways }\n',
    );
    const error = await readConfigFile(file, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.some((p) => p.startsWith('models.m.pricing.input_per_mtok: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('routes.r.strategy: '))).toBe(true);
  });

  it('says so when the file is gone', async () => {
    const error = await readConfigFile(join(dir, 'missing.yaml'), {}).catch((e: unknown) => e);
    expect((error as ConfigError).problems).toEqual([`${join(dir, 'missing.yaml')}: file not found`]);
  });
});
