import type { OutgoingSms, SmsProvider } from './sms-provider';
import { classifyNoAnswer, classifyTwilioAnswer } from './sms-outcome';
import { SmsHttpClient } from './sms-http';

export interface TwilioOptions {
  /** https://api.twilio.com, or a local stand-in in tests. */
  apiUrl: string;
  accountSid: string;
  authToken: string;
  /** A phone number or alphanumeric sender id, or a Messaging Service SID (MG...). */
  from: string;
}

const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;

/**
 * Twilio's Programmable Messaging API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * form-encoded `To`, `From` or `MessagingServiceSid`, `Body`, HTTP basic auth with the account
 * SID and auth token.
 */
export class TwilioProvider implements SmsProvider {
  private readonly url: string;
  private readonly authorization: string;

  constructor(
    private readonly options: TwilioOptions,
    private readonly http = new SmsHttpClient(),
    private readonly now: () => Date = () => new Date(),
  ) {
    const base = options.apiUrl.replace(/\/+$/, '');
    this.url = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
    const credentials = `${options.accountSid}:${options.authToken}`;
    this.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  }

  async send(sms: OutgoingSms) {
    const sender: [string, string] = MESSAGING_SERVICE_SID.test(this.options.from)
      ? ['MessagingServiceSid', this.options.from]
      : ['From', this.options.from];
    try {
      const answer = await this.http.post({
        url: this.url,
        headers: {
          authorization: this.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams([['To', sms.to], sender, ['Body', sms.text]]).toString(),
        timeoutMs: sms.timeoutMs,
      });
      return classifyTwilioAnswer(answer, this.now());
    } catch (error) {
      return classifyNoAnswer(error, sms.timeoutMs, 'Twilio');
    }
  }

  close(): void {
    this.http.close();
  }
}
