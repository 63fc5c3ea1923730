import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope sender and recipients (MAIL FROM, RCPT TO). */
  from: string;
  to: string[];
  parsed: ParsedMail;
}

/** An SMTP reply refusing a recipient, e.g. { code: 451, message: '4.7.1 Try again later' }. */
export interface SmtpRefusal {
  code: number;
  message: string;
}

/** Decides the answer to the n-th RCPT TO (1-based) for an address: undefined accepts. */
export type RcptResponder = (n: number) => SmtpRefusal | undefined;

export const SMTP_USER = 'notifier';
export const SMTP_PASS = 'p@ss:word/1';

/**
 * A real SMTP server (smtp-server) that requires the login above, records every accepted mail
 * parsed (mailparser), and refuses recipients as a test tells it to. Plain SMTP: STARTTLS is not
 * offered, so the client does not try to verify a self-signed certificate.
 */
export class SmtpSink {
  readonly mails: ReceivedMail[] = [];
  private readonly rcptCounts = new Map<string, number>();
  private readonly responders = new Map<string, RcptResponder>();
  private server: SMTPServer | undefined;
  private port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      closeTimeout: 200,
      onAuth: (auth, _session, callback) => {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASS) {
          return callback(null, { user: auth.username });
        }
        return callback(
          Object.assign(new Error('Invalid username or password'), { responseCode: 535 }),
        );
      },
      onRcptTo: (address: SMTPServerAddress, _session, callback) => {
        const key = address.address.toLowerCase();
        const n = (this.rcptCounts.get(key) ?? 0) + 1;
        this.rcptCounts.set(key, n);
        const refusal = this.responders.get(key)?.(n);
        if (refusal === undefined) return callback();
        return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            this.mails.push({
              from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              parsed,
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** SMTP_URL for this server, with the credentials it requires (percent-encoded). */
  url(): string {
    return `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${this.port}`;
  }

  on(recipient: string, responder: RcptResponder): void {
    this.responders.set(recipient.toLowerCase(), responder);
  }

  /** How many times a client offered this recipient (RCPT TO), accepted or not. */
  rcptCount(recipient: string): number {
    return this.rcptCounts.get(recipient.toLowerCase()) ?? 0;
  }

  mailsTo(recipient: string): ReceivedMail[] {
    const address = recipient.toLowerCase();
    return this.mails.filter((mail) => mail.to.some((to) => to.toLowerCase() === address));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(resolve) : resolve()));
  }
}
