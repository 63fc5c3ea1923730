import type { LookupAddress } from 'node:dns';
import { TargetGuard, TargetRefusedError, type CidrRange } from './target-guard';

const strict = new TargetGuard([]);

const LOOPBACK_ALLOWED: CidrRange[] = [
  { address: '127.0.0.0', prefix: 8, family: 'ipv4' },
  { address: '::1', prefix: 128, family: 'ipv6' },
];

describe('TargetGuard.isAllowed', () => {
  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '192.169.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
  ])('allows the public address %s', (address) => {
    expect(strict.isAllowed(address)).toBe(true);
  });

  it.each([
    ['loopback', '127.0.0.1'],
    ['loopback, anywhere in 127/8', '127.255.255.254'],
    ['"this network" (reaches localhost)', '0.0.0.0'],
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.16.0.1'],
    ['private 172.16/12, top', '172.31.255.255'],
    ['private 192.168/16', '192.168.1.1'],
    ['carrier-grade NAT', '100.64.0.1'],
    ['link-local', '169.254.1.1'],
    ['the cloud metadata service', '169.254.169.254'],
    ['benchmarking', '198.18.0.1'],
    ['multicast', '224.0.0.1'],
    ['reserved', '240.0.0.1'],
    ['broadcast', '255.255.255.255'],
  ])('refuses IPv4 %s: %s', (_what, address) => {
    expect(strict.isAllowed(address)).toBe(false);
  });

  it.each([
    ['loopback', '::1'],
    ['loopback, written out', '0:0:0:0:0:0:0:1'],
    ['unspecified', '::'],
    ['unique local fc00::/7', 'fc00::1'],
    ['unique local fd00::/8', 'fd12:3456:789a::1'],
    ['the AWS metadata service over IPv6', 'fd00:ec2::254'],
    ['link-local', 'fe80::1'],
    ['link-local, upper case', 'FE80::ABCD'],
    ['multicast', 'ff02::1'],
    ['NAT64 of the metadata service', '64:ff9b::a9fe:a9fe'],
  ])('refuses IPv6 %s: %s', (_what, address) => {
    expect(strict.isAllowed(address)).toBe(false);
  });

  it.each([
    ['dotted', '::ffff:127.0.0.1'],
    ['hex', '::ffff:7f00:1'],
    ['hex, upper case', '::FFFF:7F00:1'],
    ['written out, dotted', '0:0:0:0:0:ffff:127.0.0.1'],
    ['written out, hex', '0:0:0:0:0:ffff:7f00:1'],
  ])('refuses IPv4-mapped loopback, %s: %s', (_what, address) => {
    expect(strict.isAllowed(address)).toBe(false);
  });

  it.each(['::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1', '::ffff:a00:1'])(
    'refuses the IPv4-mapped private or metadata address %s',
    (address) => {
      expect(strict.isAllowed(address)).toBe(false);
    },
  );

  it.each([
    ['IPv4-compatible ::/96, metadata', '::a9fe:a9fe'],
    ['IPv4-compatible ::/96, dotted loopback', '::127.0.0.1'],
    ['IPv4-compatible ::/96, private', '::10.0.0.1'],
    ['NAT64 64:ff9b::/96, loopback', '64:ff9b::7f00:1'],
    ['NAT64 64:ff9b::/96, dotted private', '64:ff9b::192.168.0.1'],
    ['local-use NAT64 64:ff9b:1::/48, metadata', '64:ff9b:1::a9fe:a9fe'],
    ['local-use NAT64 64:ff9b:1::/48, embedded where it cannot be told', '64:ff9b:1:808:8:800::'],
    ['6to4 2002::/16, loopback', '2002:7f00:1::'],
    ['6to4 2002::/16, metadata, with a host part', '2002:a9fe:a9fe:1::1'],
    ['6to4 2002::/16, private', '2002:c0a8:101::1'],
    ['Teredo 2001::/32, client 127.0.0.1 (obfuscated)', '2001:0:808:808:0:0:80ff:fffe'],
    ['Teredo 2001::/32, client 169.254.169.254', '2001:0:808:808::5601:5601'],
    ['Teredo 2001::/32, server 10.0.0.1', '2001:0:a00:1::f7f7:f7f7'],
    ['site-local fec0::/10', 'fec0::1'],
    ['site-local fec0::/10, top', 'feff:ffff::1'],
  ])('refuses an IPv4 one embedded in IPv6, %s: %s', (_what, address) => {
    expect(strict.isAllowed(address)).toBe(false);
  });

  it.each([
    ['IPv4-compatible', '::808:808'],
    ['NAT64', '64:ff9b::808:808'],
    ['NAT64, dotted', '64:ff9b::1.1.1.1'],
    ['local-use NAT64', '64:ff9b:1::808:808'],
    ['6to4', '2002:808:808::1'],
    ['Teredo (server 8.8.8.8, client 1.1.1.1)', '2001:0:808:808::fefe:fefe'],
  ])('allows a public IPv4 address embedded in IPv6, %s: %s', (_what, address) => {
    expect(strict.isAllowed(address)).toBe(true);
  });

  it.each(['[::1]', '[::ffff:127.0.0.1]'])('reads a bracketed URL host %s', (address) => {
    expect(strict.isAllowed(address)).toBe(false);
  });

  it.each(['', 'localhost', 'example.com', '127.1', '2130706433', '256.0.0.1', '::g'])(
    'refuses %p, which is not an IP address',
    (address) => {
      expect(strict.isAllowed(address)).toBe(false);
    },
  );

  describe('with TARGET_ALLOWLIST', () => {
    const guard = new TargetGuard(LOOPBACK_ALLOWED);

    it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1'])(
      'allows the listed %s',
      (address) => {
        expect(guard.isAllowed(address)).toBe(true);
      },
    );

    it.each(['::7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::'])(
      'allows the listed IPv4 range embedded in IPv6: %s',
      (address) => {
        expect(guard.isAllowed(address)).toBe(true);
      },
    );

    it.each(['10.0.0.1', '169.254.169.254', '::ffff:a9fe:a9fe', 'fe80::1', '::', 'fec0::1'])(
      'still refuses %s, which it does not list',
      (address) => {
        expect(guard.isAllowed(address)).toBe(false);
      },
    );

    it('allows exactly the listed subnet', () => {
      const narrow = new TargetGuard([{ address: '10.1.0.0', prefix: 16, family: 'ipv4' }]);
      expect(narrow.isAllowed('10.1.255.255')).toBe(true);
      expect(narrow.isAllowed('10.2.0.0')).toBe(false);
      expect(narrow.isAllowed('8.8.8.8')).toBe(true);
    });

    it('allows an IPv6 subnet', () => {
      const ula = new TargetGuard([{ address: 'fd00::', prefix: 8, family: 'ipv6' }]);
      expect(ula.isAllowed('fd12::1')).toBe(true);
      expect(ula.isAllowed('fc00::1')).toBe(false);
    });
  });
});

