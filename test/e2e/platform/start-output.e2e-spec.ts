import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { buildProject, REPO_ROOT, type Build } from '../../support/build-ts';
import { eventually } from '../../support/eventually';
import { freePort } from '../../support/free-port';
import { SECRETS_KEY, TestPlatform } from '../../support/platform';

interface Started {
  child: ChildProcessWithoutNullStreams;
  /** Everything it wrote to stdout so far, colours and carriage returns removed. */
  out: () => string;
  port: number;
}

/**
 * What `npm start` prints: the built platform (`dist/apps/platform/main.js`) as a real process,
 * once with its stdout piped and once at a terminal (util-linux `script` gives it a pty).
 */
describe('npm start: the banner and the log lines', () => {
  let build: Build;
  let platform: TestPlatform;
  let env: Record<string, string>;
  const started: Started[] = [];

  beforeAll(async () => {
    build = await buildProject('tsconfig.build.json');
    // For its vhost and database only; the process under test runs its own API and notifier.
    platform = await TestPlatform.start({ notifiers: 0 });
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      MONGODB_URI: platform.mongoUri,
      AMQP_URL: platform.amqpUrl,
      SECRETS_KEY,
    };
  }, 240_000);

  afterEach(() => {
    for (const { child } of started.splice(0)) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await Promise.all([platform?.stop(), build?.remove()]);
  });

  async function start(options: { tty: boolean; env?: Record<string, string> }): Promise<Started> {
    const port = await freePort();
    const main = join(build.outDir, 'apps/platform/main.js');
    const child = options.tty
      ? spawn('script', ['-qefc', `"${process.execPath}" "${main}"`, '/dev/null'], {
          cwd: REPO_ROOT,
          env: { ...env, PORT: String(port), ...options.env },
        })
      : spawn(process.execPath, [main], {
          cwd: REPO_ROOT,
          env: { ...env, PORT: String(port), ...options.env },
        });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    // eslint-disable-next-line no-control-regex
    const out = () => stdout.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r/g, '');
    const run = { child, out, port };
    started.push(run);
    await eventually(() => (out().includes(`API on http://127.0.0.1:${port}`) ? true : undefined), {
      timeoutMs: 60_000,
      what: `the platform to listen; it wrote:\n${out()}`,
    });
    return run;
  }

  async function adminKeyWorks(port: number, key: string): Promise<boolean> {
    const response = await fetch(`http://127.0.0.1:${port}/v1/apps`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return response.status === 200;
  }

  it('piped: JSON lines only, the first one with the URLs, the generated admin key and the data', async () => {
    const { child, out, port } = await start({ tty: false });
    const lines = out().trim().split('\n');
    const parsed = lines.map((line) => JSON.parse(line));
    const first = parsed[0];
    expect(first).toMatchObject({ level: 'info', context: 'Platform' });
    expect(first.msg).toContain(
      `API http://127.0.0.1:${port} (OpenAPI at http://127.0.0.1:${port}/docs)`,
    );
    expect(first.msg).toContain(`console http://127.0.0.1:${port}/console`);
    expect(first.msg).toContain(
      `MongoDB data kept by the server of MONGODB_URI, ${platform.mongoUri}`,
    );
    const key = /admin key (\S+) \(generated for this run/.exec(first.msg)?.[1];
    expect(key).toBeDefined();
    expect(await adminKeyWorks(port, key!)).toBe(true);

    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('at a terminal: the banner first, then human-readable lines', async () => {
    const { out, port } = await start({ tty: true });
    const lines = out().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'notify platform',
      `  API           http://127.0.0.1:${port}  (OpenAPI at http://127.0.0.1:${port}/docs)`,
      `  console       http://127.0.0.1:${port}/console`,
      expect.stringMatching(
        /^ {2}admin key {5}\S+ {2}\(generated for this run; set ADMIN_API_KEY to keep one\)$/,
      ),
      `  MongoDB data  kept by the server of MONGODB_URI, ${platform.mongoUri}`,
    ]);
    const key = lines[3]!.trim().split(/\s+/)[2]!;
    expect(await adminKeyWorks(port, key)).toBe(true);
    const ready = lines.find((line) => line.includes('API on'));
    expect(ready).toMatch(
      new RegExp(
        `^\\[\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] INFO: \\[Platform\\] API on http://127\\.0\\.0\\.1:${port}, notifier running$`,
      ),
    );
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
  });

  it('at a terminal with NODE_ENV=production: JSON lines all the same', async () => {
    const { out } = await start({
      tty: true,
      env: { NODE_ENV: 'production', ADMIN_API_KEY: 'k'.repeat(32) },
    });
    const lines = out().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(JSON.parse(lines[0]!).msg).toContain('admin key the ADMIN_API_KEY you set');
  });
});
