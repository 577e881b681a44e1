/**
 * @module security/address-ranges
 * Whether an IP address is one the gateway may connect to on a client's behalf: anything
 * loopback, private, link-local, unique-local, shared (CGNAT), cloud-metadata, multicast,
 * documentation or otherwise reserved is not. IPv6 forms that carry an IPv4 address (mapped
 * `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that IPv4 address, so
 * `[::ffff:169.254.169.254]` is no way round the check. Only global unicast IPv6 (`2000::/3`)
 * can pass. Pure: the caller resolves names and hands every resulting address in here.
 */

import { isIPv4, isIPv6 } from 'node:net';

/** `[first address, prefix length, why it is not public]`, from the IANA special-purpose registries. */
const IPV4_RANGES: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, 'this-network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
  // Azure's platform endpoint (WireServer) sits on a public address.
  ['168.63.129.16', 32, 'cloud metadata'],
];

/** Checked after the IPv4-carrying forms; the first match names the reason. */
const IPV6_RANGES: readonly (readonly [string, number, string])[] = [
  ['::1', 128, 'loopback'],
  ['::', 128, 'unspecified'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001:db8::', 32, 'documentation'],
  ['2001::', 23, 'IETF protocol assignments (Teredo, ORCHID, …)'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'unique local (ULA, cloud metadata)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

interface V4Range {
  base: number;
  mask: number;
  reason: string;
}

interface V6Range {
  groups: number[];
  prefix: number;
  reason: string;
}

function v4ToNumber(address: string): number {
  const parts = address.split('.');
  let value = 0;
  for (const part of parts) value = value * 256 + Number(part);
  return value >>> 0;
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

const V4: readonly V4Range[] = IPV4_RANGES.map(([address, prefix, reason]) => ({
  base: (v4ToNumber(address) & maskOf(prefix)) >>> 0,
  mask: maskOf(prefix),
  reason,
}));

/** Eight 16-bit groups of a valid IPv6 address (zone id already removed). */
function v6Groups(address: string): number[] {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) is the last two groups.
  if (text.includes('.')) {
    const v4 = v4ToNumber(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const gap = text.indexOf('::');
  if (gap === -1) return parse(text);
  const left = parse(text.slice(0, gap));
  const right = parse(text.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const V6: readonly V6Range[] = IPV6_RANGES.map(([address, prefix, reason]) => ({
  groups: v6Groups(address),
  prefix,
  reason,
}));

function inV6(groups: readonly number[], range: { groups: readonly number[]; prefix: number }): boolean {
  let bits = range.prefix;
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((groups[i] ?? 0) & mask) !== ((range.groups[i] ?? 0) & mask)) return false;
  }
  return true;
}

function v4Reason(value: number): string | undefined {
  for (const range of V4) if ((value & range.mask) >>> 0 === range.base) return range.reason;
  return undefined;
}

const MAPPED = { groups: [0, 0, 0, 0, 0, 0xffff, 0, 0], prefix: 96 };
const NAT64 = { groups: [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], prefix: 96 };
const SIX_TO_FOUR = { groups: [0x2002, 0, 0, 0, 0, 0, 0, 0], prefix: 16 };
const GLOBAL_UNICAST = { groups: [0x2000, 0, 0, 0, 0, 0, 0, 0], prefix: 3 };

function v6Reason(groups: readonly number[]): string | undefined {
  const embedded = (high: number, low: number, form: string) => {
    const reason = v4Reason(((high << 16) >>> 0) + low);
    return reason === undefined ? undefined : `${form} ${reason}`;
  };
  if (inV6(groups, MAPPED)) return embedded(groups[6] ?? 0, groups[7] ?? 0, 'IPv4-mapped');
  if (inV6(groups, NAT64)) return embedded(groups[6] ?? 0, groups[7] ?? 0, 'NAT64');
  if (inV6(groups, SIX_TO_FOUR)) return embedded(groups[1] ?? 0, groups[2] ?? 0, '6to4');
  for (const range of V6) if (inV6(groups, range)) return range.reason;
  if (!inV6(groups, GLOBAL_UNICAST)) return 'reserved';
  return undefined;
}

/**
 * Why the gateway must not connect to `address` on a client's behalf, or undefined when it is a
 * public unicast address. Anything that is not an IP address is refused too.
 */
export function nonPublicReason(address: string): string | undefined {
  const percent = address.indexOf('%');
  const bare = percent === -1 ? address : address.slice(0, percent);
  if (isIPv4(bare)) return v4Reason(v4ToNumber(bare));
  if (isIPv6(bare)) return v6Reason(v6Groups(bare));
  return 'not an IP address';
}
