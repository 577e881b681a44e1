/**
 * @module security/upstream-allowlist
 * The allow-list of upstream base URLs a request may name (`security.upstream_allowlist`), and
 * the syntax rules for such a URL. An entry is `scheme://host[:port]`: the scheme must match,
 * the port must match (an entry without one allows only the scheme's default port, so an
 * allowed host's other services stay out of reach), and the host is either exact or a `*.`
 * suffix wildcard (`*.openai.azure.com` allows `x.openai.azure.com`, `a.b.openai.azure.com`,
 * not `openai.azure.com`). Hosts are compared in the WHATWG URL parser's canonical form, so
 * `0x7f.1`, `127.000.0.1` and upper-case names cannot slip past an exact entry.
 * `allow_private: true` on an entry lets its hosts resolve to loopback or private addresses
 * (a vLLM on the LAN, the test mock); without it every resolved address must be public.
 */

import { isIP } from 'node:net';

/** As written in config: a URL, or a URL with options. */
export type AllowEntryInput = string | { readonly url: string; readonly allow_private?: boolean };

export interface AllowEntry {
  /** The entry's URL as configured, for messages. */
  readonly url: string;
  readonly protocol: 'http:' | 'https:';
  /** Canonical host (IPv6 without brackets); for a wildcard, the suffix after `*.`. */
  readonly host: string;
  readonly wildcard: boolean;
  readonly port: number;
  readonly allowPrivate: boolean;
}

const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 } as const;
/** Host names the gateway will resolve: LDH labels (and `_`, seen in internal DNS). */
const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;
const MAX_URL_CHARS = 2048;

function isHttp(protocol: string): protocol is 'http:' | 'https:' {
  return protocol === 'http:' || protocol === 'https:';
}

/** `[::1]` → `::1`; a trailing root dot removed. */
function canonicalHost(hostname: string): string {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
}

function portOf(url: URL, protocol: 'http:' | 'https:'): number {
  return url.port === '' ? DEFAULT_PORTS[protocol] : Number(url.port);
}

/** Parses one entry, or says what is wrong with it (one line, for `config check`). */
export function parseAllowEntry(input: AllowEntryInput): AllowEntry | string {
  const text = typeof input === 'string' ? input : input.url;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL (expected scheme://host[:port])`;
  }
  if (!isHttp(url.protocol)) return `"${text}": only http and https upstreams are allowed`;
  if (url.username !== '' || url.password !== '') return `"${text}": must not contain credentials`;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    return `"${text}": give scheme://host[:port] only; the request names the path`;
  }
  let host = canonicalHost(url.hostname);
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  if (host.includes('*')) return `"${text}": a wildcard may only be the first label ("*.example.com")`;
  if (wildcard && (isIP(host) !== 0 || !host.includes('.'))) {
    return `"${text}": a wildcard needs a domain of at least two labels after "*."`;
  }
  return {
    url: text,
    protocol: url.protocol,
    host,
    wildcard,
    port: portOf(url, url.protocol),
    allowPrivate: typeof input === 'string' ? false : input.allow_private === true,
  };
}

/** Parses a validated list (config check has reported bad entries); bad entries are skipped. */
export function compileAllowlist(inputs: readonly AllowEntryInput[]): AllowEntry[] {
  const entries: AllowEntry[] = [];
  for (const input of inputs) {
    const entry = parseAllowEntry(input);
    if (typeof entry !== 'string') entries.push(entry);
  }
  return entries;
}

/** A request-supplied base URL that passed the syntax rules. */
export interface UpstreamUrl {
  url: URL;
  protocol: 'http:' | 'https:';
  /** Canonical host: what is matched and resolved (IPv6 without brackets). */
  host: string;
  port: number;
}

/** Parses a request-supplied base URL, or says why it cannot be one. */
export function parseUpstreamUrl(text: string): UpstreamUrl | string {
  if (text.length > MAX_URL_CHARS) return `must be at most ${MAX_URL_CHARS} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not an absolute URL';
  }
  if (!isHttp(url.protocol)) return 'only http and https are allowed';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.hash !== '') return 'must not contain a fragment';
  const host = canonicalHost(url.hostname);
  if (isIP(host) === 0 && !HOST_NAME.test(host)) return 'not a valid host name';
  if (url.hostname.endsWith('.')) url.hostname = host;
  return { url, protocol: url.protocol, host, port: portOf(url, url.protocol) };
}

/** The entry that allows `upstream`, if any. */
export function matchAllowlist(
  upstream: UpstreamUrl,
  entries: readonly AllowEntry[],
): AllowEntry | undefined {
  for (const entry of entries) {
    if (entry.protocol !== upstream.protocol || entry.port !== upstream.port) continue;
    if (entry.wildcard ? upstream.host.endsWith(`.${entry.host}`) : upstream.host === entry.host)
      return entry;
  }
  return undefined;
}
