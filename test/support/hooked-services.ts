import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject, type Build } from './build-ts';
import { freePort } from './free-port';
import { ADMIN_KEY, SECRETS_KEY } from './platform';
import { createVhost, type Vhost } from './rabbit-vhost';
import { ServiceProcess, type Service } from './service-process';
import { testDatabaseUri } from './test-database';

/**
 * For a suite that runs the built API and notifier as production does, each with `hook` (the
 * source of a module) preloaded by `node --require`, on the suite's MongoDB (a database of their
 * own each) and a vhost of the suite's own. Registers the suite's beforeAll and afterAll; returns
 * how to start one.
 */
export function hookedServices(hook: string): {
  start(service: Service, env: Record<string, string>): Promise<ServiceProcess>;
  /** Where the build is (its `apps/<service>/src/main.js`). */
  readonly outDir: string;
  /** A folder of the suite's own, removed after it (the hook is there). */
  readonly dir: string;
} {
  let build: Build;
  let vhost: Vhost;
  let hookDir: string;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    [build, vhost, hookDir] = await Promise.all([
      buildProject('tsconfig.build.json'),
      createVhost(),
      mkdtemp(join(tmpdir(), 'hooked-services-')),
    ]);
    await writeFile(join(hookDir, 'hook.js'), hook);
  }, 240_000);

  afterAll(async () => {
    for (const child of processes) await child.stop('SIGKILL');
    await vhost?.remove();
    await build?.remove();
    if (hookDir !== undefined) await rm(hookDir, { recursive: true, force: true });
  });

  return {
    get outDir() {
      return build.outDir;
    },
    get dir() {
      return hookDir;
    },
    async start(service, env) {
      const child = ServiceProcess.start(build, service, {
        NODE_OPTIONS: `--require ${join(hookDir, 'hook.js')}`,
        MONGODB_URI: testDatabaseUri('test'),
        AMQP_URL: vhost.url,
        ADMIN_API_KEY: ADMIN_KEY,
        SECRETS_KEY,
        PORT: String(await freePort()),
        ...env,
      });
      processes.push(child);
      return child;
    },
  };
}
