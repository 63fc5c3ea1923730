import { deliveryRun, log, type DeliveryRun } from './measure';
import type { Sizes } from './options';
import { callApi } from './setup';
import { formatNumber, type Row } from './report';
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
 * endpoint with no schema registered for its event type (off) and with ORDER_SCHEMA (on: every
 * message checked by the notifier before it is stored), alternated off, on, off, on so that a
 * machine whose load drifts weighs on both alike; each mode's figure is its two runs' messages
 * over their time. The notifier sees each PUT and DELETE through the change log.
 */
export async function schemaCost(stack: Stack, sizes: Sizes): Promise<Row> {
  const { ctx } = stack;
  const runs: { enforced: boolean; run: DeliveryRun }[] = [];
  const eventTypePath = '/v1/event-types/bench.single';
  const archive = () =>
    fetch(`${stack.api.url}${eventTypePath}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${stack.api.apiKey}` },
    });
  const perRun = Math.ceil(sizes.single / 2);
  try {
    for (const [round, enforced] of [false, true, false, true].entries()) {
      const mode = enforced ? 'on' : 'off';
      if (enforced) {
        await callApi(
          stack.api.url,
          stack.api.apiKey,
          eventTypePath,
          { schema: ORDER_SCHEMA },
          'PUT',
        );
      } else {
        await archive();
      }
      log(`schema validation ${mode}: ${perRun} messages to one endpoint`);
      await deliveryRun(
        ctx,
        'warm-up',
        stack.ours('bench.single', `warmup-schema-${round}`),
        300,
        300,
      );
      runs.push({
        enforced,
        run: await deliveryRun(
          ctx,
          `schema ${mode}`,
          stack.ours('bench.single', `schema-${round}`),
          perRun,
          perRun,
        ),
      });
    }
  } finally {
    await archive();
  }
  const [on, off] = [true, false].map((enforced) => {
    const mine = runs.filter((r) => r.enforced === enforced).map((r) => r.run);
    const messages = mine.reduce((sum, run) => sum + run.expected, 0);
    const seconds = mine.reduce((sum, run) => sum + run.seconds, 0);
    return {
      perSecond: messages / seconds,
      complete: mine.every((run) => run.complete),
      rssMb: Math.max(...mine.map((run) => run.rssMb)),
      load: mine.map((run) => run.load).join(', '),
    };
  }) as [Combined, Combined];
  const cell = (mode: Combined) =>
    `${formatNumber(mode.perSecond)}/s${mode.complete ? '' : ' (incomplete)'}`;
  return {
    measure:
      `schema validation: ${perRun * 2} messages -> 1 endpoint over AMQP, ` +
      `event type with a JSON Schema (checked at intake) vs none, alternated off/on/off/on (rss on / off)`,
    platform: `${cell(on)} vs ${cell(off)} (${(on.perSecond / off.perSecond).toFixed(2)}x)`,
    naive: '',
    ratio: '',
    rss: `${on.rssMb.toFixed(0)} / ${off.rssMb.toFixed(0)}`,
    load: `${on.load} / ${off.load}`,
  };
}

interface Combined {
  perSecond: number;
  complete: boolean;
  rssMb: number;
  load: string;
}
