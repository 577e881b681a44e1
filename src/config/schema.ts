/**
 * @module config/schema
 * The one zod schema tree for `switchyard.yaml` (DESIGN.md §4). All defaults live here. The
 * seed documents' formats (`cost_per_1k_tokens`, `quality_score`, `max_tokens`, `latency_ms`,
 * model-level `provider`, top-level `routing_rules`) are accepted as they are and normalised by
 * the registry. Objects are strict: an unknown key is a typo until proven otherwise.
 */

import { z } from 'zod';
import { MAX_USD } from '../accounting/compute-cost.js';

const nonNegative = z.number().finite().nonnegative();
/** An amount of money: what nano-dollar accounting holds exactly (a larger one failed at start). */
const usd = nonNegative.max(MAX_USD, `must be at most ${MAX_USD} USD`);
const positiveInt = z.number().int().positive();
const unitInterval = z.number().min(0).max(1);

/** Names used as model, route and provider names: they end up in URLs, metrics and logs. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const name = z
  .string()
  .regex(NAME_PATTERN, 'must start with a letter or digit and use only letters, digits and . _ : @ / -')
  .refine((value) => !value.includes('..') && !value.includes('//'), 'must not contain ".." or "//"');

export const TIERS = ['basic', 'intermediate', 'advanced', 'expert'] as const;
export type Tier = (typeof TIERS)[number];

export const simulatorProfileSchema = z.strictObject({
  /** Time before the response headers (non-stream: before the whole answer). */
  latency_ms: nonNegative.default(0),
  /** Time from headers to the first token of a stream. */
  ttft_ms: nonNegative.default(0),
  /** Output speed of a stream; 0 means as fast as possible. */
  tokens_per_s: nonNegative.default(0),
  /** Share of requests answered with an HTTP 500. */
  error_rate: unitInterval.default(0),
  /** Length of generated answers in tokens (approximately), unless the prompt asks for less. */
  output_tokens: positiveInt.max(100_000).optional(),
  /** Embedding dimensions when the request does not say. */
  dimensions: positiveInt.max(8192).default(256),
});
export type SimulatorProfile = z.infer<typeof simulatorProfileSchema>;

const httpProviderFields = {
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  api_key: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** Per-attempt timeout towards this provider. */
  timeout_ms: positiveInt.optional(),
  /** Connections kept to this provider's origin. */
  max_connections: positiveInt.max(10_000).optional(),
  /**
   * Which field carries the output-token limit. Defaults per type: `max_completion_tokens` for
   * OpenAI itself, Azure and GitHub Models; `max_tokens` for Hugging Face and any other
   * OpenAI-compatible server (older Azure API versions also want `max_tokens`).
   */
  max_tokens_field: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
};

export const providerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.enum(['openai', 'github', 'huggingface']),
    ...httpProviderFields,
    organization: z.string().optional(),
    project: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('azure'),
    ...httpProviderFields,
    base_url: z.url({ protocol: /^https?$/ }),
    api_version: z.string().default('2024-10-21'),
  }),
  z.strictObject({
    type: z.literal('anthropic'),
    ...httpProviderFields,
    anthropic_version: z.string().default('2023-06-01'),
    beta: z.array(z.string()).optional(),
  }),
  z.strictObject({
    type: z.literal('gemini'),
    ...httpProviderFields,
    api_version: z.string().default('v1beta'),
  }),
  z.strictObject({ type: z.literal('ollama'), ...httpProviderFields }),
  z.strictObject({
    type: z.literal('simulator'),
    profile: simulatorProfileSchema.prefault({}),
    timeout_ms: positiveInt.optional(),
    max_connections: positiveInt.max(10_000).optional(),
  }),
]);
export type ProviderConfig = z.infer<typeof providerSchema>;
export type ProviderType = ProviderConfig['type'];

export const limitsSchema = z.strictObject({
  rpm: positiveInt.optional(),
  rpd: positiveInt.optional(),
  tpm: positiveInt.optional(),
  tpd: positiveInt.optional(),
  max_concurrency: positiveInt.optional(),
});

