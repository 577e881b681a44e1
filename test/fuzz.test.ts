/**
 * Fuzzing the front door: ten thousand seeded malformed requests (broken JSON, deep nesting, huge
 * numbers, invalid UTF-8, duplicate keys, wrong types, hostile bearer tokens, oversized headers)
 * at bounded concurrency. The gateway must answer every one without a 500 or a crash, still
 * serve a normal request afterwards, and give its memory back. Set FUZZ_SEED to replay a run.
 */

import { Agent, request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTestConfig, type Harness, startHarness } from './helpers/harness.js';

const MASTER_KEY = 'mk-fuzz-7Hq2Lx9Pw4Rt';
const TOTAL = 10_000;
const CONCURRENCY = 50;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: tiny, fast, and the same sequence for the same seed. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}
type Random = ReturnType<typeof createRandom>;

interface FuzzCase {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const POST_PATHS = [
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/messages',
  '/admin/keys',
  '/v1/feedback',
];
const CHAT_FIELDS = [
  'model',
  'messages',
  'max_tokens',
  'temperature',
  'stream',
  'tools',
  'tool_choice',
  'n',
  'stop',
  'user',
  'response_format',
  'top_p',
  'metadata',
  'stream_options',
];
const HOSTILE_TOKENS = [
  "' OR 1=1 --",
  '"; DROP TABLE ledger; --',
  "sk-sy-' UNION SELECT * FROM keys --",
  '%00',
  '\\x00admin',
  'Bearer',
  ' ',
  'null',
  'sk-sy-',
  `${MASTER_KEY}'--`,
];

function wrongValue(r: Random): unknown {
  return r.pick<unknown>([
    null,
    true,
    0,
    -1,
    1e308,
    -1e308,
    'x',
    '',
    [],
    {},
    [null],
    { a: { b: [] } },
    'ü'.repeat(50),
    2 ** 53 + 1,
  ]);
}

function validChat(r: Random): Record<string, unknown> {
  return {
    model: r.pick(['gpt-4o-mini', 'gpt-4o', 'nope', 'auto']),
    messages: [{ role: 'user', content: `fuzz ${r.int(1000)}` }],
    max_tokens: 8,
  };
}

function generate(r: Random): FuzzCase {
  const path = r.pick(POST_PATHS);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${MASTER_KEY}`,
  };
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  switch (r.int(9)) {
    case 0: {
      const text = JSON.stringify(validChat(r));
      const cut = text.slice(0, r.int(text.length));
      return {
        kind: 'bad-json',
        method: 'POST',
        path,
        headers,
        body: Buffer.from(r.next() < 0.5 ? cut : `${cut}}}{,:"`),
      };
    }
    case 1: {
      const depth = r.pick([65, 200, 1_000, 10_000, 100_000]);
      const [open, close] = r.next() < 0.5 ? ['[', ']'] : ['{"a":', '}'];
      const nested = `${open.repeat(depth)}1${close.repeat(r.next() < 0.8 ? depth : 0)}`;
      const text = r.next() < 0.5 ? nested : `{"model":"gpt-4o-mini","messages":${nested}}`;
      return { kind: 'deep-nesting', method: 'POST', path, headers, body: Buffer.from(text) };
    }
    case 2: {
      const huge = r.pick([
        '1e400',
        '-1e400',
        '9'.repeat(400),
        '0.'.concat('0'.repeat(400), '1'),
        '1e-400',
        '-0',
      ]);
      const field = r.pick(['max_tokens', 'temperature', 'n', 'top_p', 'budget_usd', 'rating']);
      const base = JSON.stringify(validChat(r)).slice(0, -1);
      return {
        kind: 'huge-number',
        method: 'POST',
        path,
        headers,
        body: Buffer.from(`${base},"${field}":${huge}}`),
      };
    }
    case 3: {
      const bytes = Buffer.from(JSON.stringify(validChat(r)));
      const at = bytes.indexOf('fuzz');
      const bad = Buffer.from(
        r.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0x00]]),
      );
      return {
        kind: 'invalid-utf8',
        method: 'POST',
        path,
        headers,
        body: Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at)]),
      };
    }
    case 4: {
      const text = `{"model":"gpt-4o-mini","model":${r.pick(['5', 'null', '"gpt-4o"', '[]'])},"messages":[{"role":"user","content":"a","content":${r.pick(['1', '[]', '"b"', '{}'])}}],"messages":${r.pick(['[]', 'null', '[{"role":"user","content":"c"}]'])},"name":"k","name":1}`;
      return { kind: 'duplicate-keys', method: 'POST', path, headers, body: Buffer.from(text) };
    }
    case 5: {
      const body = validChat(r);
      body[r.pick(CHAT_FIELDS)] = wrongValue(r);
      if (r.next() < 0.3)
        body.messages = [{ role: wrongValue(r), content: wrongValue(r), tool_calls: wrongValue(r) }];
      return {
        kind: 'wrong-types',
        method: 'POST',
        path,
        headers,
        body: json(r.next() < 0.1 ? wrongValue(r) : body),
      };
    }
    case 6: {
      headers.authorization = `${r.pick(['Bearer ', 'bearer ', 'Basic ', ''])}${r.pick(HOSTILE_TOKENS)}`;
      if (r.next() < 0.3) headers['x-api-key'] = r.pick(HOSTILE_TOKENS);
      const method = r.pick(['POST', 'GET', 'DELETE']);
      const target = r.pick([
        path,
        '/admin/keys',
        "/admin/keys/' OR 1=1 --",
        '/admin/usage?key=%27%20OR%201%3D1',
        '/v1/models',
      ]);
      return {
        kind: 'hostile-token',
        method,
        path: encodeURI(target),
        headers,
        body: method === 'POST' ? json(validChat(r)) : undefined,
      };
    }
    case 7: {
      headers[r.pick(['x-switchyard-tags', 'x-request-id', 'x-fuzz', 'authorization'])] = 'a'.repeat(
        r.pick([1_000, 8_000, 20_000, 70_000]),
      );
      return { kind: 'oversized-header', method: 'POST', path, headers, body: json(validChat(r)) };
    }
    default: {
      const junk = Buffer.alloc(r.int(2_000));
      for (let i = 0; i < junk.length; i++) junk[i] = r.int(256);
      if (r.next() < 0.5)
        headers['content-type'] = r.pick(['text/plain', 'application/x-www-form-urlencoded', '']);
      return { kind: 'random-bytes', method: 'POST', path, headers, body: junk };
    }
  }
}

