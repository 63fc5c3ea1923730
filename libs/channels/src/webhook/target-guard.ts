import type { LookupFunction } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { AddressRules, type CidrRange } from './address-rules';
import { DnsResolver } from './dns-resolver';

export type { CidrRange };

/**
 * Decides whether a delivery may connect to an address. Checked at connect time, on the address
 * DNS actually returned, so a hostname that points at 127.0.0.1 is refused like the literal.
 */
export class TargetGuard {
  private readonly rules: AddressRules;

  constructor(
    allowlist: readonly CidrRange[],
    private readonly resolver: DnsResolver = new DnsResolver(),
  ) {
    this.rules = new AddressRules(allowlist);
  }

  /** The address rules (address-rules.ts): private, loopback, link-local and embeddings of them. */
  isAllowed(address: string): boolean {
    return this.rules.isAllowed(address);
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
            return callback(new TargetRefusedError(hostname), '', 0);
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

  /** Names the host only: which private address a name resolved to is not the app's to learn. */
  constructor(host: string) {
    super(
      `refused to connect to ${host}: it is or resolves to a private, loopback or link-local address, which deliveries may not reach unless TARGET_ALLOWLIST covers it`,
    );
    this.name = 'TargetRefusedError';
  }
}