export const deploymentSchema = z.strictObject({
  provider: name,
  /** Upstream model id; defaults to the logical model's name. For Azure, the deployment name. */
  model: z.string().min(1).max(256).optional(),
  weight: nonNegative.default(1),
  limits: limitsSchema.optional(),
  /** Prices of this deployment when they differ from the model's (e.g. a discounted contract). */
  pricing: z.lazy(() => pricingSchema).optional(),
  /** Simulator settings for this deployment (only with a simulator provider). */
  simulate: simulatorProfileSchema.partial().optional(),
});
export type DeploymentConfig = z.infer<typeof deploymentSchema>;

export const pricingSchema = z.strictObject({
  input_per_mtok: nonNegative.default(0),
  output_per_mtok: nonNegative.default(0),
  cached_input_per_mtok: nonNegative.optional(),
  cache_write_per_mtok: nonNegative.optional(),
  reasoning_per_mtok: nonNegative.optional(),
});

export const modelSchema = z.strictObject({
  tier: z.enum(TIERS).optional(),
  capabilities: z.array(z.string().min(1).max(64)).optional(),
  context_window: positiveInt.optional(),
  max_output_tokens: positiveInt.optional(),
  pricing: pricingSchema.optional(),
  quality: unitInterval.optional(),
  deployments: z.array(deploymentSchema).optional(),
  description: z.string().optional(),
  // The seed documents' form.
  provider: name.optional(),
  cost_per_1k_tokens: z
    .strictObject({ input: nonNegative.optional(), output: nonNegative.optional() })
    .optional(),
  quality_score: unitInterval.optional(),
  max_tokens: positiveInt.optional(),
  latency_ms: nonNegative.optional(),
  dimensions: positiveInt.optional(),
});
export type ModelConfig = z.infer<typeof modelSchema>;

export const STRATEGIES = [
  'direct',
  'rules',
  'cheapest',
  'quality',
  'balanced',
  'fallback',
  'ensemble',
  'ab',
  'router-model',
  'custom',
] as const;

export const routeSchema = z.strictObject({
  strategy: z.enum(STRATEGIES),
  model: name.optional(),
  models: z.array(name).optional(),
  chain: z.array(name).optional(),
  min_confidence: unitInterval.optional(),
  select: z.enum(['confidence', 'vote', 'synthesize']).optional(),
  aggregator: name.optional(),
  variants: z.array(z.strictObject({ model: name, weight: nonNegative })).optional(),
  rules: z
    .array(
      z.strictObject({
        task: z.string().optional(),
        when: z.record(z.string(), z.unknown()).optional(),
        preferred: z.array(name).default([]),
        fallback: z.array(name).default([]),
      }),
    )
    .optional(),
  module: z.string().optional(),
  weights: z.record(z.string(), z.number()).optional(),
  sticky_by: z.enum(['user', 'key', 'session']).optional(),
  hedge_after_ms: positiveInt.optional(),
  max_cost_usd: usd.optional(),
});
export type RouteConfig = z.infer<typeof routeSchema>;

/** Spending limits of one budget, one per UTC window. */
export const budgetLimitsSchema = z.strictObject({
  daily_limit_usd: usd.optional(),
  monthly_limit_usd: usd.optional(),
  total_limit_usd: usd.optional(),
});

