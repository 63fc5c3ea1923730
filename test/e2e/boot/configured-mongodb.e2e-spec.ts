import { ConnectionString } from 'mongodb-connection-string-url';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject, type Build } from '../../support/build-ts';
import { freePort } from '../../support/free-port';
import { ADMIN_KEY, SECRETS_KEY } from '../../support/platform';
import { createVhost, type Vhost } from '../../support/rabbit-vhost';
import { ServiceProcess, type Service } from '../../support/service-process';

/**
 * Preloaded into each process (`node --require`): at exit it writes the file of every module the
 * process loaded, from node's own module cache.
 */
const LOADED_MODULES_HOOK = `
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  writeFileSync(process.env.LOADED_MODULES_FILE, Object.keys(require.cache).join('\\n'));
});
`;

/**
 * With MONGODB_URI set, `start:api` and `start:notifier` (the built dist, as production runs it)
 * never load the local MongoDB launcher nor mongodb-memory-server (ADR 0003): they are imported
 * only when MONGODB_URI is unset.
 */
describe('a process with MONGODB_URI set', () => {
  let build: Build;
  let vhost: Vhost;
  let hookDir: string;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    [build, vhost, hookDir] = await Promise.all([
      buildProject('tsconfig.build.json'),
      createVhost(),
      mkdtemp(join(tmpdir(), 'loaded-modules-')),
    ]);
    await writeFile(join(hookDir, 'hook.js'), LOADED_MODULES_HOOK);
  }, 240_000);

  afterAll(async () => {
    for (const child of processes) await child.stop('SIGKILL');
    await vhost?.remove();
    await build?.remove();
    if (hookDir !== undefined) await rm(hookDir, { recursive: true, force: true });
  });

  async function modulesLoadedBy(service: Service, readyLog: string): Promise<string[]> {
    const mongodbUri = new ConnectionString(process.env.MONGODB_URI!);
    mongodbUri.pathname = `/test_${randomBytes(4).toString('hex')}`;
    const file = join(hookDir, `${service}.txt`);
    const child = ServiceProcess.start(build, service, {
      NODE_OPTIONS: `--require ${join(hookDir, 'hook.js')}`,
      LOADED_MODULES_FILE: file,
      MONGODB_URI: mongodbUri.toString(),
      AMQP_URL: vhost.url,
      ADMIN_API_KEY: ADMIN_KEY,
      SECRETS_KEY,
      PORT: String(await freePort()),
    });
    processes.push(child);
    await child.waitForLog(readyLog);
    expect(await child.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    return (await readFile(file, 'utf8')).split('\n');
  }

  it.each([
    ['api', 'listening on'],
    ['notifier', 'running: consuming intake'],
  ] as const)('%s loads neither the launcher nor mongodb-memory-server', async (service, ready) => {
    const loaded = await modulesLoadedBy(service, ready);

    // The list is the real one: the process's own entry point and the MongoDB driver are in it.
    expect(loaded).toContain(join(build.outDir, 'apps', service, 'src', 'main.js'));
    expect(loaded.some((file) => file.includes('/node_modules/mongoose/'))).toBe(true);
    expect(loaded.filter((file) => file.includes('/libs/local-mongodb/'))).toEqual([]);
    expect(loaded.filter((file) => file.includes('/mongodb-memory-server'))).toEqual([]);
  });
});
