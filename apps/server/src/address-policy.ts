import { BlockList, isIP } from 'node:net';
import { InvalidArgumentError } from '@spane/core';

/** Address ranges that are not the public internet: refused unless allow-listed. */
const NON_PUBLIC: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], // "this network"
  ['10.0.0.0', 8, 'ipv4'], // private
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['127.0.0.0', 8, 'ipv4'], // loopback
  ['169.254.0.0', 16, 'ipv4'], // link-local (cloud metadata services)
  ['172.16.0.0', 12, 'ipv4'], // private
  ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments
  ['192.0.2.0', 24, 'ipv4'], // documentation
  ['192.168.0.0', 16, 'ipv4'], // private
  ['198.18.0.0', 15, 'ipv4'], // benchmarking
  ['198.51.100.0', 24, 'ipv4'], // documentation
  ['203.0.113.0', 24, 'ipv4'], // documentation
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, broadcast
  // IPv4-compatible (deprecated; also covers :: unspecified and ::1 loopback).
  ['::', 96, 'ipv6'],
  // IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) need no entry: BlockList checks them
  // against the IPv4 ranges above.
  // Ranges that embed or tunnel to an IPv4 address the ranges above cannot see:
  ['64:ff9b::', 96, 'ipv6'], // NAT64 (well-known prefix)
  ['64:ff9b:1::', 48, 'ipv6'], // NAT64 (local use)
  ['2001::', 32, 'ipv6'], // Teredo
  ['2002::', 16, 'ipv6'], // 6to4
  ['100::', 64, 'ipv6'], // discard
  ['2001:db8::', 32, 'ipv6'], // documentation
  ['fc00::', 7, 'ipv6'], // unique local
  ['fe80::', 10, 'ipv6'], // link-local
  ['fec0::', 10, 'ipv6'], // site-local (deprecated)
  ['ff00::', 8, 'ipv6'], // multicast
];

const nonPublic = new BlockList();
for (const [address, prefix, type] of NON_PUBLIC) nonPublic.addSubnet(address, prefix, type);

const HOSTNAME =
  /^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const v = isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/**
 * Which addresses the `http` node may connect to: every public address, plus what the
 * allow-list names — host names (exact, or `*.example.com` for subdomains), IP addresses
 * and CIDR ranges (`10.0.0.0/8`, `fd00::/8`). Loopback, private, link-local and other
 * non-public ranges are refused otherwise.
 */
export class AddressPolicy {
  readonly #allowed = new BlockList();
  readonly #hosts = new Set<string>();
  readonly #suffixes: string[] = [];

  /** @throws InvalidArgumentError naming the first bad entry */
  static parse(entries: readonly string[]): AddressPolicy {
    const policy = new AddressPolicy();
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      const slash = entry.indexOf('/');
      if (slash >= 0) {
        const address = entry.slice(0, slash);
        const prefixText = entry.slice(slash + 1);
        const type = familyOf(address);
        const prefix = Number(prefixText);
        const max = type === 'ipv4' ? 32 : 128;
        if (!type || !/^\d{1,3}$/.test(prefixText) || prefix > max) {
          throw new InvalidArgumentError(`'${raw}' is not a CIDR range (e.g. 10.0.0.0/8)`);
        }
        policy.#allowed.addSubnet(address, prefix, type);
        continue;
      }
      const bare = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
      const type = familyOf(bare);
      if (type) {
        policy.#allowed.addAddress(bare, type);
      } else if (HOSTNAME.test(entry) && entry.length <= 253) {
        if (entry.startsWith('*.')) policy.#suffixes.push(entry.slice(1));
        else policy.#hosts.add(entry);
      } else {
        throw new InvalidArgumentError(
          `'${raw}' is not a host name, an IP address or a CIDR range`,
        );
      }
    }
    return policy;
  }

  /** True when the host name itself is allow-listed (its addresses are then not checked). */
  allowsHost(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    return this.#hosts.has(host) || this.#suffixes.some((suffix) => host.endsWith(suffix));
  }

  /** True for a public address, or one in an allow-listed address or range. */
  allowsAddress(address: string): boolean {
    const type = familyOf(address);
    if (!type) return false;
    if (this.#allowed.check(address, type)) return true;
    return !nonPublic.check(address, type);
  }
}
