import { INITIAL_ENDPOINT_LIMIT } from '../../../apps/notifier/src/isolation/endpoint-limits';
import { ApiClient } from '../api/api-helpers';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { Recipient } from '../../support/recipient';

async function deliveriesOf(client: ApiClient, ids: readonly string[]): Promise<any[]> {
  const messages = await Promise.all(
    ids.map(async (id) => (await client.request('GET', `/v1/messages/${id}`)).body),
  );
  return messages.flatMap((message) => message.deliveries ?? []);
}

describe('endpoint isolation: a hanging endpoint never delays the others', () => {
  let platform: TestPlatform;
  const recipient = new Recipient();
  let client: ApiClient;

  beforeAll(async () => {
    await recipient.start();
    // An attempt's timeout is bounded by the lease (less a margin): the default lease lets the
    // hanging endpoint's 60 s apply, where the test platform's 15 s would cut it to 5 s.
    platform = await TestPlatform.start({
      env: { ENDPOINT_CONCURRENCY: '3', LEASE_DURATION: '90s' },
    });
    client = await ApiClient.forNewApp(platform);
  });

  afterAll(async () => {
    // The recipient first: its hanging requests end, so shutdown need not wait out their timeout.
    await recipient.stop();
    await platform.stop();
  });

  it('holds at most its starting limit of attempts on the hanging one while the healthy one drains', async () => {
    recipient.answer('/hangs', 'hang');
    // The longest timeout: no hanging attempt ends (and makes room for another) during the test,
    // however slow the machine.
    const timeoutMs = 60_000;
    await client.createEndpoint({
      url: recipient.url('/hangs'),
      eventTypes: ['slow.*'],
      timeoutMs,
    });
    await client.createEndpoint({ url: recipient.url('/healthy'), eventTypes: ['fast.*'] });

    const slow: string[] = [];
    for (let i = 0; i < 20; i++)
      slow.push(await client.publish({ eventType: 'slow.sent', payload: { i } }));
    const started = Date.now();
    const fast: string[] = [];
    for (let i = 0; i < 40; i++)
      fast.push(await client.publish({ eventType: 'fast.sent', payload: { i } }));

    await eventually(() => (recipient.count('/healthy') >= 40 ? true : undefined), {
      what: 'every message to the healthy endpoint to arrive',
      timeoutMs: 30_000,
    });
    // Inside one attempt timeout of the hanging endpoint: nobody waited for it.
    expect(Date.now() - started).toBeLessThan(timeoutMs);
    // An endpoint starts at INITIAL_ENDPOINT_LIMIT (2) in flight, under ENDPOINT_CONCURRENCY (3),
    // and earns more only with answers (ADR 0008).
    expect(recipient.maxOpen.get('/hangs')).toBe(INITIAL_ENDPOINT_LIMIT);
    expect(recipient.count('/hangs')).toBe(INITIAL_ENDPOINT_LIMIT);

    // The 18 others were put back unclaimed, not attempted: pending, attempt count 0.
    const stored = await platform.db
      .collection('deliveries')
      .find({ messageId: { $in: slow } })
      .toArray();
    expect(stored.every((d) => d.status === 'pending' && d.attemptCount === 0)).toBe(true);
    expect(stored.filter((d) => d.claimToken === null)).toHaveLength(20 - INITIAL_ENDPOINT_LIMIT);
    const delivered = await deliveriesOf(client, fast);
    expect(delivered.filter((d) => d.status === 'succeeded')).toHaveLength(40);
  });
});

