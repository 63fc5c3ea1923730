import type { Build } from '../../support/build-ts';
import { SECRETS_KEY, type TestPlatform } from '../../support/platform';
import { ServiceProcess } from '../../support/service-process';

/**
 * A notifier as a real process (the built dist) against the suite's vhost and database, as
 * production runs it: what a hostile producer costs it shows in its own memory and event loop.
 */
export async function startNotifierProcess(
  build: Build,
  platform: TestPlatform,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const notifier = ServiceProcess.start(build, 'notifier', {
    MONGODB_URI: platform.mongoUri,
    AMQP_URL: platform.amqpUrl,
    SECRETS_KEY,
    TARGET_ALLOWLIST: '127.0.0.0/8,::1/128',
    SCHEDULER_INTERVAL: '50ms',
    LEASE_DURATION: '15s',
    ...env,
  });
  await notifier.waitForLog('running: consuming intake');
  return notifier;
}
