import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Clock, cachedSource, collectProcessMetrics, registerBacklogSource } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import { DeliveryRepository } from '@app/dal';

/**
 * Answers the backlog gauge from this API's database when /metrics is scraped: counted at most
 * once per METRICS_BACKLOG_MAX_AGE, however often (and by how many) it is scraped.
 */
@Injectable()
export class BacklogSource implements OnModuleInit, OnModuleDestroy {
  private unregister: (() => void) | undefined;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly clock: Clock,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  onModuleInit(): void {
    collectProcessMetrics();
    this.unregister = registerBacklogSource(
      cachedSource(
        () => this.deliveries.countDue(this.clock.now()),
        this.config.metrics.backlogMaxAgeMs,
      ),
    );
  }

  onModuleDestroy(): void {
    this.unregister?.();
  }
}
