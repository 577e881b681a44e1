/**
 * The dashboard is served with strict security headers, loads only same-origin assets, and
 * renders real data in a headless browser when one is installed.
 */

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ storage: 'memory' });
  await fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
});
afterAll(() => h.close());

describe('dashboard', () => {
  it('serves the page and its assets with security headers', async () => {
    for (const [path, type] of [
      ['/dashboard', 'text/html'],
      ['/dashboard/app.js', 'text/javascript'],
      ['/dashboard/app.css', 'text/css'],
    ] as const) {
      const response = await fetch(`${h.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(type);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
    const html = await (await fetch(`${h.url}/dashboard`)).text();
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // nothing from another origin
    expect((await fetch(`${h.url}/dashboard/../package.json`)).status).toBe(404);
    expect((await fetch(`${h.url}/dashboard/secret.txt`)).status).toBe(404);
  });

  it.skipIf(!existsSync('/usr/bin/chromium'))(
    'renders the totals in a headless browser',
    { timeout: 90_000 },
    async () => {
      const { execFile } = await import('node:child_process');
      const { promisify } = await import('node:util');
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const profile = mkdtempSync(join(tmpdir(), 'switchyard-chromium-'));
      // Asynchronous on purpose: the gateway under test runs in this process and must keep serving.
      const result = await promisify(execFile)(
        '/usr/bin/chromium',
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          `--user-data-dir=${profile}`,
          '--virtual-time-budget=3000',
          '--dump-dom',
          `${h.url}/dashboard`,
        ],
        { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      );
      rmSync(profile, { recursive: true, force: true });
      expect(result.stdout).toContain('gpt-4o-mini');
      expect(result.stdout).toMatch(/<b>1<\/b>requests/);
    },
  );
});
