import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hookedServices } from '../../support/hooked-services';
import type { Service } from '../../support/service-process';

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
  const services = hookedServices(LOADED_MODULES_HOOK);

  async function modulesLoadedBy(service: Service, readyLog: string): Promise<string[]> {
    const file = join(services.dir, `${service}.txt`);
    const child = await services.start(service, { LOADED_MODULES_FILE: file });
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
    expect(loaded).toContain(join(services.outDir, 'apps', service, 'src', 'main.js'));
    expect(loaded.some((file) => file.includes('/node_modules/mongoose/'))).toBe(true);
    expect(loaded.filter((file) => file.includes('/libs/local-mongodb/'))).toEqual([]);
    expect(loaded.filter((file) => file.includes('/mongodb-memory-server'))).toEqual([]);
  });
});
