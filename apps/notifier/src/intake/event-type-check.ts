import { Inject, Injectable } from '@nestjs/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { describeFailures, EventTypeCatalog } from '@app/event-catalog';
import type { IncomingMessage } from '../store-messages/store-messages.command';
import type { FromBroker } from './broker-user-binding';

/**
 * The event catalog at intake: a message whose event type has a schema must match the version
 * current when it is stored (a message still queued when the schema changed meets the new one),
 * and an app with requireRegisteredEventTypes takes only registered event types. Messages the
 * HTTP API published (its broker user, with the id it answered) were checked before its 202 and
 * are not checked again: accepted is accepted, whatever changed since; unless the API could not
 * read the catalog then (HEADER_CATALOG_UNCHECKED), when they are checked here like any other.
 */
@Injectable()
export class EventTypeCheck {
  constructor(
    private readonly catalog: EventTypeCatalog,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  /** Why each message may not be stored, by index; absent when it may. */
  async refusals(
    messages: readonly IncomingMessage[],
    fromBroker: readonly FromBroker[],
  ): Promise<Map<number, string>> {
    const checked = messages
      .map((message, index) => ({ message, index }))
      .filter(
        ({ message, index }) =>
          message.assignedId === undefined ||
          fromBroker[index]!.userId !== this.config.apiBrokerUser ||
          fromBroker[index]!.catalogUnchecked === true,
      );
    const verdicts = await this.catalog.check(
      checked.map(({ message }) => ({
        appId: message.appId,
        eventType: message.eventType,
        payload: message.payload,
      })),
    );
    const refusals = new Map<number, string>();
    for (const [at, verdict] of verdicts.entries()) {
      if (verdict.ok) continue;
      const { message, index } = checked[at]!;
      switch (verdict.reason) {
        case 'unregistered':
          refusals.set(
            index,
            `event type ${message.eventType} is not registered: app ${message.appId} accepts only registered event types (requireRegisteredEventTypes)`,
          );
          break;
        case 'schema_mismatch':
          refusals.set(
            index,
            `payload_schema_mismatch: the payload does not match the schema of event type ${message.eventType} (version ${verdict.version}): ${describeFailures(verdict.failures)}`,
          );
          break;
      }
    }
    return refusals;
  }
}
