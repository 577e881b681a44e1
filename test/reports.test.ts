/**
 * Ledger reports end to end: `GET /admin/usage` (JSON and CSV), `/admin/usage/report` and
 * `/admin/usage/export` over real HTTP against what the gateway recorded for real requests and
 * feedback; and `switchyard costs stats|report|export` through the built binary, on a temp config
 * whose SQLite ledger this test seeds, and against the running gateway with `--url`.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStrictCsv } from '../src/accounting/reports/__fixtures__/strict-csv.js';
import type { CostReport, UsageDocument } from '../src/accounting/reports/usage-report.js';
import { fullRecord, minimalRecord } from '../src/storage/ledger.contract.js';
import type { LedgerRecord } from '../src/storage/ports.js';
import { createSqliteLedger } from '../src/storage/sqlite/sqlite-ledger.js';
import { defaultTestConfig, type Harness, startHarness } from './helpers/harness.js';

const MASTER = 'sk-master-reports-0123456789';
const auth = { authorization: `Bearer ${MASTER}` };

const EXPORT_HEADER =
  'request_id,timestamp,endpoint,key_id,project,user,tags,route,strategy,model,provider,deployment,status,' +
  'error_code,http_status,stream,input_tokens,output_tokens,cached_input_tokens,cache_write_tokens,' +
  'reasoning_tokens,usage_estimated,cost_usd,latency_ms,ttft_ms,cache_hit,confidence,attempts,feedback_rating';

describe('/admin/usage over HTTP', () => {
  let h: Harness;
  const ids: string[] = [];

  async function chat(model: string, tags: string[]): Promise<string> {
    const response = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: `hello ${ids.length}` }],
        switchyard: { tags },
      }),
    });
    expect(response.status).toBe(200);
    await response.text();
    const id = response.headers.get('x-switchyard-request-id') as string;
    ids.push(id);
    return id;
  }

  beforeAll(async () => {
    h = await startHarness({
      config: (mockUrl) => ({ ...defaultTestConfig(mockUrl), auth: { master_key: MASTER } }),
    });
    for (let i = 0; i < 6; i++) await chat('gpt-4o-mini', ['batch', 'comma, tag']);
    for (let i = 0; i < 3; i++) await chat('gpt-4o', ['interactive']);
    const feedback = await fetch(`${h.url}/v1/feedback`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: ids[0], rating: 5, feedback: 'spot on, "thanks"' }),
    });
    expect(feedback.status).toBe(200);
    await h.gateway.ledger.flush();
  });
  afterAll(() => h.close());

  it('needs the admin key', async () => {
    const response = await fetch(`${h.url}/admin/usage`);
    expect(response.status).toBe(401);
    await response.text();
  });

  it('sums what the ledger recorded, per model, to the nano-dollar', async () => {
    const records = await h.gateway.ledger.query({});
    expect(records).toHaveLength(9);
    const response = await fetch(`${h.url}/admin/usage?period=daily&by=model&p95=true`, { headers: auth });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as UsageDocument;
    expect(doc.period).toBe('daily');
    for (const model of ['gpt-4o-mini', 'gpt-4o']) {
      const mine = records.filter((r) => r.model === model);
      const rows = doc.rows.filter((r) => r.model === model);
      expect(rows.reduce((n, r) => n + r.requests, 0)).toBe(mine.length);
      expect(rows.reduce((n, r) => n + r.cost_nanos, 0)).toBe(mine.reduce((n, r) => n + r.costNanos, 0));
      expect(rows.reduce((n, r) => n + r.input_tokens, 0)).toBe(mine.reduce((n, r) => n + r.inputTokens, 0));
      expect(rows.reduce((n, r) => n + r.output_tokens, 0)).toBe(
        mine.reduce((n, r) => n + r.outputTokens, 0),
      );
    }
    const total = records.reduce((n, r) => n + r.costNanos, 0);
    expect(doc.totals.cost_nanos).toBe(total);
    expect(total).toBeGreaterThan(0);
    // The feedback posted above is in the ledger and counted.
    expect(doc.totals.rated).toBe(1);
    expect(doc.rows.find((r) => r.model === 'gpt-4o-mini' && r.rated === 1)?.avg_rating).toBe(5);
  });

  it('answers CSV that a strict RFC 4180 parser reads, a tag with a comma included', async () => {
    const response = await fetch(`${h.url}/admin/usage?period=none&by=tag&format=csv`, { headers: auth });
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...rows] = parseStrictCsv(await response.text());
    expect(header?.slice(0, 3)).toEqual(['tag', 'requests', 'errors']);
    expect(rows.map((r) => [r[0], r[1]]).sort()).toEqual([
      ['batch', '6'],
      ['comma, tag', '6'],
      ['interactive', '3'],
    ]);
  });

  it('refuses bad parameters with a 400 naming them', async () => {
    const response = await fetch(`${h.url}/admin/usage?period=hourly`, { headers: auth });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { field: string } } };
    expect(body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'period' } });
    const since = await fetch(`${h.url}/admin/usage?since=yesterday-ish`, { headers: auth });
    expect(since.status).toBe(400);
    await since.text();
  });

  it('serves the cost report with forecast and advice', async () => {
    const response = await fetch(`${h.url}/admin/usage/report?by=model`, { headers: auth });
    const report = (await response.json()) as CostReport;
    expect(report.breakdown.map((r) => [r.model, r.requests])).toEqual([
      ['gpt-4o', 3],
      ['gpt-4o-mini', 6],
    ]);
    // Everything was spent this month, so far; the rest of the month can only add.
    expect(report.forecast.spent_nanos).toBe(report.totals.cost_nanos);
    expect(report.forecast.forecast_nanos).toBeGreaterThanOrEqual(report.forecast.spent_nanos);
    expect(report.advice).toEqual([]);
  });

  it('streams the per-request export, CSV and JSON', async () => {
    const csv = await fetch(
      `${h.url}/admin/usage/export?format=csv&tag=${encodeURIComponent('comma, tag')}`,
      {
        headers: auth,
      },
    );
    expect(csv.headers.get('content-disposition')).toContain('switchyard-requests.csv');
    const [header, ...rows] = parseStrictCsv(await csv.text());
    expect(header?.join(',')).toBe(EXPORT_HEADER);
    expect(rows.map((r) => r[0]).sort()).toEqual(ids.slice(0, 6).sort());
    expect(rows.every((r) => r[6] === 'batch;comma, tag')).toBe(true);
    expect(rows.find((r) => r[0] === ids[0])?.[28]).toBe('5');

    const json = await fetch(`${h.url}/admin/usage/export?format=json&model=gpt-4o`, { headers: auth });
    const objects = (await json.json()) as { request_id: string; tags: string[]; cost_usd: string }[];
    expect(objects.map((o) => o.request_id).sort()).toEqual(ids.slice(6).sort());
    expect(objects[0]?.tags).toEqual(['interactive']);
  });

  it('is what `costs stats --url` and `costs export --url` print', async () => {
    const stats = await runCli(
      ['costs', 'stats', '--url', h.url, '--by', 'model', '--period', 'none', '--json'],
      {
        SWITCHYARD_API_KEY: MASTER,
      },
    );
    expect(stats.status, stats.stderr).toBe(0);
    const doc = JSON.parse(stats.stdout) as UsageDocument;
    expect(doc.period).toBeNull();
    expect(doc.rows.map((r) => [r.model, r.requests])).toEqual([
      ['gpt-4o', 3],
      ['gpt-4o-mini', 6],
    ]);
    expect(doc.totals.requests).toBe(9);
    const exported = await runCli([
      'costs',
      'export',
      '--url',
      h.url,
      '--api-key',
      MASTER,
      '--model',
      'gpt-4o',
    ]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(parseStrictCsv(exported.stdout)).toHaveLength(4);
    const denied = await runCli(['costs', 'stats', '--url', h.url]);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/UNAUTHORIZED/);
  });
});

const BIN = join(import.meta.dirname, '../bin/switchyard.js');
let cwd: string;

/** The binary with a clean environment; async, so that a gateway in this process can answer it. */
function runCli(args: string[], env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/API_KEY|TOKEN|SECRET|^SWITCHYARD_/.test(name)) clean[name] = value;
  }
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(() => {
  if (!existsSync(join(import.meta.dirname, '../dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run the tests with `npm test`, which builds first');
  }
  cwd = mkdtempSync(join(tmpdir(), 'switchyard-costs-cli-'));
});
afterAll(() => {
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('switchyard costs on a SQLite ledger', () => {
  const records: LedgerRecord[] = [];

  beforeAll(async () => {
    const now = Date.now();
    // Three days of traffic ending now, one request with every awkward character CSV has to quote.
    for (let i = 0; i < 300; i++) {
      records.push(
        fullRecord(i, {
          timestamp: now - (i % 3) * 86_400_000 - i,
          model: i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
          route: 'auto',
          ...(i === 7 ? { user: 'Ann "A", B.', tags: ['x,y', 'line\nbreak'], project: 'p;q' } : {}),
          ...(i % 10 === 0 ? { feedback: { rating: 5 } } : {}),
        }),
      );
    }
    records.push(minimalRecord('rejected-1', now - 5_000));
    const ledger = createSqliteLedger({ path: join(cwd, 'ledger.db') });
    for (const record of records) ledger.append(record);
    await ledger.close();
    writeFileSync(
      join(cwd, 'switchyard.yaml'),
      [
        'storage: { url: "sqlite://./ledger.db" }',
        'providers: { sim: { type: simulator } }',
        'models:',
        '  gpt-4o-mini: { tier: advanced, pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 }, deployments: [{ provider: sim }] }',
        '  gpt-4o: { tier: advanced, pricing: { input_per_mtok: 2.5, output_per_mtok: 10 }, deployments: [{ provider: sim }] }',
        '',
      ].join('\n'),
    );
  });

  it('exports every request as strict RFC 4180 CSV with the documented header and exact costs', async () => {
    const result = await runCli(['costs', 'export', '--format', 'csv', '--output', 'costs.csv']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('exported 301 requests to costs.csv');
    const [header, ...rows] = parseStrictCsv(readFileSync(join(cwd, 'costs.csv'), 'utf8'));
    expect(header?.join(',')).toBe(EXPORT_HEADER);
    expect(rows).toHaveLength(301);
    // Oldest first.
    const times = rows.map((r) => Date.parse(r[1] as string));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const awkward = rows.find((r) => r[0] === fullRecord(7).requestId);
    expect(awkward?.slice(4, 7)).toEqual(['p;q', 'Ann "A", B.', 'x,y;line\nbreak']);
    // cost_usd is exact: its digits are the integer nano-dollars, and they add up to the ledger's sum.
    expect(rows.every((r) => /^\d+\.\d{2,9}$/.test(r[22] as string))).toBe(true);
    const nanos = rows.reduce((n, r) => {
      const [whole, fraction] = (r[22] as string).split('.') as [string, string];
      return n + Number(whole) * 1e9 + Number(fraction.padEnd(9, '0'));
    }, 0);
    expect(nanos).toBe(records.reduce((n, r) => n + r.costNanos, 0));
  });

  it('exports JSON to stdout, filtered', async () => {
    const result = await runCli([
      'costs',
      'export',
      '--format',
      'json',
      '--model',
      'gpt-4o',
      '--since',
      '30d',
    ]);
    expect(result.status, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as { model: string }[];
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set(['gpt-4o']));
  });

  it('prints daily stats that add up to the ledger', async () => {
    const result = await runCli(['costs', 'stats', '--period', 'daily', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as UsageDocument;
    expect(doc.rows.length).toBeGreaterThanOrEqual(3);
    expect(doc.totals.requests).toBe(301);
    expect(doc.totals.cost_nanos).toBe(records.reduce((n, r) => n + r.costNanos, 0));
    const table = await runCli(['costs', 'stats', '--since', '2d']);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /period\s+requests\s+errors\s+input tok\s+output tok\s+cost\s+avg ms\s+p95 ms/,
    );
  });

  it('prints the report: bar chart, breakdown, forecast and advice', async () => {
    const result = await runCli(['costs', 'report', '--period', 'daily', '--by', 'model']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Spend per day\n\d{4}-\d{2}-\d{2} \|#+/);
    expect(result.stdout).toMatch(/By model\nmodel\s+requests/);
    expect(result.stdout).toContain('Month-end forecast for');
    // Both models are advanced; gpt-4o-mini is cheaper and as well graded (confidence 0.875).
    expect(result.stdout).toMatch(/route auto: gpt-4o -> gpt-4o-mini \(advanced\) would have saved/);
    const json = await runCli(['costs', 'report', '--json']);
    const report = JSON.parse(json.stdout) as CostReport;
    expect(report.advice[0]).toMatchObject({ model: 'gpt-4o', alternative: 'gpt-4o-mini', requests: 100 });
  });

  it('fails with one line when there is no ledger to read, or an option is wrong', async () => {
    writeFileSync(join(cwd, 'empty.yaml'), 'storage: { url: "sqlite://./nowhere.db" }\n');
    const missing = await runCli(['costs', 'stats', '-c', 'empty.yaml']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: no ledger at \.\/nowhere\.db/);
    const bad = await runCli(['costs', 'stats', '--period', 'hourly']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--period: expected daily, weekly, monthly or none/);
  });
});
