import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { AppRepository } from '@app/dal';

/** A changed binding (PATCH /v1/apps/:id) holds at intake within this long. */
const BINDING_CACHE_MS = 5_000;

export interface FromBroker {
  appId: string;
  /** The AMQP user-id property: RabbitMQ refuses a publish whose user-id is not its user's. */
  userId: unknown;
  /** The HTTP API accepted it without the event catalog's check (MongoDB could not be read). */
  catalogUnchecked?: boolean;
}

/**
 * Who may publish for an app over AMQP. An app with a `brokerUser` accepts a message only when its
 * validated user-id is that user, or the API's own (API_BROKER_USER: the API publishes for every
 * app). An app without one trusts every broker user that may publish to notify.events
 * (docs/operations.md "Who may publish for an app").
 */
@Injectable()
export class BrokerUserBinding {
  private readonly cache = new Map<string, { brokerUser: string | undefined; until: number }>();

  constructor(
    private readonly apps: AppRepository,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  /** Why each message may not be taken for its app, by index; absent when it may. */
  async refusals(messages: readonly FromBroker[]): Promise<Map<number, string>> {
    const bindings = await this.bindingsOf(messages.map((message) => message.appId));
    const refusals = new Map<number, string>();
    for (const [index, { appId, userId }] of messages.entries()) {
      const brokerUser = bindings.get(appId);
      if (brokerUser === undefined || userId === brokerUser || userId === this.config.apiBrokerUser)
        continue;
      const from =
        typeof userId === 'string' ? `user-id "${userId.slice(0, 256)}"` : 'no user-id property';
      refusals.set(
        index,
        `app ${appId} accepts AMQP messages only from broker user "${brokerUser}" (the user-id property); this one has ${from}`,
      );
    }
    return refusals;
  }

  private async bindingsOf(appIds: readonly string[]): Promise<Map<string, string | undefined>> {
    const now = this.clock.now().getTime();
    const bindings = new Map<string, string | undefined>();
    const missing: string[] = [];
    for (const appId of new Set(appIds)) {
      const cached = this.cache.get(appId);
      if (cached !== undefined && cached.until > now) bindings.set(appId, cached.brokerUser);
      else missing.push(appId);
    }
    if (missing.length === 0) return bindings;
    for (const [appId, brokerUser] of await this.apps.findBrokerUsers(missing)) {
      this.cache.set(appId, { brokerUser, until: now + BINDING_CACHE_MS });
      bindings.set(appId, brokerUser);
    }
    return bindings;
  }
}
