import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../config/schema.js';
import { ask, registryOf, thrown } from './__fixtures__/registries.js';
import { loadCustomRouters, planCustom } from './custom.js';

const FIXTURES = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const ROUTES = {
  mine: { strategy: 'custom', module: './custom-router.mjs' },
  other: { strategy: 'direct', model: 'a' },
} satisfies ConfigInput['routes'];
const MODELS = registryOf({ a: { quality: 0.7 }, b: { quality: 0.9 } }, { routes: ROUTES });
const ALL = [...MODELS.models.values()];

describe('custom routers', () => {
  it('loads the module of each custom route once, relative to the config directory', async () => {
    const routers = await loadCustomRouters(
      { routes: Object.fromEntries(MODELS.routes) },
      { baseDir: FIXTURES },
    );
    expect([...routers.keys()]).toEqual(['mine']);
    const router = routers.get('mine')!;
    const short = planCustom(router, 'mine', ask('hi'), ALL, {}, MODELS);
    expect(short).toMatchObject({
      kind: 'sequence',
      strategy: 'custom',
      attempts: [{ model: 'a' }],
      reason: 'custom (mine): → a',
    });
    const long = planCustom(router, 'mine', ask('x'.repeat(200)), ALL, {}, MODELS);
    expect(long.kind === 'sequence' && long.attempts[0]?.model).toBe('b');
    const panel = planCustom(
      router,
      'mine',
      ask('hi', undefined, { metadata: { plan: 'panel' } }),
      ALL,
      {},
      MODELS,
    );
    expect(panel).toMatchObject({
      kind: 'parallel',
      strategy: 'custom',
      select: 'vote',
      reason: 'custom (mine): panel asked for',
    });
  });

  it('turns a bad answer or a thrown error into a gateway error naming the route', async () => {
    const router = (
      await loadCustomRouters({ routes: Object.fromEntries(MODELS.routes) }, { baseDir: FIXTURES })
    ).get('mine')!;
    const bogus = thrown(() =>
      planCustom(router, 'mine', ask('hi', undefined, { metadata: { plan: 'bogus' } }), ALL, {}, MODELS),
    );
    expect(bogus.code).toBe('INTERNAL');
    expect(bogus.message).toContain('custom router mine returned an unusable plan: unknown model nope');
    const failed = thrown(() =>
      planCustom(router, 'mine', ask('hi', undefined, { metadata: { plan: 'throw' } }), ALL, {}, MODELS),
    );
    expect(failed.code).toBe('INTERNAL');
    expect(failed.message).toBe('custom router mine failed');
  });

  it('rejects a module without a route function, or one that is missing', async () => {
    await expect(
      loadCustomRouters(
        { routes: { r: { strategy: 'custom', module: './no-route.mjs' } } },
        { baseDir: FIXTURES },
      ),
    ).rejects.toThrow(/routes\.r\.module: \.\/no-route\.mjs exports no route/);
    await expect(
      loadCustomRouters(
        { routes: { r: { strategy: 'custom', module: './missing.mjs' } } },
        { baseDir: FIXTURES },
      ),
    ).rejects.toThrow(/routes\.r\.module: cannot import/);
  });
});
