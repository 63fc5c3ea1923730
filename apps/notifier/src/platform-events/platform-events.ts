import { Injectable, Logger } from '@nestjs/common';
import { isPlatformEventType, platformEventMessageId } from '@app/contracts';
import type { EndpointEntity } from '@app/dal';
import { EndpointCache } from '../store-messages/endpoint-cache';
import type { DeliverySlots, IncomingMessage } from '../store-messages/store-messages.command';
import { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';
import type { RaisedPlatformEvent } from './plan-platform-events';

/** Events waiting to be stored beyond which the oldest are dropped (logged): memory stays bounded. */
const MAX_QUEUED = 10_000;
const FLUSH_DELAY_MS = 10;
const RETRY_DELAY_MS = 1_000;

/**
 * Platform events are stored unclaimed, due now: the scheduler attempts them within its interval,
 * on whichever notifier has room, so raising one never takes a slot from the caller.
 */
const NO_SLOTS: DeliverySlots = {
  tryTake: () => false,
  startsAtOnce: () => false,
  giveBack: () => undefined,
};

/** Which platform event types each app's enabled endpoints name. */
export class Subscriptions {
  constructor(private readonly types: ReadonlyMap<string, ReadonlySet<string>>) {}

  has(appId: string, eventType: string): boolean {
    return this.types.get(appId)?.has(eventType) ?? false;
  }
}

/**
 * Raises platform events (docs/api.md "Platform events"): stores each, as a message of its app,
 * through the same store path as intake (StoreMessagesUseCase), so it is signed, retried and kept
 * in the inbox like any other. Only events some enabled endpoint of the app names are stored;
 * the others cost the subscription read and nothing more. The message id is derived from what the
 * event reports, so raising it again stores nothing new. Storing is retried while MongoDB is down;
 * an event is lost only if this notifier stops first (docs/operations.md "Platform events").
 */
@Injectable()
export class PlatformEvents {
  private readonly logger = new Logger(PlatformEvents.name);
  private queue: RaisedPlatformEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly endpoints: EndpointCache,
    private readonly storeMessages: StoreMessagesUseCase,
  ) {}

  /** Which platform event types these apps' endpoints subscribe to (the endpoints held). */
  async subscriptions(appIds: readonly string[]): Promise<Subscriptions> {
    const types = new Map<string, Set<string>>();
    if (appIds.length === 0) return new Subscriptions(types);
    const byApp = await this.endpoints.ofApps(appIds);
    for (const endpoint of [...byApp.values()].flat()) {
      for (const eventType of subscribedPlatformTypes(endpoint)) {
        const ofApp = types.get(endpoint.appId) ?? new Set<string>();
        ofApp.add(eventType);
        types.set(endpoint.appId, ofApp);
      }
    }
    return new Subscriptions(types);
  }

  /** Stores these events soon, and again until MongoDB takes them. Never throws. */
  raise(events: readonly RaisedPlatformEvent[]): void {
    if (events.length === 0) return;
    this.queue.push(...events);
    const over = this.queue.length - MAX_QUEUED;
    if (over > 0) {
      const dropped = this.queue.splice(0, over);
      this.logger.error(
        { dropped: dropped.length },
        `${dropped.length} platform events dropped: more than ${MAX_QUEUED} wait to be stored`,
      );
    }
    this.flushSoon(FLUSH_DELAY_MS);
  }

  /** Resolves once every event raised so far is stored (true), or at the deadline (false). */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 || this.flushing !== undefined) {
      if (Date.now() >= deadline) return false;
      clearTimeout(this.timer);
      this.timer = undefined;
      await (this.flushing ?? this.flush());
    }
    return true;
  }

  private flushSoon(delayMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return Promise.resolve();
    this.flushing = this.store(batch)
      .catch(async (error: unknown) => {
        this.logger.warn(
          `storing ${batch.length} platform events failed, retrying: ${String(error)}`,
        );
        this.queue.unshift(...batch);
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      })
      .finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.flushSoon(0);
      });
    return this.flushing;
  }

  private async store(events: readonly RaisedPlatformEvent[]): Promise<void> {
    const subscriptions = await this.subscriptions(events.map((raised) => raised.appId));
    const wanted = events.filter((raised) =>
      subscriptions.has(raised.appId, raised.event.eventType),
    );
    if (wanted.length === 0) return;
    const messages: IncomingMessage[] = wanted.map(({ appId, key, event }) => ({
      appId,
      eventType: event.eventType,
      payload: event.payload,
      assignedId: platformEventMessageId(appId, key),
    }));
    const { results } = await this.storeMessages.execute({ messages, slots: NO_SLOTS });
    for (const [index, result] of results.entries()) {
      const { appId, event } = wanted[index]!;
      if (result.stored) {
        this.logger.log(
          { appId, messageId: result.messageId, eventType: event.eventType },
          `platform event ${event.eventType} raised`,
        );
      } else {
        this.logger.warn(
          { appId },
          `platform event ${event.eventType} not stored: ${result.reason}`,
        );
      }
    }
  }
}

function subscribedPlatformTypes(endpoint: EndpointEntity): string[] {
  return endpoint.enabled ? endpoint.eventTypes.filter(isPlatformEventType) : [];
}
