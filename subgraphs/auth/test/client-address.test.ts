import { describe, expect, it } from 'vitest';
import { addressBucket } from '../src/internal/client-address.js';

describe('addressBucket', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:0:42::1', '2001:db8:0:42::/64'],
    ['2001:db8:0:42:ffff:1:2:3', '2001:db8:0:42::/64'],
    ['2001:0db8:0000:0042::9', '2001:db8:0:42::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s counts as %s', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });
});
