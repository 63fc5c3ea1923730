import type { LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { AddressRules, type CidrRange } from './address-rules';

export type { CidrRange };

/**
 * Decides whether a delivery may connect to an address. Checked at connect time, on the address
 * DNS actually returned, so a hostname that points at 127.0.0.1 is refused like the literal.
 */
export class TargetGuard {
  private readonly rules: AddressRules;

  constructor(allowlist: readonly CidrRange[]) {
    this.rules = new AddressRules(allowlist);
  }

  /** The address rules (address-rules.ts): private, loopback, link-local and embeddings of them. */
  isAllowed(address: string): boolean {
    return this.rules.isAllowed(address);
  }

  /** A `lookup` for http(s) agents that refuses forbidden answers. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.find((entry) => !this.isAllowed(entry.address));
      if (refused !== undefined) {
        return callback(new TargetRefusedError(hostname), '', 0);
      }
      if (options.all) return (callback as unknown as AllCallback)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

type AllCallback = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

export class TargetRefusedError extends Error {
  readonly code = 'ETARGETREFUSED';

  /** Names the host only: which private address a name resolved to is not the app's to learn. */
  constructor(host: string) {
    super(
      `refused to connect to ${host}: it is or resolves to a private, loopback or link-local address, which deliveries may not reach unless TARGET_ALLOWLIST covers it`,
    );
    this.name = 'TargetRefusedError';
  }
}
