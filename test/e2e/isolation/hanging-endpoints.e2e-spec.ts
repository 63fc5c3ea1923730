import { eventually } from '../../support/eventually';
import { Recipient } from '../../support/recipient';
import { IsolationStack, lateProbes, type App } from './isolation-stack';

/**
 * The issue's first scenario: app A has 40 webhook endpoints that accept the connection and never
 * answer (timeoutMs 30000) and publishes 25 messages (1,000 deliveries); app B's messages to a
 * healthy endpoint, published once A's attempts hang, must each have their first attempt within
 * 1 s of the notifier taking them in (see lateProbes; the failure message gives both figures). DELIVERY_CONCURRENCY is 60 rather than 400, so that A's hanging endpoints could hold every
 * slot even at two attempts each (40 x 2 = 80): the reserve, not only the endpoints' low starting
 * limit, is what keeps B's first attempts going. The lease is the default (90 s), so a hanging
 * attempt really holds its slot for 30 s.
 */
describe('isolation: hanging endpoints of one app do not starve another', () => {
  const stack = new IsolationStack();
  const hanging = new Recipient();
  let a: App;
  let b: App;

  beforeAll(async () => {
    await Promise.all([stack.start(), hanging.start()]);
    a = await stack.platform.createApp('hanging');
    b = await stack.platform.createApp('healthy');
    const notifier = stack.startNotifier({ DELIVERY_CONCURRENCY: '60' });
    await notifier.waitForLog('running: consuming intake');
  }, 240_000);

  afterAll(async () => {
    await stack.stop();
    await hanging.stop();
  });

  it("gives B's 20 probes their first attempt within 1 s while A's attempts hang", async () => {
    for (let i = 0; i < 40; i++) {
      hanging.answer(`/hang/${i}`, 'hang');
      await stack.endpoint(a, {
        url: hanging.url(`/hang/${i}`),
        eventTypes: ['hang.*'],
        timeoutMs: 30_000,
      });
    }
    await stack.endpoint(b, { url: stack.sink.url('/b'), eventTypes: ['probe.*'] });
    for (let i = 0; i < 25; i++) await stack.publish(a, 'hang.sent', { i });

    // A's attempts hang: at least 50 of the notifier's 60 slots are held open by them.
    const open = () =>
      [...hanging.arrivals.values()].reduce((sum, arrivals) => sum + arrivals.length, 0);
    await eventually(() => (open() >= 50 ? true : undefined), {
      what: "app A's attempts to hang",
      timeoutMs: 20_000,
    });

    const probes = await stack.probe(b, '/b');
    expect(lateProbes(probes)).toEqual({ late: [], summary: expect.any(String) });
    // No attempt of A has reached its timeout yet: B did not just find slots A's timeouts freed.
    const firstHang = Math.min(...[...hanging.arrivals.values()].flat());
    expect(Date.now() - firstHang).toBeLessThan(30_000);
  });
});
