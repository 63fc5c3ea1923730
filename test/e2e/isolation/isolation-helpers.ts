import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  brokerPolicies,
  DEFAULT_BROKER_POLICY_LIMITS,
  setPolicyArgs,
  type BrokerPolicyLimits,
} from '@app/messaging';
import type { Build } from '../../support/build-ts';
import { SECRETS_KEY, type TestPlatform } from '../../support/platform';
import { ServiceProcess } from '../../support/service-process';

const run = promisify(execFile);

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

/** Sets the platform's broker policies (docs/operations.md) in a vhost, as an operator would. */
export async function applyBrokerPolicies(
  amqpUrl: string,
  limits: Partial<BrokerPolicyLimits> = {},
): Promise<void> {
  const vhost = decodeURIComponent(new URL(amqpUrl).pathname.slice(1));
  for (const policy of brokerPolicies({ ...DEFAULT_BROKER_POLICY_LIMITS, ...limits })) {
    await run('rabbitmqctl', ['-q', ...setPolicyArgs(policy, vhost)]);
  }
}
