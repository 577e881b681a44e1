import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry } from '../registry/registry.js';
import type { RoutePlan } from '../routing/plan.js';
import type { AllowEntryInput } from './upstream-allowlist.js';
import { createUpstreamGuard, type HostLookup, type ResolvedAddress } from './upstream-guard.js';

const { config } = parseConfigObject({
  providers: {
    oai: { type: 'openai', base_url: 'https://api.openai.com/v1', api_key: 'sk-test-0123456789abcdef' },
    claude: { type: 'anthropic', api_key: 'sk-ant-test-0123456789' },
  },
  models: {
    'gpt-4o-mini': { deployments: [{ provider: 'oai' }] },
    'claude-haiku': { deployments: [{ provider: 'claude' }] },
  },
});
const { registry } = createRegistry(config, { adapterFor, defaultBaseUrl });

const plan = (model: string): RoutePlan => ({
  kind: 'sequence',
  strategy: 'direct',
  attempts: [{ model }],
  reason: 'test',
});

/** A resolver for names that do not exist here; records what was asked. */
function fakeDns(answers: Record<string, ResolvedAddress[]>) {
  const asked: string[] = [];
  const lookup: HostLookup = async (hostname) => {
    asked.push(hostname);
    const found = answers[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  };
  return { asked, lookup };
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function guardWith(allowlist: AllowEntryInput[], answers: Record<string, ResolvedAddress[]> = {}) {
  const dns = fakeDns(answers);
  return { dns, guard: createUpstreamGuard({ allowlist, registry, lookup: dns.lookup }) };
}

describe('upstream guard', () => {
  it('refuses every api_base while the allow-list is empty, without resolving anything', async () => {
    const { dns, guard } = guardWith([]);
    expect(guard.enabled).toBe(false);
    const error = await refusal(guard.check('https://api.example.com/v1', plan('gpt-4o-mini')));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.status).toBe(400);
    expect(error.details).toEqual({ field: 'switchyard.api_base' });
    expect(error.message).toMatch(/not enabled/);
    expect(dns.asked).toEqual([]);
  });

  it('pins a public host to the addresses it resolved to', async () => {
    const addresses: ResolvedAddress[] = [
      { address: '20.50.1.2', family: 4 },
      { address: '2603:1030::5', family: 6 },
    ];
    const { dns, guard } = guardWith(['https://*.openai.azure.com'], { 'east.openai.azure.com': addresses });
    const pinned = await guard.check('https://east.openai.azure.com/openai/', plan('gpt-4o-mini'));
    expect(pinned).toEqual({ baseUrl: 'https://east.openai.azure.com/openai', addresses });
    expect(dns.asked).toEqual(['east.openai.azure.com']);
  });

  it('refuses a host that is not allowed, before resolving it', async () => {
    const { dns, guard } = guardWith(['https://*.openai.azure.com']);
    for (const url of [
      'https://evil.example.com/v1',
      'https://east.openai.azure.com:444/v1',
      'http://east.openai.azure.com/v1',
      'https://user:pw@east.openai.azure.com/v1',
      'file:///etc/passwd',
    ]) {
      const error = await refusal(guard.check(url, plan('gpt-4o-mini')));
      expect(error.code, url).toBe('INVALID_REQUEST');
      expect(error.details, url).toEqual({ field: 'switchyard.api_base' });
    }
    expect(dns.asked).toEqual([]);
  });

  it('refuses an allowed name when any of its addresses is not public', async () => {
    const { guard } = guardWith(['https://*.example.com'], {
      'meta.example.com': [{ address: '169.254.169.254', family: 4 }],
      'mixed.example.com': [
        { address: '93.184.216.34', family: 4 },
        { address: '::ffff:10.0.0.1', family: 6 },
      ],
      'ula.example.com': [{ address: 'fd00:ec2::254', family: 6 }],
    });
    for (const host of ['meta', 'mixed', 'ula']) {
      const error = await refusal(guard.check(`https://${host}.example.com/v1`, plan('gpt-4o-mini')));
      expect(error.message, host).toMatch(/not public/);
      // The client is not told which internal address the name has.
      expect(error.message, host).not.toMatch(/169\.254|10\.0\.0\.1|fd00/);
    }
  });

  it('lets allow_private entries resolve to private addresses, and only those entries', async () => {
    const { guard } = guardWith(
      [{ url: 'http://vllm.internal:8000', allow_private: true }, 'http://10.0.0.5:8000'],
      {
        'vllm.internal': [{ address: '10.1.2.3', family: 4 }],
      },
    );
    const pinned = await guard.check('http://vllm.internal:8000/v1', plan('gpt-4o-mini'));
    expect(pinned.addresses).toEqual([{ address: '10.1.2.3', family: 4 }]);
    // An IP literal is not looked up: it is its own (only) address, and it is private.
    const error = await refusal(guard.check('http://10.0.0.5:8000/v1', plan('gpt-4o-mini')));
    expect(error.message).toMatch(/not public/);
  });

  it('refuses a name that does not resolve', async () => {
    const { guard } = guardWith(['https://*.example.com']);
    const error = await refusal(guard.check('https://gone.example.com/v1', plan('gpt-4o-mini')));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/does not resolve/);
  });

  it('refuses when no model of the plan runs on an OpenAI-compatible provider', async () => {
    const { dns, guard } = guardWith(['https://*.example.com'], {
      'a.example.com': [{ address: '93.184.216.34', family: 4 }],
    });
    const error = await refusal(guard.check('https://a.example.com/v1', plan('claude-haiku')));
    expect(error.message).toMatch(/OpenAI-compatible/);
    expect(dns.asked).toEqual([]);
  });

  it('gives up on a resolver that does not answer', async () => {
    const guard = createUpstreamGuard({
      allowlist: ['https://*.example.com'],
      registry,
      lookup: () => new Promise(() => undefined),
      resolveTimeoutMs: 20,
    });
    const error = await refusal(guard.check('https://slow.example.com/v1', plan('gpt-4o-mini')));
    expect(error.code).toBe('TIMEOUT');
  });

  it('uses the system resolver by default: localhost resolves to loopback and is refused', async () => {
    const guard = createUpstreamGuard({ allowlist: ['http://localhost:8000'], registry });
    const error = await refusal(guard.check('http://localhost:8000/v1', plan('gpt-4o-mini')));
    expect(error.message).toMatch(/not public/);
  });
});
