import { ADMIN_KEY, TestPlatform } from '../../support/platform';
import { CliRunner, type CliRun } from './cli-runner';

/**
 * `notify apps` and `notify endpoints`, the built binary against the real API: what an operator
 * otherwise does with curl, with `--json` answering the API's objects.
 */
describe('notify apps and endpoints (the built binary)', () => {
  let cli: CliRunner;
  let platform: TestPlatform;

  beforeAll(async () => {
    cli = await CliRunner.build();
    // The quota on retry delays is a check only the server makes (a 400 the CLI reports).
    platform = await TestPlatform.start({ notifiers: 0, env: { QUOTA_MIN_RETRY_DELAY: '1s' } });
    cli.env = { NOTIFY_URL: platform.baseUrl, NOTIFY_ADMIN_KEY: ADMIN_KEY };
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await cli?.remove();
  });

  const json = (run: CliRun) => {
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(run.stdout);
  };

  /** A new app through the CLI; later runs use its key. */
  async function newApp(name: string): Promise<{ id: string; apiKey: string }> {
    const app = json(await cli.run(['apps', 'create', '--name', name, '--json']));
    expect(app).toMatchObject({ id: expect.stringMatching(/^app_/), name });
    return app;
  }

  it('apps create prints the key once; apps list shows the app', async () => {
    const human = await cli.run(['apps', 'create', '--name', 'shop-human']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^app\s+app_\w+$/m);
    expect(human.stdout).toMatch(/^api key\s+\S+$/m);
    expect(human.stderr).toContain('shown only now');
    const app = await newApp('shop-json');
    const { status, body } = await platform.request('GET', `/v1/apps/${app.id}`, ADMIN_KEY);
    expect(status).toBe(200);
    expect(body.name).toBe('shop-json');

    const listed = json(await cli.run(['apps', 'list', '--json']));
    expect(listed.nextCursor).toBeNull();
    expect(listed.data.map((a: { id: string }) => a.id)).toContain(app.id);
    const table = await cli.run(['apps', 'list']);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+CREATED/);
    expect(table.stdout).toContain(app.id);
  });

  it('the admin key may come as --api-key when NOTIFY_ADMIN_KEY is not set', async () => {
    const run = await cli.run(['apps', 'list', '--json', '--api-key', ADMIN_KEY], {
      NOTIFY_ADMIN_KEY: undefined,
    });
    expect(run.code).toBe(0);
  });

  it('endpoints create|list|get|update|rotate-secret|recover|delete, each as the API answers', async () => {
    const app = await newApp('endpoints');
    const env = { NOTIFY_API_KEY: app.apiKey };
    const created = json(
      await cli.run(
        [
          'endpoints',
          'create',
          '--endpoint-url',
          'https://shop.example/hooks',
          '--event-type',
          'order.*',
          '--event-type',
          'refund.created',
          '--retry-schedule',
          '15s,1m',
          '--header',
          'X-Team: payments',
          '--description',
          'shop',
          '--json',
        ],
        env,
      ),
    );
    expect(created).toMatchObject({
      id: expect.stringMatching(/^ep_/),
      channel: 'webhook',
      url: 'https://shop.example/hooks',
      eventTypes: ['order.*', 'refund.created'],
      retrySchedule: [15_000, 60_000],
      headers: { 'X-Team': 'payments' },
      description: 'shop',
      secret: expect.stringMatching(/^whsec_/),
      recipientToken: expect.any(String),
    });
    const id: string = created.id;
    const { body: api } = await platform.request('GET', `/v1/endpoints/${id}`, app.apiKey);

    expect(json(await cli.run(['endpoints', 'get', id, '--json'], env))).toEqual(api);
    const human = await cli.run(['endpoints', 'get', id], env);
    expect(human.stdout).toMatch(/^retry schedule\s+15s, 1m$/m);
    expect(human.stdout).toMatch(/^event types\s+order\.\*, refund\.created$/m);

    const listed = json(await cli.run(['endpoints', 'list', '--json'], env));
    expect(listed).toEqual({ data: [api], nextCursor: null });
    expect((await cli.run(['endpoints', 'list'], env)).stdout).toMatch(
      new RegExp(`^${id}\\s+webhook\\s+https://shop\\.example/hooks`, 'm'),
    );

    const updated = json(
      await cli.run(
        ['endpoints', 'update', id, '--disable', '--data', '{"description":null}', '--json'],
        env,
      ),
    );
    expect(updated).toMatchObject({ id, enabled: false, description: null });
    const reenabled = await cli.run(['endpoints', 'update', id, '--enable'], env);
    expect(reenabled.stdout).toMatch(/^enabled\s+yes$/m);

    const rotated = await cli.run(['endpoints', 'rotate-secret', id], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout.trim()).toMatch(/^whsec_/);
    expect(rotated.stdout.trim()).not.toBe(created.secret);

    const since = new Date(Date.now() - 3_600_000).toISOString();
    const recover = json(
      await cli.run(['endpoints', 'recover', id, '--since', since, '--dry-run', '--json'], env),
    );
    expect(recover).toEqual({ count: 0 });

    expect(json(await cli.run(['endpoints', 'delete', id, '--json'], env))).toEqual({
      id,
      deleted: true,
    });
    const gone = await cli.run(['endpoints', 'get', id], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('404');
  });

  it('endpoints create prints the secret and recipient token in the human form too', async () => {
    const app = await newApp('endpoints-human');
    const run = await cli.run(
      ['endpoints', 'create', '--channel', 'email', '--to', 'ops@example.com'],
      { NOTIFY_API_KEY: app.apiKey },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^to\s+ops@example\.com$/m);
    expect(run.stdout).toMatch(/^recipient token\s+\S+$/m);
    expect(run.stdout).toContain('shown only now');
  });

  describe('exit status', () => {
    it.each([
      ['apps create without --name', ['apps', 'create']],
      ['an unknown apps command', ['apps', 'delete']],
      ['endpoints create without a URL', ['endpoints', 'create']],
      ['endpoints create with a bad URL', ['endpoints', 'create', '--endpoint-url', 'ftp://x']],
      [
        'a bad --retry-schedule',
        ['endpoints', 'create', '--endpoint-url', 'http://x', '--retry-schedule', 'often'],
      ],
      ['endpoints update with nothing to change', ['endpoints', 'update', 'ep_x']],
      ['endpoints get without an id', ['endpoints', 'get']],
      ['endpoints recover without --since', ['endpoints', 'recover', 'ep_x']],
    ])('2 for wrong usage: %s', async (_name, args) => {
      const run = await cli.run(args, { NOTIFY_API_KEY: 'ak_unused' });
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
      expect(run.stderr).not.toBe('');
    });

    it('2 when the server refuses the input (a 400), naming the field', async () => {
      const app = await newApp('quota');
      const run = await cli.run(
        ['endpoints', 'create', '--endpoint-url', 'http://x.example', '--retry-schedule', '1ms'],
        { NOTIFY_API_KEY: app.apiKey },
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('retrySchedule');
    });

    it('1 for an endpoint that does not exist, or a key the API refuses', async () => {
      const app = await newApp('missing');
      for (const command of ['get', 'delete', 'rotate-secret']) {
        const run = await cli.run(['endpoints', command, 'ep_missing'], {
          NOTIFY_API_KEY: app.apiKey,
        });
        expect({ command, code: run.code }).toEqual({ command, code: 1 });
        expect(run.stderr).toContain('404');
      }
      const refused = await cli.run(['apps', 'list'], { NOTIFY_ADMIN_KEY: 'not-the-admin-key' });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('401');
      const appKeyOnApps = await cli.run(['apps', 'list'], { NOTIFY_ADMIN_KEY: app.apiKey });
      expect(appKeyOnApps.code).toBe(1);
      expect(appKeyOnApps.stderr).toContain('403');
    });

    it('2 when no key is given', async () => {
      const apps = await cli.run(['apps', 'list'], { NOTIFY_ADMIN_KEY: undefined });
      expect(apps.code).toBe(2);
      expect(apps.stderr).toContain('--admin-key');
      const endpoints = await cli.run(['endpoints', 'list']);
      expect(endpoints.code).toBe(2);
      expect(endpoints.stderr).toContain('--api-key');
    });
  });
});
