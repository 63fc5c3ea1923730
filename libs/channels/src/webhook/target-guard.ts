import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { DnsResolver } from './dns-resolver';

export interface CidrRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Ranges a delivery must not reach: private, loopback, link-local (cloud metadata), and the like. */
const FORBIDDEN: readonly CidrRange[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
]
  .map(([address, prefix]) => ({ address, prefix, family: 'ipv4' }) as CidrRange)
  .concat(
    [
      ['::', 128],
      ['::1', 128],
      ['64:ff9b::', 96],
      ['fc00::', 7],
      ['fe80::', 10],
      ['ff00::', 8],
    ].map(([address, prefix]) => ({ address, prefix, family: 'ipv6' }) as CidrRange),
  );

function blockListOf(ranges: readonly CidrRange[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.address, range.prefix, range.family);
  return list;
}

/** `::ffff:127.0.0.1` and `::ffff:7f00:1` are IPv4 addresses in disguise. */
function unmapIpv4(address: string): string {
  const match = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (match === null) return address;
  if (match[1] !== undefined) return match[1];
  const high = parseInt(match[2]!, 16);
  const low = parseInt(match[3]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * Decides whether a delivery may connect to an address. Checked at connect time, on the address
 * DNS actually returned, so a hostname that points at 127.0.0.1 is refused like the literal.
 */
export class TargetGuard {
  private readonly forbidden = blockListOf(FORBIDDEN);
  private readonly allowed: BlockList;

  constructor(
    allowlist: readonly CidrRange[],
    private readonly resolver: DnsResolver = new DnsResolver(),
  ) {
    this.allowed = blockListOf(allowlist);
  }

  isAllowed(rawAddress: string): boolean {
    const address = unmapIpv4(rawAddress.replace(/^\[|\]$/g, ''));
    const version = isIP(address);
    if (version === 0) return false;
    const family = version === 4 ? 'ipv4' : 'ipv6';
    return this.allowed.check(address, family) || !this.forbidden.check(address, family);
  }

  /**
   * A `lookup` for http(s) agents that refuses forbidden answers. Names resolve with DnsResolver
   * (c-ares, cached); the callback runs outside the promise, so nothing it throws is swallowed.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolver.resolve(hostname).then(
      (every) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = family === undefined ? every : every.filter((a) => a.family === family);
        const refused = addresses.find((entry) => !this.isAllowed(entry.address));
        process.nextTick(() => {
          if (addresses.length === 0) {
            const error = new Error(`queryA ENOTFOUND ${hostname}: no IPv${family} address`);
            return callback(Object.assign(error, { code: 'ENOTFOUND' }), '', 0);
          }
          if (refused !== undefined) {
            return callback(new TargetRefusedError(hostname, refused.address), '', 0);
          }
          if (options.all) return (callback as unknown as AllCallback)(null, addresses);
          const first = addresses[0]!;
          callback(null, first.address, first.family);
        });
      },
      (error: NodeJS.ErrnoException) => process.nextTick(() => callback(error, '', 0)),
    );
  };
}

type AllCallback = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

export class TargetRefusedError extends Error {
  readonly code = 'ETARGETREFUSED';

  constructor(host: string, address: string) {
    super(
      `refused to connect to ${host} (${address}): private, loopback and link-local addresses are not allowed unless TARGET_ALLOWLIST covers them`,
    );
    this.name = 'TargetRefusedError';
  }
}