describe('endpoint isolation: rateLimitPerSecond holds across notifiers', () => {
  let platform: TestPlatform;
  const recipient = new Recipient();
  let client: ApiClient;

  beforeAll(async () => {
    await recipient.start();
    platform = await TestPlatform.start({ notifiers: 2 });
    client = await ApiClient.forNewApp(platform);
  });

  afterAll(async () => {
    await platform.stop();
    await recipient.stop();
  });

  it('sends at most the limit in any second, and postpones the rest without counting an attempt', async () => {
    await client.createEndpoint({ url: recipient.url('/limited'), rateLimitPerSecond: 4 });
    const ids: string[] = [];
    for (let i = 0; i < 24; i++)
      ids.push(await client.publish({ eventType: 'order.paid', payload: { i } }));

    await eventually(() => (recipient.count('/limited') >= 24 ? true : undefined), {
      what: 'all 24 messages to arrive at 4 per second',
      timeoutMs: 20_000,
    });
    // The limit counts per second of the notifiers' clock when an attempt is admitted; a request
    // lands some milliseconds later, so arrivals near a second's end fall into the next one. What
    // holds whatever that delay (under a second): a second's arrivals come from at most two
    // windows, 2 x 4. The exact count per window across notifiers is EndpointGate's int spec.
    const arrivals = recipient.arrivals.get('/limited')!;
    const perSecond = new Map<number, number>();
    for (const at of arrivals) {
      const second = Math.floor(at / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(8);
    // 24 at 4 per second take six windows: over 4 s from the first admission to the last. At 8
    // per second (a limit each notifier counted alone) they would take three, under 3 s. Half a
    // second either side for the delay to arrive.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(3_500);

    await eventually(async () => {
      const deliveries = await deliveriesOf(client, ids);
      return deliveries.filter((d) => d.status === 'succeeded').length === 24
        ? deliveries
        : undefined;
    });
    const deliveries = await deliveriesOf(client, ids);
    expect(deliveries.map((d) => d.attemptCount)).toEqual(Array(24).fill(1));
  });
});

function circuitPlatform(env: Record<string, string>) {
  const recipient = new Recipient();
  const context = {
    platform: undefined as unknown as TestPlatform,
    client: undefined as unknown as ApiClient,
    recipient,
  };
  beforeAll(async () => {
    await recipient.start();
    context.platform = await TestPlatform.start({ env });
    context.client = await ApiClient.forNewApp(context.platform);
  });
  afterAll(async () => {
    await context.platform.stop();
    await recipient.stop();
  });
  return context;
}

describe('endpoint isolation: the circuit breaker opens, probes once, closes', () => {
  const context = circuitPlatform({
    CIRCUIT_BREAKER_OPEN_AFTER: '3',
    CIRCUIT_BREAKER_COOLDOWN: '2s',
    CIRCUIT_BREAKER_MAX_COOLDOWN: '4s',
    CIRCUIT_BREAKER_FAILURES: '1000',
  });

  it('postpones attempts while open, without burning them, and lets everything through after a good probe', async () => {
    const { platform, client, recipient } = context;
    recipient.answer('/flaky', 'fail');
    const endpoint = await client.createEndpoint({
      url: recipient.url('/flaky'),
      retrySchedule: Array(30).fill('300ms'),
    });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(await client.publish({ eventType: 'flaky.sent', payload: { i } }));

    // Failing for a whole cool-down (2 s) with at least 3 failures in a row: the circuit opens.
    const openUntil = await eventually(
      async () => {
        const stored = await platform.db.collection('endpoints').findOne({ _id: endpoint.id });
        return stored?.circuitOpenUntil instanceof Date
          ? stored.circuitOpenUntil.getTime()
          : undefined;
      },
      { what: 'the circuit to open' },
    );
    // The attempts started before it opened finish (no delivery holds a claim), with every
    // arrival counted by its delivery: from then on nothing may reach the endpoint before the
    // cool-down ends. A snapshot is consistent when the arrivals did not change across the read.
    const snapshot = await eventually(
      async () => {
        const arrived = recipient.count('/flaky');
        const stored = await platform.db
          .collection('deliveries')
          .find({ messageId: { $in: ids } })
          .toArray();
        const quiet = stored.every((d) => d.claimToken === null);
        return quiet && recipient.count('/flaky') === arrived
          ? { at: Date.now(), arrived, stored }
          : undefined;
      },
      { what: 'the attempts in flight when the circuit opened to finish' },
    );
    // Three rounds at least; the endpoint starts at INITIAL_ENDPOINT_LIMIT attempts in flight, so
    // of the four deliveries due together two were postponed in the first round (ADR 0008).
    expect(snapshot.arrived).toBeGreaterThanOrEqual(3 * INITIAL_ENDPOINT_LIMIT);
    // Postponed, not burned: the deliveries count exactly the attempts that reached the endpoint.
    expect(snapshot.stored.reduce((sum, d) => sum + d.attemptCount, 0)).toBe(snapshot.arrived);
    expect(snapshot.stored.every((d) => d.status === 'pending')).toBe(true);
    const beforeCooldown = snapshot.arrived;
    // The endpoint recovers; after the cool-down a single probe succeeds and everything flows.
    recipient.answer('/flaky', 'ok');
    await eventually(
      async () => {
        const deliveries = await deliveriesOf(client, ids);
        return deliveries.every((d) => d.status === 'succeeded') ? true : undefined;
      },
      { what: 'every delivery to succeed after the probe', timeoutMs: 30_000 },
    );
    const afterCooldown = recipient.arrivals.get('/flaky')!.slice(beforeCooldown);
    // Open: nothing reached the endpoint between the snapshot and the end of the cool-down,
    // although every delivery's schedule says 300 ms.
    expect(afterCooldown.filter((at) => at >= snapshot.at && at < openUntil)).toEqual([]);
    // One success each: the probe alone first, the others once it had closed the circuit.
    expect(afterCooldown).toHaveLength(4);
    expect(afterCooldown[1]! - afterCooldown[0]!).toBeGreaterThan(1_000);
    const { body } = await client.request('GET', `/v1/endpoints/${endpoint.id}`);
    expect(body).toMatchObject({ enabled: true, consecutiveFailures: 0 });
    const stored = await platform.db.collection('endpoints').findOne({ _id: endpoint.id });
    expect(stored).not.toHaveProperty('circuitOpenUntil');
    expect(stored).not.toHaveProperty('failingSince');
  });
});

describe('endpoint isolation: the circuit breaker disables an endpoint failing hard', () => {
  const context = circuitPlatform({
    CIRCUIT_BREAKER_OPEN_AFTER: '3',
    CIRCUIT_BREAKER_COOLDOWN: '1s',
    CIRCUIT_BREAKER_MAX_COOLDOWN: '1s',
    CIRCUIT_BREAKER_FAILURES: '5',
    CIRCUIT_BREAKER_DURATION: '3s',
  });

  it('disables it with the reason, fails what was pending, counts the event, and starts clean when re-enabled', async () => {
    const { platform, client, recipient } = context;
    recipient.answer('/dead', 'fail');
    const endpoint = await client.createEndpoint({
      url: recipient.url('/dead'),
      retrySchedule: Array(30).fill('300ms'),
    });
    const id = await client.publish({ eventType: 'dead.sent', payload: {} });

    const disabled = await eventually(
      async () => {
        const { body } = await client.request('GET', `/v1/endpoints/${endpoint.id}`);
        return body.enabled === false ? body : undefined;
      },
      { what: 'the endpoint to be disabled', timeoutMs: 20_000 },
    );
    expect(disabled.disabledReason).toMatch(
      /^circuit breaker: \d+ consecutive failed attempts over \d seconds, since .*, without a success$/,
    );
    expect(disabled.consecutiveFailures).toBeGreaterThanOrEqual(5);
    const message = await client.messageWhen(id, (m) => m.status === 'failed');
    expect(message.deliveries[0].lastError).toMatch(/^the endpoint is disabled: circuit breaker/);
    expect(message.deliveries[0].attemptCount).toBe(recipient.count('/dead'));
    const metrics = await (await fetch(`${platform.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /notify_endpoint_circuit_transitions_total\{transition="disabled"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /notify_endpoint_circuit_transitions_total\{transition="opened"\} [1-9]/,
    );

    // Re-enabled by its owner, it starts from a clean slate.
    const enabled = await client.request('PATCH', `/v1/endpoints/${endpoint.id}`, {
      enabled: true,
    });
    expect(enabled.body).toMatchObject({
      enabled: true,
      disabledReason: null,
      consecutiveFailures: 0,
    });
    const stored = await platform.db.collection('endpoints').findOne({ _id: endpoint.id });
    expect(stored).not.toHaveProperty('failingSince');
    expect(stored).not.toHaveProperty('circuitOpenings');
  });
});
