import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TwilioProvider } from './twilio.provider';

const ACCOUNT_SID = `AC${'0'.repeat(32)}`;
const SERVICE_SID = `MG${'f'.repeat(32)}`;

/** A real local HTTP server standing in for api.twilio.com; records what it receives. */
describe('TwilioProvider', () => {
  const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let server: Server;
  let apiUrl: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{"sid":"SM1","status":"accepted"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => received.splice(0));

  const sms = { messageId: 'msg_1', to: '+14155550100', text: 'Hi & bye', timeoutMs: 5_000 };

  it('sends From for a phone number, to the account Messages resource', async () => {
    const provider = new TwilioProvider({
      apiUrl,
      accountSid: ACCOUNT_SID,
      authToken: 'tok',
      from: '+14155550199',
    });
    const result = await provider.send(sms);
    provider.close();
    expect(result).toMatchObject({ outcome: 'delivered', statusCode: 201 });
    expect(received).toHaveLength(1);
    expect(received[0]!.url).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(Object.fromEntries(new URLSearchParams(received[0]!.body))).toEqual({
      To: '+14155550100',
      From: '+14155550199',
      Body: 'Hi & bye',
    });
  });

  it('sends MessagingServiceSid, not From, for a Messaging Service SID', async () => {
    const provider = new TwilioProvider({
      apiUrl,
      accountSid: ACCOUNT_SID,
      authToken: 'tok',
      from: SERVICE_SID,
    });
    await provider.send(sms);
    provider.close();
    expect(Object.fromEntries(new URLSearchParams(received[0]!.body))).toEqual({
      To: '+14155550100',
      MessagingServiceSid: SERVICE_SID,
      Body: 'Hi & bye',
    });
  });

  it('is transient when Twilio cannot be reached', async () => {
    const provider = new TwilioProvider({
      apiUrl: 'http://127.0.0.1:1',
      accountSid: ACCOUNT_SID,
      authToken: 'tok',
      from: '+14155550199',
    });
    const result = await provider.send(sms);
    provider.close();
    expect(result.outcome).toBe('transient');
    expect(result.error).toMatch(/^Twilio could not be reached: ECONNREFUSED/);
  });
});
