import { buildProject, type Build } from '../../support/build-ts';
import { SECRETS_KEY, TestPlatform } from '../../support/platform';
import { ServiceProcess } from '../../support/service-process';
import { WebhookSink } from '../../support/webhook-sink';

/** The slowest probe may take this long from publish to its first attempt (the bar). */
export const PROBE_BUDGET_MS = 1_000;

export interface App {
  id: string;
  apiKey: string;
}

/**
 * The API in this process, notifiers as real processes (the built dist), against the real
 * RabbitMQ and MongoDB; and a webhook sink for app B's healthy endpoint.
 */
export class IsolationStack {
  build!: Build;
  platform!: TestPlatform;
  readonly sink = new WebhookSink();
  private readonly processes: ServiceProcess[] = [];

  async start(): Promise<void> {
    [this.build] = await Promise.all([buildProject('tsconfig.build.json'), this.sink.start()]);
    this.platform = await TestPlatform.start({ notifiers: 0 });
  }

  async stop(): Promise<void> {
    for (const child of this.processes) await child.stop('SIGKILL');
    await this.platform?.stop();
    await this.sink.stop();
    await this.build?.remove();
  }

  startNotifier(env: Record<string, string>, name = 'notifier'): ServiceProcess {
    const child = ServiceProcess.start(
      this.build,
      'notifier',
      {
        MONGODB_URI: this.platform.mongoUri,
        AMQP_URL: this.platform.amqpUrl,
        SECRETS_KEY,
        TARGET_ALLOWLIST: '127.0.0.0/8,::1/128',
        SCHEDULER_INTERVAL: '50ms',
        ...env,
      },
      name,
    );
    this.processes.push(child);
    return child;
  }

  async endpoint(app: App, body: Record<string, unknown>): Promise<string> {
    const { status, body: created } = await this.platform.request(
      'POST',
      '/v1/endpoints',
      app.apiKey,
      { channel: 'webhook', ...body },
    );
    if (status !== 201) throw new Error(`endpoint: ${status} ${JSON.stringify(created)}`);
    return created.id;
  }

  async publish(app: App, eventType: string, payload: object): Promise<string> {
    const { status, body } = await this.platform.request('POST', '/v1/messages', app.apiKey, {
      eventType,
      payload,
    });
    if (status !== 202) throw new Error(`publish: ${status} ${JSON.stringify(body)}`);
    return body.id;
  }

  /**
   * Publishes `count` probes of app B, one every `everyMs`, each to B's healthy endpoint at
   * `path`, and measures from the moment each publish was sent to its first arrival at the sink.
   * Probes that have not arrived `waitMs` after the last publish count as Infinity. Each also
   * says how long it took from the moment the notifier took it in (the message's createdAt).
   */
  async probe(
    app: App,
    path: string,
    { count = 20, everyMs = 150, waitMs = 10_000 } = {},
  ): Promise<Probe[]> {
    const sentAt = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const started = Date.now();
      const id = await this.publish(app, 'probe.sent', { i });
      sentAt.set(id, started);
      const next = started + everyMs - Date.now();
      if (next > 0) await new Promise((resolve) => setTimeout(resolve, next));
    }
    const deadline = Date.now() + waitMs;
    const arrivals = () => {
      const first = new Map<string, number>();
      for (const request of this.sink.requestsTo(path)) {
        const id = request.headers['webhook-id'];
        if (typeof id === 'string' && !first.has(id)) first.set(id, request.at);
      }
      return first;
    };
    while (Date.now() < deadline && [...sentAt.keys()].some((id) => !arrivals().has(id))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const first = arrivals();
    return Promise.all(
      [...sentAt].map(async ([id, at]) => {
        const { body } = await this.platform.request('GET', `/v1/messages/${id}`, app.apiKey);
        const storedAt = typeof body?.createdAt === 'string' ? Date.parse(body.createdAt) : NaN;
        const arrived = first.get(id) ?? Number.POSITIVE_INFINITY;
        return { fromPublish: arrived - at, fromIntake: arrived - storedAt };
      }),
    );
  }
}

/** One probe's first attempt: ms after its publish, and after the notifier took it in. */
export interface Probe {
  fromPublish: number;
  fromIntake: number;
}

/**
 * The probes whose first attempt came more than PROBE_BUDGET_MS after the notifier took them in,
 * and the median and slowest from publish, for a failure message. From intake rather than from
 * publish: the API and the broker hop before it do not depend on the notifier's slots, and on a
 * machine shared with other work they alone can take most of a second.
 */
export function lateProbes(probes: readonly Probe[]): { late: string[]; summary: string } {
  const sorted = probes.map((probe) => probe.fromPublish).sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    late: probes
      .filter((probe) => !(probe.fromIntake <= PROBE_BUDGET_MS))
      .map((probe) => `${probe.fromIntake} ms after intake, ${probe.fromPublish} after publish`),
    summary: `from publish: p50 ${median} ms, max ${sorted.at(-1)} ms`,
  };
}
