import { hookedServices } from '../../support/hooked-services';
import type { Service } from '../../support/service-process';

/**
 * Preloaded into each process (`node --require`): the moment the process hands the line
 * SIGTERM_AT names to be written to its stdout (pino writes from libuv's thread pool, so the
 * line may be out before the next statement runs), it sends itself SIGTERM. That is the earliest
 * an orchestrator or a script waiting for the line can stop it.
 */
const SIGTERM_AT_HOOK = `
const fs = require('node:fs');
let sent = false;
for (const name of ['write', 'writeSync']) {
  const original = fs[name];
  fs[name] = function (fd, data, ...rest) {
    if (!sent && fd === 1 && String(data).includes(process.env.SIGTERM_AT)) {
      sent = true;
      process.kill(process.pid, 'SIGTERM');
    }
    return original.call(this, fd, data, ...rest);
  };
}
`;

/**
 * A process that says it is up handles SIGTERM already: stopped the moment it logs so, it shuts
 * down cleanly (exit code 0) instead of dying of the signal. A CI run once saw the notifier die
 * of a SIGTERM sent as soon as its "running" line appeared: the line came before the handler.
 */
describe('a SIGTERM the moment a process says it is up', () => {
  const services = hookedServices(SIGTERM_AT_HOOK);

  it.each([
    ['api', 'listening on'],
    ['notifier', 'running: consuming intake'],
  ] as const)('%s shuts down cleanly', async (service: Service, readyLine: string) => {
    const child = await services.start(service, { SIGTERM_AT: readyLine });

    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.logs).toContain(readyLine);
    expect(child.logs).toContain('SIGTERM received, shutting down');
  });
});
