import { Clock } from '@app/common';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { createEndpoint, messageWithStatus, publish } from '../pipeline/pipeline-helpers';

const MESSAGES = 12;
/** More than the lease (LEASE_DURATION 15s on the test platform) and its 10 s margin. */
const SKEW_MS = 20_000;
/** How long the recipient takes to answer: the attempt is in flight (and leased) meanwhile. */
const ANSWER_MS = 2_000;

/** A host whose clock is set `skewMs` wrong: controllable, no sleeping. */
class SkewedClock extends Clock {
  constructor(private readonly skewMs: number) {
    super();
  }

  now(): Date {
    return new Date(Date.now() + this.skewMs);
  }
}

describe('resilience: notifiers whose host clocks disagree', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({ notifiers: 1 });
    // One host right, one ahead, one behind: intake hands each some of the messages.
    await platform.startNotifier({ localClock: new SkewedClock(SKEW_MS) });
    await platform.startNotifier({ localClock: new SkewedClock(-SKEW_MS) });
  });
  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  it('never attempts one delivery from both at once', async () => {
    const app = await platform.createApp();
    await createEndpoint(platform, app.apiKey, { url: sink.url('/skew') });
    // Intake stores each delivery leased to the notifier that consumed it and attempts it. By a
    // clock 20 s ahead, a lease another notifier took is over at once (the lease is 15 s), and a
    // lease taken by a clock 20 s behind is over by everyone else's: another notifier would claim
    // the delivery while its attempt waits for the answer, and a second request would arrive.
    const requests = new Map<string, number>();
    sink.on('/skew', (request) => {
      const id = request.headers['webhook-id'] as string;
      requests.set(id, (requests.get(id) ?? 0) + 1);
      return { status: 200, delayMs: ANSWER_MS };
    });

    const ids = await Promise.all(
      Array.from({ length: MESSAGES }, (_, n) =>
        publish(platform, app.apiKey, { eventType: 'order.paid', payload: { n } }),
      ),
    );
    for (const id of ids) await messageWithStatus(platform, app.apiKey, id, 'delivered');

    expect(ids.map((id) => requests.get(id))).toEqual(ids.map(() => 1));
  });
});
