import { embeddedIpv4, ipv6Bytes } from './address-rules';

/** Which IPv4 hosts an IPv6 address reaches; the rules themselves are in target-guard.spec.ts. */
describe('embeddedIpv4', () => {
  it.each([
    ['mapped', '::ffff:7f00:1', ['127.0.0.1']],
    ['mapped, dotted', '::ffff:169.254.169.254', ['169.254.169.254']],
    ['compatible', '::a00:1', ['10.0.0.1']],
    ['compatible, the unspecified address', '::', ['0.0.0.0']],
    ['NAT64', '64:ff9b::c0a8:101', ['192.168.1.1']],
    ['local-use NAT64, /96', '64:ff9b:1::808:808', ['8.8.8.8']],
    ['local-use NAT64, a longer prefix: not decodable', '64:ff9b:1:a:b::1', ['0.0.0.0']],
    ['6to4', '2002:a9fe:a9fe:ffff::1', ['169.254.169.254']],
    [
      'Teredo: server, then the inverted client',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      ['65.54.227.120', '192.0.2.45'],
    ],
  ])('%s: %s', (_what, address, expected) => {
    expect(embeddedIpv4(ipv6Bytes(address))).toEqual(expected);
  });

  it.each(['2606:4700:4700::1111', '2001:4860:4860::8888', 'fe80::1', '64:ff9c::1'])(
    'finds none in %s',
    (address) => {
      expect(embeddedIpv4(ipv6Bytes(address))).toBeUndefined();
    },
  );
});

describe('ipv6Bytes', () => {
  it('expands :: and reads a trailing dotted part', () => {
    expect(ipv6Bytes('1:2::ffff:1.2.3.4')).toEqual([
      0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4,
    ]);
    expect(ipv6Bytes('::')).toEqual(Array<number>(16).fill(0));
  });
});
