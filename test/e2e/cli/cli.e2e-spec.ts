import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/build-ts';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { CliRunner, type CliEnv, type CliRun } from './cli-runner';

/**
 * The `notify` CLI as users get it: compiled like `npm run build` (tsc + tsc-alias), run as a
 * separate node process against the real API, checked by its output and exit status.
 */
describe('notify CLI (the built binary)', () => {
  let cli: CliRunner;
  let bin: string;
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let apiKey: string;
  let okEndpoint: string;
  let failingEndpoint: string;

  beforeAll(async () => {
    [cli] = await Promise.all([CliRunner.build(), sink.start()]);
    bin = cli.bin;
    platform = await TestPlatform.start();
    ({ apiKey } = await platform.createApp('cli'));
    cli.env = { NOTIFY_URL: platform.baseUrl, NOTIFY_API_KEY: apiKey };
    okEndpoint = (await createEndpoint({ url: sink.url('/ok'), eventTypes: ['order.*'] })).id;
    sink.on('/fail', () => ({ status: 500, body: 'nope' }));
    failingEndpoint = (
      await createEndpoint({
        url: sink.url('/fail'),
        eventTypes: ['never.matches'],
        retrySchedule: [],
      })
    ).id;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
    await cli?.remove();
  });

  async function createEndpoint(body: Record<string, unknown>): Promise<{ id: string }> {
    const created = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      ...body,
    });
    expect(created.status).toBe(201);
    return created.body;
  }

  /** Runs `notify <args>` with the platform's URL and key in the environment (unless overridden). */
  function notify(args: string[], env: CliEnv = {}): Promise<CliRun> {
    return cli.run(args, env);
  }

  function spawnCli(args: string[], env: CliEnv = {}) {
    return cli.spawn(args, env);
  }

  async function publishedAndSettled(eventType = 'order.paid'): Promise<string> {
    const run = await notify(['publish', '--event-type', eventType, '--payload', '{"orderId":7}']);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    await eventually(async () => {
      const { body } = await platform.request('GET', `/v1/messages/${id}`, apiKey);
      return body?.status !== undefined && body.status !== 'pending' ? body : undefined;
    });
    return id;
  }

  it('is a node script with a shebang, where package.json "bin" says', async () => {
    const text = await readFile(bin, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const help = await notify(['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'publish',
      'status',
      'attempts',
      'redeliver',
      'recover',
      'tail',
      'apps',
      'endpoints',
      'listen',
    ]) {
      expect(help.stdout).toContain(command);
    }
  });

  it('ships an SDK (libs/client) that loads without Nest', async () => {
    const sdk = join(cli.build.outDir, 'libs/client/src/index.js');
    const probe = `const sdk = require(${JSON.stringify(sdk)});
      const nest = Object.keys(require.cache).filter((path) => path.includes('@nestjs'));
      console.log(JSON.stringify({ nest, exports: Object.keys(sdk) }));`;
    const child = spawn(process.execPath, ['-e', probe], { cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await once(child, 'close');
    const { nest, exports } = JSON.parse(out);
    expect(nest).toEqual([]);
    expect(exports).toEqual(
      expect.arrayContaining([
        'AmqpPublisher',
        'Outbox',
        'OutboxRelay',
        'WebhookReceiver',
        'InboxFollower',
        'NotifyClient',
      ]),
    );
  });

  it('publish prints the new message id, which status then reports delivered', async () => {
    const run = await notify([
      'publish',
      '--event-type',
      'order.paid',
      '--payload',
      '{"orderId":1}',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const id = run.stdout.trim();
    expect(id).toMatch(/^msg_[0-9a-f]{32}$/);

    const api = await eventually(async () => {
      const { body } = await platform.request('GET', `/v1/messages/${id}`, apiKey);
      return body?.status === 'delivered' ? body : undefined;
    });
    const status = await notify(['status', id, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual(api);

    const human = await notify(['status', id]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('delivered');
    expect(human.stdout).toContain(api.deliveries[0].id);
    expect(human.stdout).toContain('order.paid');
  });

  it('publish --json answers { id, status }; an idempotency key gives the first id again', async () => {
    const args = ['publish', '--event-type', 'order.paid', '--payload', '{"orderId":2}', '--json'];
    const first = await notify([...args, '--idempotency-key', 'cli-order-2']);
    const again = await notify([...args, '--idempotency-key', 'cli-order-2']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      id: expect.stringMatching(/^msg_/),
      status: 'accepted',
    });
    expect(JSON.parse(again.stdout).id).toBe(JSON.parse(first.stdout).id);
  });

  it('publish --endpoint sends to those endpoints only, whatever their event types', async () => {
    const run = await notify(
      [
        'publish',
        '--event-type',
        'order.paid',
        '--payload',
        '{}',
        '--endpoint',
        failingEndpoint,
        '--url',
        platform.baseUrl,
        '--api-key',
        apiKey,
      ],
      { NOTIFY_URL: undefined, NOTIFY_API_KEY: undefined },
    );
    expect(run.code).toBe(0);
    const message = await eventually(async () => {
      const { body } = await platform.request('GET', `/v1/messages/${run.stdout.trim()}`, apiKey);
      return body?.status === 'failed' ? body : undefined;
    });
    expect(message.deliveries.map((d: { endpointId: string }) => d.endpointId)).toEqual([
      failingEndpoint,
    ]);
  });

  it('attempts lists every attempt; redeliver makes another', async () => {
    const id = await publishedAndSettled();
    const attempts = await notify(['attempts', id, '--json']);
    expect(attempts.code).toBe(0);
    const listed = JSON.parse(attempts.stdout);
    expect(listed).toEqual({
      data: [expect.objectContaining({ attempt: 1, outcome: 'succeeded', endpointId: okEndpoint })],
      nextCursor: null,
    });
    const human = await notify(['attempts', id]);
    expect(human.stdout).toMatch(/#\s+DELIVERY/);
    expect(human.stdout).toContain('succeeded');

    const redeliver = await notify(['redeliver', id, '--json']);
    expect(redeliver.code).toBe(0);
    expect(JSON.parse(redeliver.stdout)).toEqual({ deliveries: 1 });
    await eventually(async () => {
      const run = await notify(['attempts', id, '--json']);
      return JSON.parse(run.stdout).data.length === 2 ? true : undefined;
    });
    const humanRedeliver = await notify(['redeliver', id]);
    expect(humanRedeliver).toMatchObject({ code: 0 });
    expect(humanRedeliver.stdout).toContain(`1 delivery of ${id} scheduled again`);
  });

  it('recover --dry-run counts the failed deliveries; recover schedules them again', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const published = await notify([
      'publish',
      '--event-type',
      'order.paid',
      '--payload',
      '{}',
      '--endpoint',
      failingEndpoint,
    ]);
    const id = published.stdout.trim();
    await eventually(async () => {
      const { body } = await platform.request('GET', `/v1/messages/${id}`, apiKey);
      return body?.status === 'failed' ? body : undefined;
    });
    const until = new Date(Date.now() + 1000).toISOString();
    const dryRun = await notify([
      'recover',
      failingEndpoint,
      '--since',
      since,
      '--until',
      until,
      '--dry-run',
      '--json',
    ]);
    expect(dryRun.code).toBe(0);
    expect(JSON.parse(dryRun.stdout)).toEqual({ count: 1 });
    const humanDryRun = await notify([
      'recover',
      failingEndpoint,
      '--since',
      since,
      '--until',
      until,
      '--dry-run',
    ]);
    expect(humanDryRun.stdout).toContain('1 delivery');
    expect(humanDryRun.stdout).toContain('dry run');
    // a dry run changed nothing: still one attempt
    const { body: attempts } = await platform.request('GET', `/v1/messages/${id}/attempts`, apiKey);
    expect(attempts.data).toHaveLength(1);

    const recover = await notify([
      'recover',
      failingEndpoint,
      '--since',
      since,
      '--until',
      until,
      '--json',
    ]);
    expect(recover.code).toBe(0);
    expect(JSON.parse(recover.stdout)).toEqual({ count: 1 });
    await eventually(async () => {
      const { body } = await platform.request('GET', `/v1/messages/${id}/attempts`, apiKey);
      return body.data.length === 2 ? true : undefined;
    });
  });

  it('tail follows deliveries as they happen, and Ctrl-C ends it with 0', async () => {
    const tail = spawnCli([
      'tail',
      '--json',
      '--interval',
      '100ms',
      '--event-type',
      'order.tailed',
    ]);
    const closed = new Promise<number | null>((resolve) => tail.on('close', resolve));
    const run = await notify(['publish', '--event-type', 'order.tailed', '--payload', '{"n":1}']);
    const id = run.stdout.trim();
    const events = await eventually(
      () => {
        const lines = tail
          .out()
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line));
        return lines.some((event) => event.messageId === id && event.status === 'succeeded')
          ? lines
          : undefined;
      },
      { what: `tail to report ${id} succeeded` },
    );
    expect(events.every((event) => event.eventType === 'order.tailed')).toBe(true);
    expect(events.find((event) => event.status === 'succeeded')).toMatchObject({
      messageId: id,
      endpointId: okEndpoint,
      channel: 'webhook',
      attemptCount: 1,
    });
    tail.kill('SIGINT');
    expect(await closed).toBe(0);
    expect(tail.err()).toBe('');
  });

  describe('exit status', () => {
    it('1 when the message does not exist', async () => {
      for (const command of ['status', 'attempts', 'redeliver']) {
        const run = await notify([command, 'msg_00000000000000000000000000000000']);
        expect({ command, code: run.code }).toEqual({ command, code: 1 });
        expect(run.stderr).toContain('404');
        expect(run.stdout).toBe('');
      }
    });

    it('1 when the API is unreachable', async () => {
      const port = await closedPort();
      const run = await notify(['status', 'msg_x', '--url', `http://127.0.0.1:${port}`]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('cannot reach');
      expect(run.stderr).toContain('ECONNREFUSED');
      const tail = await notify(['tail', '--url', `http://127.0.0.1:${port}`]);
      expect(tail.code).toBe(1);
    });

    it('1 when the key is refused', async () => {
      const run = await notify(['status', 'msg_x', '--json'], { NOTIFY_API_KEY: 'ak_not-a-key' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('401');
    });

    it.each([
      ['no command', []],
      ['an unknown command', ['frobnicate']],
      ['an unknown option', ['status', 'msg_x', '--colour']],
      ['a missing argument', ['status']],
      ['publish without --payload', ['publish', '--event-type', 'order.paid']],
      [
        'a payload that is not JSON',
        ['publish', '--event-type', 'order.paid', '--payload', '{oops'],
      ],
      [
        'a payload that is not an object',
        ['publish', '--event-type', 'order.paid', '--payload', '[1]'],
      ],
      ['a bad event type', ['publish', '--event-type', 'order paid!', '--payload', '{}']],
      ['recover without --since', ['recover', 'ep_x']],
      ['recover with a bad --since', ['recover', 'ep_x', '--since', 'yesterday-ish']],
      ['a bad --url', ['status', 'msg_x', '--url', 'not a url']],
      ['tail with a bad --interval', ['tail', '--interval', 'often']],
    ])('2 for wrong usage: %s', async (_name, args) => {
      const run = await notify(args);
      expect(run.code).toBe(2);
      expect(run.stderr).not.toBe('');
      expect(run.stdout).toBe('');
    });

    it('2 when no API key is given', async () => {
      const run = await notify(['status', 'msg_x'], { NOTIFY_API_KEY: undefined });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--api-key');
    });
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
