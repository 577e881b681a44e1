import { describe, expect, it } from 'vitest';
import { nonPublicReason } from './address-ranges.js';

describe('nonPublicReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['100.100.100.200', 'shared address space (CGNAT)'], // Alibaba Cloud metadata
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['168.63.129.16', 'cloud metadata'],
    ['0.0.0.0', 'this-network'],
    ['192.0.0.192', 'IETF protocol assignments'], // Oracle Cloud metadata
    ['198.18.0.1', 'benchmarking'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped link-local (cloud metadata)'],
    ['0:0:0:0:0:ffff:10.0.0.1', 'IPv4-mapped private'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 link-local (cloud metadata)'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['2002:7f00:1::1', '6to4 loopback'],
    ['2002:c0a8:101::', '6to4 private'],
    ['2001::1', 'IETF protocol assignments (Teredo, ORCHID, …)'],
    ['2001:db8::1', 'documentation'],
    ['fc00::1', 'unique local (ULA, cloud metadata)'],
    ['fd00:ec2::254', 'unique local (ULA, cloud metadata)'], // AWS metadata over IPv6
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local (deprecated)'],
    ['ff02::1', 'multicast'],
    ['100::1', 'discard-only'],
    ['4000::1', 'reserved'],
    ['::ffff:0:7f00:1', 'reserved'], // IPv4-translated (SIIT): outside global unicast
    ['example.com', 'not an IP address'],
    ['127.1', 'not an IP address'],
    ['', 'not an IP address'],
  ])('%s is not public: %s', (address, reason) => {
    expect(nonPublicReason(address)).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1', // just past 172.16.0.0/12
    '172.15.255.255',
    '100.128.0.1', // just past 100.64.0.0/10
    '169.253.255.255',
    '192.169.0.1',
    '11.0.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:81c::200e',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808', // NAT64 of a public address
    '2002:808:808::1', // 6to4 of a public address
    '2001:200::1', // just past 2001::/23
  ])('%s is public', (address) => {
    expect(nonPublicReason(address)).toBeUndefined();
  });
});
