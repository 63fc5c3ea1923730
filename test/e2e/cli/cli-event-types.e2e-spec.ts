import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestPlatform } from '../../support/platform';
import { CliRunner, type CliRun } from './cli-runner';

/** `notify event-types`, the built binary against the real API. */
describe('notify event-types (the built binary)', () => {
  let cli: CliRunner;
  let platform: TestPlatform;
  let dir: string;

  beforeAll(async () => {
    cli = await CliRunner.build();
    platform = await TestPlatform.start({ notifiers: 0 });
    const app = await platform.createApp('cli-catalog');
    cli.env = { NOTIFY_URL: platform.baseUrl, NOTIFY_API_KEY: app.apiKey };
    dir = await mkdtemp(join(tmpdir(), 'notify-event-types-'));
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await cli?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  const json = (run: CliRun) => {
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(run.stdout);
  };

  it('puts an event type from a schema file, lists, gets and deletes it', async () => {
    const schemaFile = join(dir, 'order-paid.json');
    await writeFile(
      schemaFile,
      JSON.stringify({
        type: 'object',
        required: ['amount'],
        properties: { amount: { type: 'number' } },
      }),
    );
    const put = json(
      await cli.run([
        'event-types',
        'put',
        'order.paid',
        '--description',
        'An order was paid',
        '--schema',
        `@${schemaFile}`,
        '--examples',
        '[{"amount":5}]',
        '--json',
      ]),
    );
    expect(put).toMatchObject({
      name: 'order.paid',
      version: 1,
      description: 'An order was paid',
      examples: [{ amount: 5 }],
    });

    const human = await cli.run(['event-types', 'list']);
    expect(human.stdout).toMatch(/^NAME\s+VERSION\s+SCHEMA/);
    expect(human.stdout).toMatch(/order\.paid\s+1\s+yes/);
    const got = json(await cli.run(['event-types', 'get', 'order.paid', '--json']));
    expect(got.schema).toMatchObject({ required: ['amount'] });

    const deleted = await cli.run(['event-types', 'delete', 'order.paid']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('archived');
    expect(json(await cli.run(['event-types', 'list', '--json'])).data).toEqual([]);
  });

  it('reports a refused schema with pointers into it, and exits 2', async () => {
    const run = await cli.run([
      'event-types',
      'put',
      'order.bad',
      '--schema',
      '{"type":"object","properties":{"a":{"$ref":"https://example.com/s.json"}}}',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('400 validation_failed');
    expect(run.stderr).toContain('schema/properties/a/$ref');

    const notJson = await cli.run(['event-types', 'put', 'order.bad', '--schema', '{nope']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('--schema is not JSON');
  });
});