export const routingRuleSchema = z.strictObject({
  task: z.string().min(1),
  preferred_models: z.array(z.string()).default([]),
  fallback_models: z.array(z.string()).default([]),
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(4000),
      body_limit_mb: z.number().positive().max(1024).default(10),
      cors_origins: z.array(z.string()).default([]),
      /** Overall deadline of one request, all attempts included. */
      request_timeout_ms: positiveInt.default(600_000),
      /** One info line per request (id, route, status, duration, model, key id, cost; no content). */
      access_log: z.boolean().default(true),
    })
    .prefault({}),
  security: z
    .strictObject({
      /**
       * Upstreams a request may name in `switchyard.api_base` (OpenAI-compatible providers only):
       * `scheme://host[:port]`, host exact or `*.suffix`; `{url, allow_private: true}` also lets the
       * host resolve to private or loopback addresses. Empty: request-supplied URLs are refused.
       */
      upstream_allowlist: z
        .array(
          z.union([
            z.string(),
            z.strictObject({ url: z.string(), allow_private: z.boolean().default(false) }),
          ]),
        )
        .default([]),
    })
    .prefault({}),
  auth: z
    .strictObject({
      master_key: z.string().optional(),
      /**
       * How long a virtual key's lookup is reused. Revoking through the gateway takes effect at
       * once; `switchyard keys revoke` run in another process on the same database, within this.
       */
      key_cache_ms: z.number().int().min(0).max(60_000).default(1_000),
    })
    .prefault({}),
  storage: z
    .strictObject({
      url: z.string().default('sqlite://./switchyard.db'),
      redis_url: z.string().optional(),
      /** Prepended to every Redis key this gateway writes (counters, cache); replicas that share limits share it. */
      redis_prefix: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'use letters, digits and . _ : - only')
        .default('switchyard:'),
      /**
       * What budgets and rate limits do while the shared Redis is unreachable (DESIGN.md §5):
       * `fail_closed` refuses with 503, `fail_open` admits unchecked, `local` counts in this
       * process (each replica then enforces the full limit on its own).
       */
      redis_down: z
        .strictObject({
          budgets: z.enum(['fail_closed', 'fail_open', 'local']).default('fail_closed'),
          rate_limits: z.enum(['local', 'fail_open', 'fail_closed']).default('local'),
        })
        .prefault({}),
    })
    .prefault({}),
  providers: z.record(name, providerSchema).default({}),
  models: z.record(name, modelSchema).default({}),
  routes: z.record(name, routeSchema).default({}),
  routing_rules: z.array(routingRuleSchema).default([]),
  routing: z
    .strictObject({
      /**
       * Priors learned by `switchyard eval --train … --save-priors FILE` (per-task model quality and
       * cost, learned cascades and verifiers), read once at start into what strategies see.
       */
      priors_file: z.string().min(1).optional(),
    })
    .prefault({}),
  budgets: z
    .strictObject({
      daily_limit_usd: usd.optional(),
      monthly_limit_usd: usd.optional(),
      total_limit_usd: usd.optional(),
      alert_threshold: unitInterval.default(0.8),
      /**
       * A budget reservation is held for the request's deadline plus this; one its replica never
       * settles (a crash) stops holding budget after that.
       */
      reservation_margin_ms: z.number().int().min(0).max(3_600_000).default(60_000),
      webhook_url: z.url().optional(),
      /** Budgets per project (a virtual key's `project`), same windows as the global one. */
      projects: z.record(z.string().min(1).max(128), budgetLimitsSchema).optional(),
      /** Budgets per user (a virtual key's `user`). */
      users: z.record(z.string().min(1).max(256), budgetLimitsSchema).optional(),
    })
    .prefault({}),
  /** The response cache (src/cache): see its module comments for what is cached and why. */
  cache: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Seconds an answer is served from the cache (default 3600); `ttl` is the seed's name. */
      ttl_s: z.number().positive().optional(),
      ttl: z.number().positive().optional(),
      /** Most answers kept (default 1000); `max_size` is the seed's name. */
      max_entries: positiveInt.optional(),
      max_size: positiveInt.optional(),
      /** The seed's eviction policy; LRU is what the memory and SQLite stores do. */
      strategy: z.enum(['lru']).optional(),
      /** Bytes of answers kept in process (memory and SQLite stores). */
      max_bytes: positiveInt.default(64 * 1024 * 1024),
      /** Largest answer stored; larger ones are served and not cached. */
      max_entry_bytes: positiveInt.default(1024 * 1024),
      /** Who shares answers: a project (keys without one: the key), each key, or everyone. */
      scope: z.enum(['project', 'key', 'global']).default('project'),
      /** Also cache sampled requests (temperature above 0 or unset), keyed by their sampling settings. */
      cache_nondeterministic: z.boolean().default(true),
      /** Where answers live; `auto`: Redis with `storage.redis_url`, else the SQLite file, else memory. */
      store: z.enum(['auto', 'memory', 'sqlite', 'redis']).default('auto'),
      /** Prefix of the cache's Redis keys; default `<storage.redis_prefix>cache:`. */
      redis_prefix: z.string().min(1).max(128).optional(),
      /** Near-duplicate lookup by lexical similarity of the last user message (no embeddings). */
      semantic: z
        .strictObject({
          enabled: z.boolean().default(false),
          /** Cosine similarity at or above which a near-duplicate is served. */
          threshold: unitInterval.default(0.9),
          /** Prompts indexed (per process). */
          max_entries: positiveInt.max(1_000_000).default(10_000),
        })
        .prefault({}),
    })
    .superRefine((cache, context) => {
      if (cache.ttl !== undefined && cache.ttl_s !== undefined && cache.ttl !== cache.ttl_s)
        context.addIssue({ code: 'custom', path: ['ttl'], message: 'ttl and ttl_s disagree' });
      if (
        cache.max_size !== undefined &&
        cache.max_entries !== undefined &&
        cache.max_size !== cache.max_entries
      )
        context.addIssue({
          code: 'custom',
          path: ['max_size'],
          message: 'max_size and max_entries disagree',
        });
    })
    .prefault({}),
  rate_limit: z
    .strictObject({
      enabled: z.boolean().default(true),
      requests_per_minute: positiveInt.optional(),
      tokens_per_minute: positiveInt.optional(),
      burst: z.number().int().nonnegative().optional(),
      burst_size: z.number().int().nonnegative().optional(),
    })
    .prefault({}),
  load_balancer: z
    .strictObject({
      strategy: z
        .enum(['round-robin', 'weighted', 'least-busy', 'lowest-latency', 'lowest-cost', 'quota-aware'])
        .default('weighted'),
      /** Seconds between active health probes of each deployment (seed format); off when unset. */
      health_check_interval: z.number().positive().optional(),
      /** Consecutive failed probes that take a deployment out (its circuit opens). */
      max_failures: positiveInt.default(3),
      /** Seconds a probe may take. */
      timeout: z.number().positive().default(5),
    })
    .prefault({}),
  execution: z
    .strictObject({
      /** Retries after the first attempt, across deployments and plan steps. */
      max_retries: z.number().int().min(0).max(10).default(2),
      backoff_base_ms: nonNegative.default(25),
      backoff_cap_ms: nonNegative.default(250),
      /** Retries in flight may be at most this share of requests in flight… */
      retry_budget_ratio: unitInterval.default(0.2),
      /** …but never fewer than this many. */
      retry_budget_min: z.number().int().min(0).default(3),
      /** Longest a request waits for a free slot when deployments are at max_concurrency. */
      queue_timeout_ms: positiveInt.default(30_000),
      /**
       * How long a stream is held back before the first byte goes to the client: 0 commits at the
       * first token; more keeps the start buffered so an early upstream failure still falls back.
       */
      stream_commit_ms: nonNegative.max(60_000).default(0),
      circuit_breaker: z
        .strictObject({
          failure_rate: unitInterval.default(0.5),
          window_ms: positiveInt.default(30_000),
          min_calls: positiveInt.default(10),
          consecutive_failures: positiveInt.default(5),
          open_ms: positiveInt.default(5_000),
          max_open_ms: positiveInt.default(60_000),
          half_open_probes: positiveInt.max(100).default(2),
          probe_timeout_ms: positiveInt.default(5_000),
        })
        .prefault({}),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      file: z.string().optional(),
    })
    .prefault({}),
  ledger: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Records written per transaction. */
      batch_size: positiveInt.max(100_000).default(500),
      /** Longest a record waits in memory before it is written. */
      flush_ms: positiveInt.max(60_000).default(50),
    })
    .prefault({}),
  metrics: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  /** The durable job queue behind `POST /v1/jobs` (SQLite in the embedded default, BullMQ with Redis). */
  jobs: z
    .strictObject({
      /** Accept jobs and run a worker in this process. */
      enabled: z.boolean().default(true),
      /** Jobs this process runs at once; 0 accepts jobs but leaves running them to other processes. */
      concurrency: z.number().int().min(0).max(1_000).default(4),
      /** Attempts of a job that does not say, before it goes to the dead letters. */
      max_attempts: positiveInt.max(100).default(3),
      /** Delay before the first retry, doubled on each further one. */
      backoff_ms: nonNegative.max(3_600_000).default(1_000),
      /** Lease of a running job: renewed while it runs; once it lapses another worker takes the job. */
      visibility_timeout_ms: z.number().int().min(100).max(3_600_000).default(60_000),
      /** How often an idle worker looks for jobs (one submitted to this process wakes it at once). */
      poll_ms: z.number().int().min(10).max(60_000).default(500),
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.infer<typeof configSchema>;
