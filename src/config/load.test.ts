// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config interpolation syntax under test
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from './load.js';

const SHARED = join(import.meta.dirname, '../../../shared');

/** The `model_config.yaml` block of seed 001, exactly as the document prints it. */
function seedModelConfig(): string | undefined {
  let files: string[];
  try {
    files = readdirSync(join(SHARED, 'seeds'));
  } catch {
    return undefined;
  }
  const file = files.find((name) => name.startsWith('001_'));
  if (!file) return undefined;
  const text = readFileSync(join(SHARED, 'seeds', file), 'utf8');
  const start = text.indexOf('```yaml', text.indexOf('model_config.yaml'));
  return text.slice(start + '```yaml'.length, text.indexOf('```', start + 7));
}

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfigText(text, { env, source: 'test.yaml' });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('seed formats', () => {
  const seed = seedModelConfig();
  it.skipIf(seed === undefined)('loads model_config.yaml from seed 001 unchanged', () => {
    const { config, warnings } = parseConfigText(seed!, { env: {} });
    expect(Object.keys(config.models)).toEqual([
      'gpt-4',
      'gpt-3.5-turbo',
      'llama-2-70b',
      'text-embedding-ada-002',
      'code-davinci-002',
    ]);
    expect(config.models['gpt-4']?.cost_per_1k_tokens).toEqual({ input: 0.03, output: 0.06 });
    expect(config.models['gpt-4']?.quality_score).toBe(0.95);
    expect(config.routing_rules.map((rule) => rule.task)).toEqual([
      'code-generation',
      'embeddings',
      'conversation',
    ]);
    expect(config.routing_rules[0]?.preferred_models).toEqual(['code-davinci-002', 'gpt-4']);
    // Providers the seed names are not configured here: the gateway starts and says why.
    expect(
      warnings.some((w) => w.startsWith('models.gpt-4.provider: provider "azure_openai" is not configured')),
    ).toBe(true);
    expect(warnings).toContain(
      'routing_rules.1.fallback_models.0: unknown model "text-embedding-3-small" is skipped',
    );
  });
});

describe('interpolation', () => {
  it('substitutes ${VAR} and ${VAR:-default}, typed when the whole value is a reference', () => {
    const { config } = parseConfigText(
      [
        'server: { port: ${PORT:-4100}, host: ${HOST} }',
        'auth: { master_key: ${SWITCHYARD_MASTER_KEY} }',
        'providers:',
        '  openai: { type: openai, api_key: "${OPENAI_API_KEY}", headers: { x-team: "team-${TEAM:-core}" } }',
      ].join('\n'),
      {
        env: {
          HOST: '0.0.0.0',
          SWITCHYARD_MASTER_KEY: 'a-master-key-of-some-length',
          OPENAI_API_KEY: 'sk-test#not:a comment',
        },
      },
    );
    expect(config.server.port).toBe(4100);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.auth.master_key).toBe('a-master-key-of-some-length');
    const openai = config.providers.openai;
    expect(openai?.type === 'openai' && openai.api_key).toBe('sk-test#not:a comment');
    expect(openai?.type === 'openai' && openai.headers).toEqual({ 'x-team': 'team-core' });
  });

  it('treats an unset variable as not configured', () => {
    const { config } = parseConfigText(
      'auth: { master_key: ${NOT_SET_ANYWHERE} }\nstorage: { redis_url: ${REDIS:-} }',
      {
        env: {},
      },
    );
    expect(config.auth.master_key).toBeUndefined();
    expect(config.storage.redis_url).toBeUndefined();
  });

  it('never lets a value change the document structure', () => {
    const { config } = parseConfigText('providers:\n  o: { type: openai, api_key: ${KEY} }', {
      env: { KEY: 'x }\n  evil: { type: openai' },
    });
    expect(Object.keys(config.providers)).toEqual(['o']);
  });

  it('returns a deeply frozen config', () => {
    const { config } = parseConfigText('models: { m: { quality: 0.5 } }', { env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.models.m)).toBe(true);
  });
});

describe('bad configs fail with one line per problem naming the path', () => {
  const cases: [string, string, string[]][] = [
    [
      'a price of the wrong type',
      'models:\n  gpt-4:\n    pricing: { input_per_mtok: cheap }',
      ['models.gpt-4.pricing.input_per_mtok:'],
    ],
    ['a typo in a key', 'server:\n  prot: 4000', ['server.prot: unknown key']],
    [
      'a deployment on an unknown provider',
      'providers: { sim: { type: simulator } }\nmodels:\n  m: { deployments: [{ provider: opnai }] }',
      ['models.m.deployments.0.provider: unknown provider "opnai" (configured: sim)'],
    ],
    ['an unknown provider type', 'providers:\n  x: { type: openia }', ['providers.x.type:']],
    [
      'a route naming an unknown model',
      'routes:\n  r: { strategy: fallback, chain: [nope] }',
      ['routes.r.chain.0: unknown model "nope"'],
    ],
    [
      'a quality out of range and a negative port',
      'server: { port: -1 }\nmodels: { m: { quality_score: 1.5 } }',
      ['server.port:', 'models.m.quality_score:'],
    ],
    ['broken YAML', 'models:\n  m: { quality: [1, }', ['line ']],
    [
      // Nano-dollar accounting holds up to 9,007,199 USD exactly: a larger budget used to pass
      // validation and then stop the gateway with a RangeError at start.
      'a budget or cost cap beyond what the accounting holds',
      'budgets: { daily_limit_usd: 1e15 }\nroutes:\n  r: { strategy: cheapest, max_cost_usd: 1e10 }',
      ['budgets.daily_limit_usd: ', 'routes.r.max_cost_usd: '],
    ],
    ['a model name with path characters', 'models:\n  "../etc/passwd": {}', ['models.../etc/passwd']],
    [
      'both price forms',
      'models:\n  m: { pricing: { input_per_mtok: 1 }, cost_per_1k_tokens: { input: 0.001 } }',
      ['models.m: give either pricing or cost_per_1k_tokens, not both'],
    ],
    ['azure without a base URL', 'providers:\n  az: { type: azure, api_key: k }', ['providers.az.base_url:']],
    [
      'a Redis cache without Redis',
      'cache: { enabled: true, store: redis }',
      ['cache.store: redis needs storage.redis_url'],
    ],
    [
      'a SQLite cache on PostgreSQL',
      'storage: { url: "postgres://db/x" }\ncache: { enabled: true, store: sqlite }',
      ['cache.store: sqlite needs a sqlite:// storage.url'],
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      const lines = problems(text);
      for (const prefix of expected)
        expect(
          lines.some((line) => line.startsWith(prefix)),
          `${lines.join('\n')}`,
        ).toBe(true);
      for (const line of lines) expect(line).not.toContain('\n');
    });
  }

  it('reports every problem at once', () => {
    const lines = problems('server: { port: x, host: 1 }\nmodels: { m: { quality: 2 } }');
    expect(lines.length).toBeGreaterThanOrEqual(3);
  });
});
