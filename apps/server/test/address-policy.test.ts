import { describe, expect, it } from 'vitest';
import { AddressPolicy } from '../src/index.js';

/**
 * The `http` node's address policy: which resolved addresses it may connect to. Pure
 * checks, no network (a policy that failed would otherwise send traffic off loopback);
 * the node's own tests show it asks the policy for every resolved address and redirect.
 */

const none = AddressPolicy.parse([]);

describe('refused unless allow-listed', () => {
  it.each([
    ['IPv4 loopback', '127.0.0.1'],
    ['IPv4 private', '10.1.2.3'],
    ['cloud metadata', '169.254.169.254'],
    ['IPv6 unspecified', '::'],
    ['IPv6 loopback', '::1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-compatible loopback (::/96)', '::127.0.0.1'],
    ['IPv4-compatible private (::/96)', '::10.0.0.1'],
    ['IPv4-compatible, any address (::/96)', '::8.8.8.8'],
    ['6to4 of loopback (2002::/16)', '2002:7f00:1::1'],
    ['6to4 of a private address (2002::/16)', '2002:a00:1::'],
    ['6to4 of a public address (2002::/16)', '2002:808:808::1'],
    ['Teredo (2001::/32)', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
    ['Teredo, lowest address (2001::/32)', '2001::'],
    ['NAT64 well-known prefix (64:ff9b::/96)', '64:ff9b::7f00:1'],
    ['NAT64 local use (64:ff9b:1::/48)', '64:ff9b:1::a00:1'],
    ['NAT64 local use, last address (64:ff9b:1::/48)', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'],
    ['unique local', 'fd12::1'],
    ['link-local', 'fe80::1'],
    ['documentation', '2001:db8::1'],
  ])('%s: %s', (_name, address) => {
    expect(none.allowsAddress(address)).toBe(false);
  });
});

describe('public addresses', () => {
  it.each([
    ['IPv4', '93.184.216.34'],
    ['IPv4-mapped public', '::ffff:93.184.216.34'],
    ['IPv6 global unicast', '2606:2800:220:1:248:1893:25c8:1946'],
    ['just past Teredo (2001:1::)', '2001:1::1'],
    ['just past 6to4 (2003::)', '2003::1'],
    ['just past NAT64 local use (64:ff9b:2::)', '64:ff9b:2::1'],
    ['just past IPv4-compatible (::1:0:0)', '::1:0:0'],
  ])('%s: %s is allowed', (_name, address) => {
    expect(none.allowsAddress(address)).toBe(true);
  });

  it('refuses what is not an IP address', () => {
    expect(none.allowsAddress('example.com')).toBe(false);
  });
});

describe('the allow-list', () => {
  it.each([
    ['2002::/16', '2002:a00:1::'],
    ['2001::/32', '2001::5'],
    ['64:ff9b:1::/48', '64:ff9b:1::a00:1'],
    ['::/96', '::10.0.0.1'],
    ['2002:a00:1::', '2002:a00:1::'],
  ])('%s allows %s', (entry, address) => {
    expect(none.allowsAddress(address)).toBe(false);
    expect(AddressPolicy.parse([entry]).allowsAddress(address)).toBe(true);
  });
});
