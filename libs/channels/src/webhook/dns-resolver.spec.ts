import type { RecordWithTtl } from 'node:dns';
import { DnsResolver, type DnsQueries } from './dns-resolver';

const OPTIONS = { timeoutMs: 100, tries: 1, maxEntries: 2, maxTtlMs: 60_000 };

/** Answers from a table, counting the questions; a name it does not know is ENOTFOUND. */
class TableQueries implements DnsQueries {
  readonly asked: string[] = [];
  constructor(
    private readonly v4: Record<string, RecordWithTtl[]>,
    private readonly v6: Record<string, RecordWithTtl[]> = {},
  ) {}

  resolve4(hostname: string): Promise<RecordWithTtl[]> {
    this.asked.push(hostname);
    return this.answer(this.v4[hostname], hostname);
  }

  resolve6(hostname: string): Promise<RecordWithTtl[]> {
    return this.answer(this.v6[hostname], hostname);
  }

  private answer(records: RecordWithTtl[] | undefined, hostname: string) {
    return records === undefined
      ? Promise.reject(
          Object.assign(new Error(`queryA ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
        )
      : Promise.resolve(records);
  }
}

function setup(v4: Record<string, RecordWithTtl[]>, v6: Record<string, RecordWithTtl[]> = {}) {
  let now = 0;
  const queries = new TableQueries(v4, v6);
  const resolver = new DnsResolver(OPTIONS, queries, () => now);
  return { resolver, queries, advance: (ms: number) => (now += ms) };
}

describe('DnsResolver', () => {
  it('gives every address, IPv4 first', async () => {
    const { resolver } = setup(
      { 'a.test': [{ address: '203.0.113.1', ttl: 30 }] },
      { 'a.test': [{ address: '2001:db8::1', ttl: 30 }] },
    );
    await expect(resolver.resolve('A.test.')).resolves.toEqual([
      { address: '203.0.113.1', family: 4 },
      { address: '2001:db8::1', family: 6 },
    ]);
  });

  it('remembers an answer for its TTL, at most maxTtlMs', async () => {
    const { resolver, queries, advance } = setup({
      'short.test': [{ address: '203.0.113.1', ttl: 5 }],
      'long.test': [{ address: '203.0.113.2', ttl: 86_400 }],
    });
    await resolver.resolve('short.test');
    await resolver.resolve('long.test');
    advance(4_999);
    await resolver.resolve('short.test');
    expect(queries.asked).toEqual(['short.test', 'long.test']);
    advance(1);
    await resolver.resolve('short.test');
    expect(queries.asked).toEqual(['short.test', 'long.test', 'short.test']);
    advance(60_000);
    await resolver.resolve('long.test');
    expect(queries.asked.filter((name) => name === 'long.test')).toHaveLength(2);
  });

  it('asks once for a burst of lookups of one name', async () => {
    const { resolver, queries } = setup({ 'busy.test': [{ address: '203.0.113.1', ttl: 0 }] });
    await Promise.all(Array.from({ length: 50 }, () => resolver.resolve('busy.test')));
    expect(queries.asked).toEqual(['busy.test']);
    // A TTL of 0 is not remembered.
    await resolver.resolve('busy.test');
    expect(queries.asked).toHaveLength(2);
  });

  it('remembers at most maxEntries names, forgetting the least recently used', async () => {
    const record = [{ address: '203.0.113.1', ttl: 60 }];
    const { resolver, queries } = setup({ 'a.test': record, 'b.test': record, 'c.test': record });
    await resolver.resolve('a.test');
    await resolver.resolve('b.test');
    await resolver.resolve('a.test');
    await resolver.resolve('c.test');
    await resolver.resolve('a.test');
    await resolver.resolve('b.test');
    expect(queries.asked).toEqual(['a.test', 'b.test', 'c.test', 'b.test']);
  });

  it('rejects as dns.lookup does when the name has no address, and does not remember it', async () => {
    const { resolver, queries } = setup({});
    await expect(resolver.resolve('nowhere.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve('nowhere.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(queries.asked).toHaveLength(2);
  });

  it('answers localhost with loopback without asking DNS', async () => {
    const { resolver, queries } = setup({});
    await expect(resolver.resolve('localhost')).resolves.toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
    await expect(resolver.resolve('api.localhost')).resolves.toHaveLength(2);
    expect(queries.asked).toEqual([]);
  });

  it('times out a query that gets no answer (real c-ares, a server that never answers)', async () => {
    const { createSocket } = await import('node:dgram');
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const { promises } = await import('node:dns');
    const real = new promises.Resolver({ timeout: 100, tries: 1 });
    real.setServers([`127.0.0.1:${silent.address().port}`]);
    const resolver = new DnsResolver(OPTIONS, real);
    const started = Date.now();
    await expect(resolver.resolve('slow.test')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5_000);
    silent.close();
  });
});
