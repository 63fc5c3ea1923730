import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TargetGuard, type CidrRange } from './target-guard';
import { WebhookChannel } from './webhook.channel';
import { webhookJob as job } from '../../../../test/support/webhook-job';

const LOOPBACK: CidrRange[] = [
  { address: '127.0.0.0', prefix: 8, family: 'ipv4' },
  { address: '::1', prefix: 128, family: 'ipv6' },
];

/**
 * The SSRF guard where it matters: at connect time, on the address DNS actually returned, with a
 * real listener on loopback that must see nothing unless TARGET_ALLOWLIST lets it.
 */
describe('webhook deliveries and private addresses (real sockets)', () => {
  let server: Server;
  let port: number;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.url ?? '');
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
        return;
      }
      res.writeHead(200).end('ok');
    });
    // Both families, where the machine has IPv6 loopback.
    await new Promise<void>((resolve) => server.listen(0, '::', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const strict = new WebhookChannel(new TargetGuard([]));
  const allowing = new WebhookChannel(new TargetGuard(LOOPBACK));
  afterAll(() => {
    strict.close();
    allowing.close();
  });

  it.each([
    ['a hostname that resolves to loopback', () => `http://localhost:${port}/dns`],
    ['the loopback literal', () => `http://127.0.0.1:${port}/literal`],
    ['loopback as an IPv4-mapped IPv6 address', () => `http://[::ffff:127.0.0.1]:${port}/mapped`],
    ['IPv6 loopback', () => `http://[::1]:${port}/v6`],
    ['loopback written as one number', () => `http://2130706433:${port}/decimal`],
    ['loopback in short form', () => `http://127.1:${port}/short`],
    ['the cloud metadata service', () => 'http://169.254.169.254/latest/meta-data'],
    ['the metadata service, IPv4-mapped', () => 'http://[::ffff:a9fe:a9fe]/latest/meta-data'],
    ['a private network', () => 'http://10.0.0.1/'],
    ['loopback, IPv4-compatible IPv6', () => `http://[::127.0.0.1]:${port}/compatible`],
    ['the metadata service through NAT64', () => 'http://[64:ff9b::a9fe:a9fe]/latest/meta-data'],
    ['loopback through 6to4', () => `http://[2002:7f00:1::1]:${port}/6to4`],
    ['a site-local address', () => 'http://[fec0::1]/'],
  ])('refuses %s without TARGET_ALLOWLIST, before anything is sent', async (_what, url) => {
    const before = received.length;
    const result = await strict.send(job(url()));
    expect(result).toMatchObject({ outcome: 'permanent' });
    expect(result.error).toMatch(
      /^refused to connect to .*: it is or resolves to a private, loopback or link-local address, which deliveries may not reach unless TARGET_ALLOWLIST covers it$/,
    );
    expect(received.length).toBe(before);
  });

  it('does not name the address a hostname resolved to (no oracle for internal DNS)', async () => {
    const result = await strict.send(job(`http://localhost:${port}/dns`));
    expect(result.error).toMatch(/^refused to connect to localhost: /);
    expect(result.error).not.toMatch(/127\.0\.0\.1|::1/);
  });

  it.each([
    ['a hostname that resolves to loopback', () => `http://localhost:${port}/allowed-dns`],
    ['an IPv4-mapped loopback address', () => `http://[::ffff:127.0.0.1]:${port}/allowed-mapped`],
    ['IPv6 loopback', () => `http://[::1]:${port}/allowed-v6`],
  ])('delivers to %s once TARGET_ALLOWLIST covers it', async (_what, url) => {
    const result = await allowing.send(job(url()));
    expect(result).toMatchObject({ outcome: 'delivered', statusCode: 200 });
    expect(received).toContain(new URL(url()).pathname);
  });

  it('does not follow a redirect, to the metadata service or anywhere', async () => {
    const before = received.length;
    const result = await allowing.send(job(`http://127.0.0.1:${port}/redirect`));
    expect(result).toMatchObject({
      outcome: 'transient',
      statusCode: 302,
      error: 'HTTP 302: redirects are not followed',
    });
    expect(received.length).toBe(before + 1);
  });
});
