import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigObject } from '../config/load.js';
import {
  type AllowEntry,
  compileAllowlist,
  matchAllowlist,
  parseAllowEntry,
  parseUpstreamUrl,
  type UpstreamUrl,
} from './upstream-allowlist.js';

function entry(input: Parameters<typeof parseAllowEntry>[0]): AllowEntry {
  const parsed = parseAllowEntry(input);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

function upstream(text: string): UpstreamUrl {
  const parsed = parseUpstreamUrl(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('parseAllowEntry', () => {
  it('reads exact and wildcard entries with their effective port', () => {
    expect(entry('https://*.openai.azure.com')).toMatchObject({
      protocol: 'https:',
      host: 'openai.azure.com',
      wildcard: true,
      port: 443,
      allowPrivate: false,
    });
    expect(entry('http://10.0.0.5:8000')).toMatchObject({ host: '10.0.0.5', wildcard: false, port: 8000 });
    expect(entry({ url: 'http://127.0.0.1:8000', allow_private: true })).toMatchObject({
      allowPrivate: true,
    });
    expect(entry('http://[::1]:9000')).toMatchObject({ host: '::1', port: 9000 });
    expect(entry('HTTPS://API.Example.COM.')).toMatchObject({ host: 'api.example.com' });
  });

  it.each([
    ['not a url', /not a URL/],
    ['ftp://files.example.com', /only http and https/],
    ['https://user:pw@api.example.com', /credentials/],
    ['https://api.example.com/v1', /scheme:\/\/host\[:port\] only/],
    ['https://api.example.com?x=1', /scheme:\/\/host\[:port\] only/],
    ['https://a.*.example.com', /first label/],
    ['https://*.com', /at least two labels/],
  ])('refuses %s', (input, problem) => {
    expect(parseAllowEntry(input)).toMatch(problem);
  });

  it('skips bad entries when compiling (config check reports them)', () => {
    expect(compileAllowlist(['nope', 'https://api.example.com']).map((e) => e.host)).toEqual([
      'api.example.com',
    ]);
  });
});

describe('parseUpstreamUrl', () => {
  it('canonicalises hosts the way the URL parser does', () => {
    expect(upstream('http://0x7f000001:8000/v1')).toMatchObject({ host: '127.0.0.1', port: 8000 });
    expect(upstream('http://127.000.0.1:8000/v1')).toMatchObject({ host: '127.0.0.1' });
    expect(upstream('http://[::ffff:127.0.0.1]/v1')).toMatchObject({ host: '::ffff:7f00:1', port: 80 });
    const dotted = upstream('https://API.example.com./v1');
    expect(dotted.host).toBe('api.example.com');
    expect(dotted.url.href).toBe('https://api.example.com/v1');
  });

  it.each([
    ['/v1', /absolute URL/],
    ['file:///etc/passwd', /only http and https/],
    ['gopher://127.0.0.1:6379/_INFO', /only http and https/],
    ['http://user:secret@api.example.com/v1', /credentials/],
    ['http://api.example.com/v1#x', /fragment/],
    ['http://*.example.com/v1', /host name/],
    ['http://a_b$.example.com/v1', /host name/],
    [`https://api.example.com/${'x'.repeat(2100)}`, /at most/],
  ])('refuses %s', (text, problem) => {
    expect(parseUpstreamUrl(text)).toMatch(problem);
  });
});

describe('matchAllowlist', () => {
  const entries = [
    entry('https://*.openai.azure.com'),
    entry('http://10.0.0.5:8000'),
    entry({ url: 'http://127.0.0.1:8000', allow_private: true }),
  ];
  const match = (text: string) => matchAllowlist(upstream(text), entries)?.url;

  it('matches exact hosts, suffix wildcards, scheme and port', () => {
    expect(match('https://east.openai.azure.com')).toBe('https://*.openai.azure.com');
    expect(match('https://a.b.openai.azure.com:443/openai')).toBe('https://*.openai.azure.com');
    expect(match('http://10.0.0.5:8000/v1')).toBe('http://10.0.0.5:8000');
    expect(match('http://0x7f000001:8000/v1')).toBe('http://127.0.0.1:8000');
  });

  it.each([
    'https://openai.azure.com', // the wildcard does not cover the apex
    'https://evilopenai.azure.com', // nor a name that merely ends the same
    'https://openai.azure.com.evil.com',
    'http://east.openai.azure.com', // scheme differs
    'https://east.openai.azure.com:8443', // port differs from the default
    'http://10.0.0.5/v1', // port 80, not 8000
    'http://10.0.0.5:8001/v1',
    'http://10.0.0.6:8000/v1',
    'http://localhost:8000/v1', // a different name for an allowed address is a different host
    'http://[::ffff:127.0.0.1]:8000/v1',
  ])('does not match %s', (text) => {
    expect(match(text)).toBeUndefined();
  });
});

describe('security.upstream_allowlist in config', () => {
  it('reports one line per bad entry, naming its path', () => {
    let problems: string[] = [];
    try {
      parseConfigObject({
        security: {
          upstream_allowlist: [
            'https://*.openai.azure.com',
            'ftp://files.example.com',
            'http://10.0.0.5:8000',
            { url: 'http://10.0.0.6:8000', allow_private: true },
            { url: 'https://api.example.com/v1' },
            'http://[::1]:8000',
          ],
        },
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      'security.upstream_allowlist.1: "ftp://files.example.com": only http and https upstreams are allowed',
      'security.upstream_allowlist.2: http://10.0.0.5:8000 is a private address; add allow_private: true to allow it',
      'security.upstream_allowlist.4: "https://api.example.com/v1": give scheme://host[:port] only; the request names the path',
      'security.upstream_allowlist.5: http://[::1]:8000 is a loopback address; add allow_private: true to allow it',
    ]);
  });

  it('defaults to an empty list: request-supplied upstreams are off', () => {
    expect(parseConfigObject({}).config.security.upstream_allowlist).toEqual([]);
    expect(parseConfigObject({}).config.server.access_log).toBe(true);
  });
});
