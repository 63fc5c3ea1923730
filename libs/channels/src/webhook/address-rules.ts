import { BlockList, isIP } from 'node:net';

export interface CidrRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** IPv4 ranges a delivery must not reach: private, loopback, link-local (cloud metadata), and the like. */
const FORBIDDEN_IPV4: readonly [string, number][] = [
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
];

/** IPv6 ranges refused outright. Ranges that embed an IPv4 address are decoded instead (below). */
const FORBIDDEN_IPV6: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local, deprecated (RFC 3879) but still routed inside some networks.
  ['fec0::', 10],
  ['ff00::', 8],
];

function blockListOf(ranges: readonly CidrRange[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.address, range.prefix, range.family);
  return list;
}

const FORBIDDEN = blockListOf([
  ...FORBIDDEN_IPV4.map(([address, prefix]) => ({ address, prefix, family: 'ipv4' as const })),
  ...FORBIDDEN_IPV6.map(([address, prefix]) => ({ address, prefix, family: 'ipv6' as const })),
]);

/**
 * Which addresses a delivery may connect to: not a forbidden one, unless the allowlist covers it.
 * An IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) reaches
 * that IPv4 host, so the IPv4 rules decide for it.
 */
export class AddressRules {
  private readonly allowed: BlockList;

  constructor(allowlist: readonly CidrRange[]) {
    this.allowed = blockListOf(allowlist);
  }

  isAllowed(rawAddress: string): boolean {
    const address = rawAddress.replace(/^\[|\]$/g, '');
    const version = isIP(address);
    if (version === 0) return false;
    if (version === 4) return this.allowsIpv4(address);
    if (this.allowed.check(address, 'ipv6')) return true;
    if (FORBIDDEN.check(address, 'ipv6')) return false;
    const embedded = embeddedIpv4(ipv6Bytes(address));
    return embedded === undefined || embedded.every((ipv4) => this.allowsIpv4(ipv4));
  }

  private allowsIpv4(address: string): boolean {
    return this.allowed.check(address, 'ipv4') || !FORBIDDEN.check(address, 'ipv4');
  }
}

/** An address no embedding can reach: refused by the IPv4 rules (0.0.0.0/8). */
const UNDECODABLE = '0.0.0.0';

/**
 * The IPv4 addresses an IPv6 address leads to, or undefined when it embeds none:
 * - `::ffff:0:0/96` mapped and `::/96` compatible: the last 32 bits;
 * - `64:ff9b::/96` NAT64 (RFC 6052): the last 32 bits;
 * - `64:ff9b:1::/48` local-use NAT64 (RFC 8215): the last 32 bits when the address lies in
 *   `64:ff9b:1::/96`; with a longer prefix where the IPv4 address sits is the site's choice, so
 *   it cannot be decoded and is refused;
 * - `2002::/16` 6to4: bits 16..47;
 * - `2001::/32` Teredo: the server (bits 32..63) and the client (the last 32 bits, inverted).
 */
export function embeddedIpv4(bytes: readonly number[]): string[] | undefined {
  const word = (index: number) => (bytes[index]! << 8) | bytes[index + 1]!;
  const zero = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  const ipv4 = (at: number, mask = 0) =>
    bytes
      .slice(at, at + 4)
      .map((byte) => byte ^ mask)
      .join('.');
  if (zero(0, 10) && ((bytes[10] === 0xff && bytes[11] === 0xff) || zero(10, 12))) {
    return [ipv4(12)];
  }
  if (word(0) === 0x64 && word(2) === 0xff9b) {
    if (zero(4, 12)) return [ipv4(12)];
    if (word(4) === 1) return [zero(6, 12) ? ipv4(12) : UNDECODABLE];
    return undefined;
  }
  if (word(0) === 0x2002) return [ipv4(2)];
  if (word(0) === 0x2001 && word(2) === 0) return [ipv4(4), ipv4(12, 0xff)];
  return undefined;
}

/** The 16 bytes of an IPv6 address (`::` expanded, a trailing dotted IPv4 part read as such). */
export function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
    text = `${text.slice(0, dotted.index)}${hex(a, b)}:${hex(c, d)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  const words = [...left, ...Array<string>(missing).fill('0'), ...right].map((part) =>
    parseInt(part, 16),
  );
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}
