import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { webhookJob as job } from '../../../../test/support/webhook-job';
import { TargetGuard } from './target-guard';
import { WebhookChannel } from './webhook.channel';

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok';

/**
 * A recipient that closes a kept-alive connection just as the next request arrives on it (an
 * idle timeout racing the request), as a real server with keep-alive does now and then. Every
 * request on a new connection is answered.
 */
function closingRecipient(): { server: Server; requests: () => number; connections: () => number } {
  let requests = 0;
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections += 1;
    let answered = 0;
    socket.on('data', (chunk) => {
      // One write per request here: the client sends headers and the small body at once.
      requests += chunk.toString('latin1').split('POST ').length - 1;
      if (answered === 0) {
        answered += 1;
        socket.write(OK);
      } else {
        socket.resetAndDestroy();
      }
    });
    socket.on('error', () => undefined);
  });
  return { server, requests: () => requests, connections: () => connections };
}

describe('WebhookChannel on kept-alive connections (real sockets)', () => {
  const recipient = closingRecipient();
  let url: string;
  const channel = new WebhookChannel(
    new TargetGuard([{ address: '127.0.0.0', prefix: 8, family: 'ipv4' }]),
  );

  beforeAll(async () => {
    await new Promise<void>((resolve) => recipient.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(recipient.server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    channel.close();
    await new Promise((resolve) => recipient.server.close(resolve));
  });

  it('sends again on a new connection when a reused one is reset before any answer', async () => {
    expect(await channel.send(job(url))).toMatchObject({ outcome: 'delivered' });
    // The same connection is reused, and reset as this request arrives on it.
    expect(await channel.send(job(url))).toMatchObject({ outcome: 'delivered' });
    expect(recipient.connections()).toBe(2);
    expect(recipient.requests()).toBe(3);
  });
});
