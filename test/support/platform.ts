import type { INestApplicationContext } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { connect, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { createConnection, type Connection } from 'mongoose';
import { apiConfigSchema, loadConfig, notifierConfigSchema } from '@app/config';
import { EVENTS_EXCHANGE } from '@app/contracts';
import { recordChanges } from '@app/dal';
import { createApi } from '../../apps/api/src/main';
import { createNotifier } from '../../apps/notifier/src/main';
import type { NotifierOptions } from '../../apps/notifier/src/notifier.module';
import { eventually } from './eventually';
import { createVhost, type Vhost } from './rabbit-vhost';
import { testDatabaseUri } from './test-database';

export const ADMIN_KEY = 'test-admin-key-0123456789';
/** Encrypts webhook secrets at rest in every suite's database (32 bytes, base64). */
export const SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/** Warnings and errors only; set TEST_LOGS=1 to see everything. */
const LOG_LEVEL = process.env.TEST_LOGS ? 'info' : 'warn';

export interface PlatformOptions {
  /** Extra environment for both processes, e.g. { RETRY_SCHEDULE: '100ms,200ms' }. */
  env?: Record<string, string>;
  /** How many notifiers to run (0 for API-only tests). */
  notifiers?: number;
  /** Wait for GET /health to answer 200 before starting (default); false to test a broken setup. */
  waitUntilHealthy?: boolean;
  /** A MongoDB of the test's own (e.g. one it will stop); default: the run's shared one. */
  mongoUri?: string;
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * The real API and notifier(s), in this process, against the real RabbitMQ (a vhost of this
 * suite's own) and the real MongoDB (a database of this suite's own).
 */
export class TestPlatform {
  readonly notifiers: INestApplicationContext[] = [];
  baseUrl = '';
  /** Direct access to the suite's database, for assertions only. */
  db!: Connection;
  private api: NestExpressApplication | undefined;
  private vhost!: Vhost;
  private amqp: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  /** Why the broker closed a channel of ours: what a publish on it fails with. */
  private readonly closedBy = new WeakMap<ConfirmChannel, Error>();
  private env: Record<string, string> = {};
  mongoUri = '';

  static async start(options: PlatformOptions = {}): Promise<TestPlatform> {
    const platform = new TestPlatform();
    await platform.boot(options);
    return platform;
  }

  get amqpUrl(): string {
    return this.vhost.url;
  }

  /** Drops every broker connection of this suite (API, notifiers, the test's own publisher). */
  async dropBrokerConnections(): Promise<number> {
    this.channel = undefined;
    this.amqp = undefined;
    return this.vhost.dropConnections();
  }

  private async boot(options: PlatformOptions): Promise<void> {
    this.vhost = await createVhost();
    this.mongoUri = testDatabaseUri('test', options.mongoUri);
    this.env = {
      AMQP_URL: this.vhost.url,
      ADMIN_API_KEY: ADMIN_KEY,
      TARGET_ALLOWLIST: '127.0.0.0/8,::1/128',
      SCHEDULER_INTERVAL: '50ms',
      LEASE_DURATION: '15s',
      SECRETS_KEY,
      LOG_LEVEL,
      // Suites use retry delays of a few ms; the quota's own tests set it.
      QUOTA_MIN_RETRY_DELAY: '0ms',
      ...options.env,
    };
    for (let i = 0; i < (options.notifiers ?? 1); i++) await this.startNotifier();
    this.api = await createApi(loadConfig(apiConfigSchema, this.env), this.mongoUri);
    await this.api.listen(0, '127.0.0.1');
    this.baseUrl = (await this.api.getUrl()).replace('[::1]', '127.0.0.1');
    if (options.waitUntilHealthy ?? true) {
      await eventually(
        async () => ((await this.request('GET', '/health')).status === 200 ? true : undefined),
        {
          what: 'the API to report healthy',
        },
      );
    }
    this.db = await createConnection(this.mongoUri).asPromise();
  }

  /** Another notifier; `options.localClock` plays a host whose clock is set wrong. */
  async startNotifier(options: NotifierOptions = {}): Promise<INestApplicationContext> {
    const notifier = await createNotifier(
      loadConfig(notifierConfigSchema, this.env),
      this.mongoUri,
      options,
    );
    await notifier.init();
    this.notifiers.push(notifier);
    return notifier;
  }

  async stopNotifier(notifier: INestApplicationContext): Promise<void> {
    this.notifiers.splice(this.notifiers.indexOf(notifier), 1);
    await notifier.close();
  }

  /**
   * Edits an endpoint in MongoDB by hand (to store what an earlier version stored), and records
   * the change in the change log as the platform's writers do, so that the notifiers read it again.
   */
  async editEndpoint(id: string, update: Record<string, unknown>): Promise<void> {
    await this.db.collection('endpoints').updateOne({ _id: id as never }, update);
    await recordChanges(this.db, [{ collection: 'endpoints', documentId: id }]);
  }

  async stop(): Promise<void> {
    await this.channel?.close().catch(() => undefined);
    await this.amqp?.close().catch(() => undefined);
    await this.api?.close();
    for (const notifier of this.notifiers.splice(0)) await notifier.close();
    await this.db?.dropDatabase().catch(() => undefined);
    await this.db?.close();
    await this.vhost.remove();
  }

  async request<T = any>(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<HttpResult<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** Creates an app with the admin key; returns its id and API key. */
  async createApp(name = 'shop'): Promise<{ id: string; apiKey: string }> {
    const { status, body } = await this.request('POST', '/v1/apps', ADMIN_KEY, { name });
    if (status !== 201)
      throw new Error(`creating an app failed: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  /** Publishes straight to the notify.events exchange on a confirm channel, as a producer would. */
  async publishAmqp(
    content: Buffer | object,
    options: Options.Publish & { routingKey?: string } = {},
  ): Promise<void> {
    const channel = await this.confirmChannel();
    const buffer = Buffer.isBuffer(content) ? content : Buffer.from(JSON.stringify(content));
    const eventType = Buffer.isBuffer(content)
      ? undefined
      : (content as { eventType?: unknown }).eventType;
    const routingKey =
      options.routingKey ?? (typeof eventType === 'string' ? eventType : 'unknown');
    channel.publish(EVENTS_EXCHANGE, routingKey, buffer, { persistent: true, ...options });
    await channel.waitForConfirms().catch((error: unknown) => {
      throw this.closedBy.get(channel) ?? error;
    });
  }

  /** Takes every message currently in a queue (acknowledging them). */
  async drainQueue(
    queue: string,
  ): Promise<{ content: string; headers: Record<string, unknown> }[]> {
    const channel = await this.confirmChannel();
    const taken: { content: string; headers: Record<string, unknown> }[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) return taken;
      taken.push({
        content: message.content.toString('utf8'),
        headers: message.properties.headers ?? {},
      });
    }
  }

  /**
   * The suite's own connection and confirm channel, opened again after the broker closed either
   * (a refused publish closes the channel): a test sees its publish fail (the confirm is
   * rejected), and a connection error never crashes the suite's process.
   */
  private async confirmChannel(): Promise<ConfirmChannel> {
    if (this.amqp === undefined) {
      const amqp = await connect(this.vhost.url);
      amqp.on('error', () => undefined);
      amqp.on('close', () => {
        if (this.amqp !== amqp) return;
        this.amqp = undefined;
        this.channel = undefined;
      });
      this.amqp = amqp;
    }
    if (this.channel === undefined) {
      const channel = await this.amqp.createConfirmChannel();
      channel.on('error', (error: Error) => this.closedBy.set(channel, error));
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      this.channel = channel;
    }
    return this.channel;
  }
}
