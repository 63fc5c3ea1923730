import { deliveryRun, log, rateCell, settle, type DeliveryRun } from './measure';
import type { Sizes } from './options';
import { callApi } from './setup';
import type { Row } from './report';
import type { Stack } from './stack';

/**
 * A schema of the kind a shop registers for its order events, matching the bench's payloads
 * (publisher.ts payloadFor): required fields, types, bounds, two patterns, nested objects and an
 * array of items.
 */
const ORDER_SCHEMA = {
  type: 'object',
  required: ['phase', 'seq', 'sentAt', 'order'],
  properties: {
    phase: { type: 'string', maxLength: 100 },
    seq: { type: 'integer', minimum: 0 },
    sentAt: { type: 'number' },
    order: {
      type: 'object',
      required: ['id', 'amount', 'currency', 'customer', 'items'],
      properties: {
        id: { type: 'string', pattern: '^ord_' },
        amount: { type: 'integer', minimum: 0 },
        currency: { type: 'string', pattern: '^[A-Z]{3}$' },
        customer: {
          type: 'object',
          required: ['id', 'email'],
          properties: { id: { type: 'string' }, email: { type: 'string', format: 'email' } },
        },
        items: {
          type: 'array',
          maxItems: 100,
          items: {
            type: 'object',
            required: ['sku', 'quantity', 'price'],
            properties: {
              sku: { type: 'string' },
              quantity: { type: 'integer', minimum: 1 },
              price: { type: 'integer', minimum: 0 },
            },
          },
        },
      },
    },
  },
};

/**
 * The cost of enforcing an event type's schema at intake: the same burst over AMQP to one
 * endpoint, first with no schema registered for its event type, then with ORDER_SCHEMA (every
 * message checked by the notifier before it is stored). The notifier sees the PUT through its
 * change stream; the event type is archived again at the end.
 */
export async function schemaCost(stack: Stack, sizes: Sizes): Promise<Row> {
  const { ctx } = stack;
  const runs: DeliveryRun[] = [];
  const eventTypePath = '/v1/event-types/bench.single';
  try {
    for (const enforced of [false, true]) {
      const mode = enforced ? 'on' : 'off';
      if (enforced) {
        await callApi(
          stack.api.url,
          stack.api.apiKey,
          eventTypePath,
          { schema: ORDER_SCHEMA },
          'PUT',
        );
      }
      log(`schema validation ${mode}: ${sizes.single} messages to one endpoint`);
      await deliveryRun(
        ctx,
        'warm-up',
        stack.ours('bench.single', `warmup-schema-${mode}`),
        500,
        500,
      );
      await settle(ctx);
      runs.push(
        await deliveryRun(
          ctx,
          `schema ${mode}`,
          stack.ours('bench.single', `schema-${mode}`),
          sizes.single,
          sizes.single,
        ),
      );
      await settle(ctx);
    }
  } finally {
    await fetch(`${stack.api.url}${eventTypePath}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${stack.api.apiKey}` },
    });
  }
  const [off, on] = runs as [DeliveryRun, DeliveryRun];
  return {
    measure:
      `schema validation: ${sizes.single} messages -> 1 endpoint over AMQP, ` +
      `event type with a JSON Schema (checked at intake) vs none (rss on / off)`,
    platform: `${rateCell(on)} vs ${rateCell(off)} (${(on.perSecond / off.perSecond).toFixed(2)}x)`,
    naive: '',
    ratio: '',
    rss: `${on.rssMb.toFixed(0)} / ${off.rssMb.toFixed(0)}`,
    load: `${on.load} / ${off.load}`,
  };
}
