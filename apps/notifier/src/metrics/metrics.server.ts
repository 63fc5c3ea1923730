import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import {
  bearerMatches,
  Clock,
  cachedSource,
  collectProcessMetrics,
  metricsRegistry,
  registerBacklogSource,
} from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { healthView } from '@app/contracts';
import { DeliveryRepository, MongoHealth } from '@app/dal';
import { AmqpConnection } from '@app/messaging';

/**
 * Feeds the backlog gauge from this notifier's database and, when METRICS_PORT is set, serves
 * GET /metrics, GET /health/live and GET /health/ready on a listener of its own: a standalone
 * notifier has no API to serve them (under `npm start` the API's show the same process).
 * The health probes need no METRICS_TOKEN: an orchestrator calls them, and they tell nothing
 * beyond up or down.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server: Server | undefined;
  private unregisterBacklog: (() => void) | undefined;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly clock: Clock,
    private readonly mongo: MongoHealth,
    private readonly amqp: AmqpConnection,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  /** The port it listens on (METRICS_PORT=0 picks a free one), or undefined when not serving. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null | undefined)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    collectProcessMetrics();
    this.unregisterBacklog = registerBacklogSource(
      cachedSource(
        () => this.deliveries.countDue(this.clock.now()),
        this.config.metrics.backlogMaxAgeMs,
      ),
    );
    if (this.config.metricsPort === undefined) return;
    const server = createServer((request, response) => this.serve(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on http://127.0.0.1:${this.port}/metrics`);
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    const path = request.method === 'GET' ? request.url?.split('?')[0] : undefined;
    if (path === '/health/live') {
      json(response, 200, { status: 'ok' });
      return;
    }
    if (path === '/health/ready') {
      void this.mongo.isReady().then((mongodb) => {
        const { httpStatus, body } = healthView({ mongodb, rabbitmq: this.amqp.isConnected });
        json(response, httpStatus, body);
      });
      return;
    }
    if (path !== '/metrics') {
      response
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('only GET /metrics, /health/live and /health/ready here\n');
      return;
    }
    if (!bearerMatches(request.headers.authorization, this.config.metrics.token)) {
      response
        .writeHead(401, { 'content-type': 'text/plain' })
        .end('GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      (error: unknown) => {
        this.logger.error(`collecting metrics failed: ${String(error)}`);
        response.writeHead(500).end();
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.unregisterBacklog?.();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
