import { Injectable } from '@nestjs/common';
import { groupBy } from '@app/common';
import { DeliveryRepository, OrderingKeyRepository, type DeliveryEntity } from '@app/dal';

/**
 * Intake's side of ordered delivery (ADR 0013): numbers the held deliveries a batch planned, per
 * endpoint and key in the order their messages arrived, before they are written; once written,
 * hands each key on (its lowest held delivery becomes pending if none of the key's is in flight).
 * IntakeConsumer stores batches that carry ordering keys one at a time, so numbers follow arrival.
 */
@Injectable()
export class OrderedDeliveries {
  constructor(
    private readonly keys: OrderingKeyRepository,
    private readonly deliveries: DeliveryRepository,
  ) {}

  /**
   * `planned` with its held deliveries numbered, in the order of `arrival` (message ids in the
   * order they came). Those of `replayed` messages that are stored already are left out first,
   * since they keep the number they have: numbering them again would leave a gap.
   */
  async number(
    planned: readonly DeliveryEntity[],
    arrival: readonly string[],
    replayed: ReadonlySet<string>,
    now: Date,
  ): Promise<DeliveryEntity[]> {
    let deliveries = [...planned];
    const replayedHeld = deliveries.filter(
      (d) => d.ordering !== undefined && replayed.has(d.messageId),
    );
    if (replayedHeld.length > 0) {
      const stored = await this.deliveries.existingPairs(replayedHeld.map((d) => d.messageId));
      deliveries = deliveries.filter((d) => !stored.has(`${d.messageId}/${d.endpointId}`));
    }
    const held = deliveries.filter((d) => d.ordering !== undefined);
    if (held.length === 0) return deliveries;
    const position = new Map(arrival.map((id, index) => [id, index]));
    held.sort((a, b) => position.get(a.messageId)! - position.get(b.messageId)!);
    const numbers = new Map<DeliveryEntity, number>();
    await Promise.all(
      [...groupBy(held, keyOf)].map(async ([, group]) => {
        const first = await this.keys.number(
          {
            appId: group[0]!.appId,
            endpointId: group[0]!.endpointId,
            key: group[0]!.ordering!.key,
          },
          group.length,
          now,
        );
        group.forEach((d, index) => numbers.set(d, first + index));
      }),
    );
    return deliveries.map((d) => {
      const sequence = numbers.get(d);
      return sequence === undefined ? d : { ...d, ordering: { key: d.ordering!.key, sequence } };
    });
  }

  /** Hands on every key these held deliveries belong to; returns how many became pending. */
  async handOn(held: readonly DeliveryEntity[], now: Date): Promise<number> {
    const keys = [...groupBy(held, keyOf).values()].map((group) => ({
      endpointId: group[0]!.endpointId,
      key: group[0]!.ordering!.key,
    }));
    return (await this.keys.handOnKeys(keys, now)).length;
  }
}

function keyOf(delivery: DeliveryEntity): string {
  return `${delivery.endpointId}/${delivery.ordering!.key}`;
}