describe('TargetGuard.lookup', () => {
  function resolve(
    guard: TargetGuard,
    hostname: string,
    all: boolean,
  ): Promise<{ address: string | LookupAddress[]; family?: number }> {
    return new Promise((done, fail) => {
      guard.lookup(hostname, { all }, (error, address, family) => {
        if (error) fail(error);
        else done({ address, family });
      });
    });
  }

  it('refuses a hostname that resolves to a forbidden address', async () => {
    const refusal = resolve(strict, 'localhost', false);
    await expect(refusal).rejects.toBeInstanceOf(TargetRefusedError);
    await expect(refusal).rejects.toMatchObject({ code: 'ETARGETREFUSED' });
    await expect(refusal).rejects.toThrow(
      /^refused to connect to localhost: it is or resolves to a private, loopback or link-local address/,
    );
    // Which address it resolved to stays internal: an error is no oracle for internal DNS.
    await expect(refusal).rejects.not.toThrow(/127\.0\.0\.1|::1/);
  });

  it('refuses it when asked for every address, too', async () => {
    await expect(resolve(strict, 'localhost', true)).rejects.toBeInstanceOf(TargetRefusedError);
  });

  it('resolves it when the allowlist covers it', async () => {
    const guard = new TargetGuard(LOOPBACK_ALLOWED);
    const { address, family } = await resolve(guard, 'localhost', false);
    expect(['127.0.0.1', '::1']).toContain(address);
    expect([4, 6]).toContain(family);
    const every = await resolve(guard, 'localhost', true);
    expect(Array.isArray(every.address)).toBe(true);
    expect((every.address as LookupAddress[]).length).toBeGreaterThan(0);
  });

  it('passes a DNS failure through', async () => {
    await expect(resolve(strict, 'does-not-exist.invalid', false)).rejects.toMatchObject({
      code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/),
    });
  });
});
