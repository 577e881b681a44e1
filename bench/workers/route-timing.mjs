#!/usr/bin/env node
/**
 * @module bench/workers/route-timing
 * Scenario E: how long one routing decision takes over a large registry. Generates a config of
 * `--models` models (default 500: mostly chat, some embeddings, seeded random prices and
 * quality), builds the real registry and router from dist/, and times `router.plan()` one call
 * at a time for three requests: `auto` (cheapest over the whole registry), a `cheapest` route
 * over 50 named models, and a model named directly. Prints one JSON line, times in µs.
 *
 *   node bench/workers/route-timing.mjs [--models 500] [--iterations 20000]
 */

import { parseArgs } from 'node:util';
import { summarize } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '500' },
    iterations: { type: 'string', default: '20000' },
  },
});
const modelCount = Number(values.models);
const iterations = Number(values.iterations);

const dist = (path) => import(new URL(`../../dist/${path}`, import.meta.url).href);
const { parseConfigObject } = await dist('config/load.js');
const { createRegistry } = await dist('registry/registry.js');
const { createRouter } = await dist('routing/router.js');
const { adapterFor, defaultBaseUrl } = await dist('providers/index.js');

/** mulberry32: the registry is the same in every run. */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function registryConfig(count) {
  const random = seeded(500);
  const tiers = ['basic', 'intermediate', 'advanced', 'expert'];
  const models = {};
  const names = [];
  for (let i = 0; i < count; i++) {
    const name = `model-${String(i).padStart(3, '0')}`;
    names.push(name);
    const embeddings = i % 10 === 9;
    const input = Math.round((0.05 + random() * 15) * 1000) / 1000;
    models[name] = {
      tier: tiers[Math.floor(random() * tiers.length)],
      capabilities: embeddings
        ? ['embeddings']
        : random() < 0.5
          ? ['chat', 'code']
          : ['chat', 'summarization'],
      context_window: 8_192 * (1 + Math.floor(random() * 32)),
      quality: Math.round((0.5 + random() * 0.49) * 100) / 100,
      pricing: {
        input_per_mtok: input,
        output_per_mtok: embeddings ? 0 : Math.round(input * 4 * 1000) / 1000,
      },
      deployments: [{ provider: i % 2 === 0 ? 'east' : 'west', model: name }],
    };
  }
  return {
    providers: {
      east: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-unused' },
      west: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-unused' },
    },
    models,
    routes: {
      'cheapest-50': { strategy: 'cheapest', models: names.filter((_, i) => i % 10 !== 9).slice(0, 50) },
    },
  };
}

const { config } = parseConfigObject(registryConfig(modelCount), { source: 'bench registry' });
const { registry } = createRegistry(config, { adapterFor, defaultBaseUrl });
const router = createRouter(registry);

function time(request) {
  const warmup = Math.max(100, Math.floor(iterations / 10));
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += router.plan(request).reason.length;
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const started = process.hrtime.bigint();
    sink += router.plan(request).reason.length;
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  const timing = summarize(samples);
  const plan = router.plan(request);
  return {
    medianUs: timing.p50,
    p99Us: timing.p99,
    meanUs: timing.mean,
    chose: plan.attempts?.[0]?.model,
    sink,
  };
}

const cases = {
  auto: time({ model: 'auto' }),
  route50: time({ model: 'cheapest-50' }),
  direct: time({ model: `model-${String(Math.floor(modelCount / 2)).padStart(3, '0')}` }),
};
for (const result of Object.values(cases)) delete result.sink;
process.stdout.write(`${JSON.stringify({ models: registry.models.size, iterations, cases })}\n`);
