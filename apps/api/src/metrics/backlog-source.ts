import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Clock, collectProcessMetrics, registerBacklogSource } from '@app/common';
import { DeliveryRepository } from '@app/dal';

/** Answers the backlog gauge from this API's database when /metrics is scraped. */
@Injectable()
export class BacklogSource implements OnModuleInit, OnModuleDestroy {
  private unregister: (() => void) | undefined;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    collectProcessMetrics();
    this.unregister = registerBacklogSource(() => this.deliveries.countDue(this.clock.now()));
  }

  onModuleDestroy(): void {
    this.unregister?.();
  }
}
