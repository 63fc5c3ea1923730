import { createServer, type Server } from 'node:http';
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
import { DeliveryRepository } from '@app/dal';

/**
 * Feeds the backlog gauge from this notifier's database and, when METRICS_PORT is set, serves
 * GET /metrics on a listener of its own: a standalone notifier has no API to serve it (under
 * `npm start` the API's /metrics shows the same registry).
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server: Server | undefined;
  private unregisterBacklog: (() => void) | undefined;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly clock: Clock,
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
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
        return;
      }
      if (!bearerMatches(request.headers.authorization, this.config.metrics.token)) {
        response
          .writeHead(401, { 'content-type': 'text/plain' })
          .end('GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"\n');
        return;
      }
      metricsRegistry.metrics().then(
        (text) =>
          response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
        (error: unknown) => {
          this.logger.error(`collecting metrics failed: ${String(error)}`);
          response.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on http://127.0.0.1:${this.port}/metrics`);
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
