import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  FileCursorStore,
  InboxClient,
  InboxFollower,
  MemoryDedupeStore,
  WebhookReceiver,
  type HandleResult,
} from '@app/client';

export interface ReceiverConfig {
  notifyUrl: string;
  secret: string;
  recipientToken: string;
  /** 0 picks a free port. */
  port: number;
  cursorFile: string;
  /** How often the inbox is checked besides the webhooks; default 30 s. */
  inboxPollIntervalMs?: number;
}

export interface ReceivedOrder {
  messageId: string;
  eventType: string;
  data: Record<string, unknown>;
  via: 'webhook' | 'inbox';
}

export interface Receiver {
  url: string;
  /** Everything handled, in order: each message once, whichever way it came. */
  received: ReceivedOrder[];
  stop(): Promise<void>;
}

/**
 * A recipient of the shop's notifications: takes signed webhooks at POST /webhooks (verified,
 * stale and duplicate ones refused), and on start - and every so often - walks its inbox from a
 * saved cursor to pick up whatever it missed while it was down, acking it there.
 */
export async function startReceiver(
  config: ReceiverConfig,
  log: (line: string) => void = console.log,
): Promise<Receiver> {
  const received: ReceivedOrder[] = [];
  // One store for both paths, so a message that arrives by webhook and in the inbox counts once.
  const dedupe = new MemoryDedupeStore();
  const handle = (order: ReceivedOrder) => {
    received.push(order);
    log(
      `got ${order.eventType} ${order.messageId} via ${order.via}: ${JSON.stringify(order.data)}`,
    );
  };

  const webhooks = new WebhookReceiver({ secrets: [config.secret], dedupe });
  const listener = webhooks.requestListener(
    (event) =>
      handle({ messageId: event.id, eventType: event.type, data: event.data, via: 'webhook' }),
    (result: HandleResult) => {
      if (result.outcome === 'rejected')
        log(`refused a webhook: ${result.reason} ${result.message ?? ''}`);
      if (result.outcome === 'duplicate')
        log(`duplicate ${result.event?.id} answered 200, not handled again`);
      if (result.outcome === 'in_progress')
        log(`${result.event?.id} arrived again while still being handled: answered 409`);
    },
  );
  const server = createServer((request, response) => {
    if (request.url !== '/webhooks') {
      response.writeHead(404).end();
      return;
    }
    listener(request, response);
  });
  await listen(server, config.port);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const follower = new InboxFollower({
    inbox: new InboxClient({ baseUrl: config.notifyUrl, recipientToken: config.recipientToken }),
    cursor: new FileCursorStore(config.cursorFile),
    dedupe,
    pollIntervalMs: config.inboxPollIntervalMs ?? 30_000,
    handler: (item) =>
      handle({
        messageId: item.messageId,
        eventType: item.eventType,
        data: item.payload,
        via: 'inbox',
      }),
    logger: { warn: (message) => log(`[inbox] ${message}`) },
  });
  try {
    const caughtUp = await follower.catchUp();
    log(`inbox: caught up, ${caughtUp.handled} missed message(s) handled`);
  } catch (error) {
    log(`inbox: cannot catch up yet (${(error as Error).message}); will keep trying`);
  }
  follower.start();

  return {
    url,
    received,
    stop: async () => {
      await follower.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}
