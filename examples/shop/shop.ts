import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MongoClient, type Db } from 'mongodb';
import { AmqpPublisher, Outbox, OutboxRelay, type SdkLogger } from '@app/client';

export interface ShopConfig {
  mongodbUri: string;
  amqpUrls: readonly string[];
  appId: string;
  /** HTTP port for POST /orders; 0 picks a free one. */
  port: number;
  /** Places a demo order this often (0: never). */
  demoIntervalMs: number;
}

export interface Order {
  _id: string;
  item: string;
  amount: number;
  status: 'paid';
  paidAt: Date;
}

export interface PlacedOrder {
  orderId: string;
  /** The platform's id for the order.paid message (GET /v1/messages/:id). */
  messageId: string;
}

export interface Shop {
  url: string;
  db: Db;
  outbox: Outbox;
  placeOrder(input: { item: string; amount: number }): Promise<PlacedOrder>;
  stop(): Promise<void>;
}

/**
 * A shop that takes paid orders. Each order and its `order.paid` message are written in one
 * MongoDB transaction (the outbox); the relay publishes the message to the platform afterwards.
 * If the shop crashes in between, the relay publishes it after the restart: an order is never
 * paid without the notification, and never notified without being stored.
 */
export async function startShop(
  config: ShopConfig,
  log: (line: string) => void = console.log,
): Promise<Shop> {
  const client = await MongoClient.connect(config.mongodbUri);
  const db = client.db();
  const orders = db.collection<Order>('orders');
  const outbox = new Outbox(db, { appId: config.appId });
  await outbox.ensureIndexes();
  // Create the collection up front: older servers refuse to create one inside a transaction.
  await db.createCollection('orders').catch(() => undefined);

  const logger: SdkLogger = { warn: (message) => log(`[relay] ${message}`) };
  const publisher = new AmqpPublisher({
    url: config.amqpUrls,
    appId: config.appId,
    connectionName: 'example-shop',
    logger,
  });
  const relay = new OutboxRelay({ outbox, publisher, logger });
  relay.start();

  const placeOrder = async (input: { item: string; amount: number }): Promise<PlacedOrder> => {
    const session = client.startSession();
    let placed: PlacedOrder | undefined;
    try {
      await session.withTransaction(async () => {
        const order: Order = {
          _id: `ord_${randomUUID()}`,
          item: input.item,
          amount: input.amount,
          status: 'paid',
          paidAt: new Date(),
        };
        await orders.insertOne(order, { session });
        const entry = await outbox.write(session, {
          eventType: 'order.paid',
          payload: {
            orderId: order._id,
            item: order.item,
            amount: order.amount,
            paidAt: order.paidAt.toISOString(),
          },
        });
        placed = { orderId: order._id, messageId: entry.messageId };
      });
    } finally {
      await session.endSession();
    }
    relay.wake();
    log(
      `order ${placed!.orderId} paid (${input.item}, ${input.amount}); message ${placed!.messageId}`,
    );
    return placed!;
  };

  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/orders') {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
            item?: unknown;
            amount?: unknown;
          };
          const placed = await placeOrder({
            item: typeof body.item === 'string' ? body.item : 'book',
            amount: typeof body.amount === 'number' ? body.amount : 10,
          });
          response.writeHead(201, { 'content-type': 'application/json' });
          response.end(JSON.stringify(placed));
        } catch (error) {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: (error as Error).message }));
        }
      })();
    });
  });
  await listen(server, config.port);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const items = ['book', 'lamp', 'kettle', 'scarf'];
  let n = 0;
  const demo =
    config.demoIntervalMs > 0
      ? setInterval(() => {
          const item = items[n++ % items.length]!;
          placeOrder({ item, amount: 5 + (n % 7) * 3 }).catch((error: unknown) =>
            log(`demo order failed: ${String(error)}`),
          );
        }, config.demoIntervalMs)
      : undefined;

  return {
    url,
    db,
    outbox,
    placeOrder,
    stop: async () => {
      clearInterval(demo);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await relay.stop();
      await publisher.close();
      await client.close();
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}