interface Outcome {
  status: number;
  body: string;
  error?: string;
}

function send(base: URL, agent: Agent, c: FuzzCase): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      { host: base.hostname, port: base.port, method: c.method, path: c.path, headers: c.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (error) => resolve({ status: 0, body: '', error: error.message }));
      },
    );
    req.on('error', (error) => resolve({ status: 0, body: '', error: error.message }));
    req.end(c.body);
  });
}

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('fuzz', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: (mockUrl) => ({ ...defaultTestConfig(mockUrl), auth: { master_key: MASTER_KEY } }),
      storage: 'memory',
    });
  });
  afterAll(() => h.close());

  it(`answers ${TOTAL} malformed requests without a 500 and keeps serving`, { timeout: 90_000 }, async () => {
    console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    const random = createRandom(SEED);
    const base = new URL(h.url);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const baseline = heapAfterGc();
    const statuses = new Map<string, number>();
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const index = next++;
        const c = generate(random);
        const outcome = await send(base, agent, c);
        const label = `${c.kind} ${outcome.status}`;
        statuses.set(label, (statuses.get(label) ?? 0) + 1);
        const bad =
          outcome.status >= 500 ||
          outcome.body.includes('"INTERNAL"') ||
          (outcome.status === 0 && c.kind !== 'oversized-header');
        if (bad && failures.length < 20) {
          failures.push(
            `#${index} ${c.kind} ${c.method} ${c.path} -> ${outcome.status} ${outcome.error ?? outcome.body.slice(0, 200)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();
    console.log(
      [...statuses]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    );
    expect(failures, `seed ${SEED}`).toEqual([]);

    const normal = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'still alive?' }] }),
    });
    expect(normal.status).toBe(200);
    const health = await fetch(`${h.url}/health`);
    expect(health.status).toBeLessThan(500);

    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = heapAfterGc();
    console.log(
      `heap baseline ${(baseline / 2 ** 20).toFixed(1)} MiB, after ${(after / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(after - baseline).toBeLessThan(64 * 2 ** 20);
  });
});
