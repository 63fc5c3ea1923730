import type { OutgoingSms, SmsProvider } from './sms-provider';
import { classifyGatewayAnswer, classifyNoAnswer } from './sms-outcome';
import { SmsHttpClient } from './sms-http';

/** The generic gateway: `POST SMS_GATEWAY_URL` with `{ "to", "text" }`; any 2xx is accepted. */
export class HttpGatewayProvider implements SmsProvider {
  constructor(
    private readonly gatewayUrl: string,
    private readonly http = new SmsHttpClient(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(sms: OutgoingSms) {
    try {
      const answer = await this.http.post({
        url: this.gatewayUrl,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: sms.to, text: sms.text }),
        timeoutMs: sms.timeoutMs,
      });
      return classifyGatewayAnswer(answer, this.now());
    } catch (error) {
      return classifyNoAnswer(error, sms.timeoutMs, 'the SMS gateway');
    }
  }

  close(): void {
    this.http.close();
  }
}
