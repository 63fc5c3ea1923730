import { promises as dns, type LookupAddress, type RecordWithTtl } from 'node:dns';

/** The part of node's dns.promises.Resolver used here (a test passes its own). */
export interface DnsQueries {
  resolve4(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
}

export interface DnsResolverOptions {
  /** Per query try, ms (c-ares doubles it on each retry). */
  timeoutMs: number;
  tries: number;
  /** Names remembered at most (the least recently used is forgotten). */
  maxEntries: number;
  /** An answer is remembered for its TTL, at most this long. */
  maxTtlMs: number;
}

export const DNS_RESOLVER_DEFAULTS: DnsResolverOptions = {
  timeoutMs: 2_000,
  tries: 2,
  maxEntries: 1_000,
  maxTtlMs: 60_000,
};

/** RFC 6761: `localhost` and names under it are loopback, without asking DNS (nor /etc/hosts). */
const LOOPBACK: readonly LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

interface Entry {
  addresses: LookupAddress[];
  expiresAt: number;
}

/**
 * Resolves webhook hostnames with c-ares (node's dns.Resolver) rather than dns.lookup: lookup runs
 * getaddrinfo on libuv's thread pool (4 threads, shared with file and crypto work), so a few
 * endpoints whose names resolve slowly would hold every thread and stall every app's attempts.
 * c-ares runs on the event loop, each query bounded by a timeout. Answers are kept for their TTL
 * (at most maxTtlMs, at most maxEntries names), and concurrent lookups of one name share one query,
 * so a burst of attempts to one endpoint costs one question. /etc/hosts is not read: a webhook
 * target is a public name (`localhost` aside).
 */
export class DnsResolver {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<LookupAddress[]>>();
  private readonly queries: DnsQueries;

  constructor(
    private readonly options: DnsResolverOptions = DNS_RESOLVER_DEFAULTS,
    queries?: DnsQueries,
    private readonly now: () => number = Date.now,
  ) {
    this.queries =
      queries ?? new dns.Resolver({ timeout: options.timeoutMs, tries: options.tries });
  }

  /** Every address of the name, IPv4 first; rejects as dns.lookup would (code ENOTFOUND, ...). */
  resolve(hostname: string): Promise<LookupAddress[]> {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    if (name === 'localhost' || name.endsWith('.localhost')) return Promise.resolve([...LOOPBACK]);
    const cached = this.cache.get(name);
    if (cached !== undefined && cached.expiresAt > this.now()) {
      this.cache.delete(name);
      this.cache.set(name, cached);
      return Promise.resolve(cached.addresses);
    }
    let pending = this.inFlight.get(name);
    if (pending === undefined) {
      pending = this.query(name).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    return pending;
  }

  private async query(name: string): Promise<LookupAddress[]> {
    const [v4, v6] = await Promise.allSettled([
      this.queries.resolve4(name, { ttl: true }),
      this.queries.resolve6(name, { ttl: true }),
    ]);
    const records = [
      ...(v4.status === 'fulfilled' ? v4.value.map((r) => ({ ...r, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((r) => ({ ...r, family: 6 })) : []),
    ];
    if (records.length === 0) {
      // Neither family has an address: the IPv4 answer says why (ENOTFOUND, ETIMEOUT, ...).
      throw v4.status === 'rejected'
        ? v4.reason
        : Object.assign(new Error(`queryA ENODATA ${name}`), { code: 'ENODATA' });
    }
    const addresses = records.map(({ address, family }) => ({ address, family }));
    const ttlMs = Math.min(...records.map((r) => r.ttl * 1000), this.options.maxTtlMs);
    if (ttlMs > 0) this.remember(name, { addresses, expiresAt: this.now() + ttlMs });
    return addresses;
  }

  private remember(name: string, entry: Entry): void {
    this.cache.delete(name);
    this.cache.set(name, entry);
    if (this.cache.size > this.options.maxEntries) {
      this.cache.delete(this.cache.keys().next().value!);
    }
  }
}
