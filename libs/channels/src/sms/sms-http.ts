import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios from 'axios';
import type { ProviderAnswer } from './sms-outcome';

/** A provider's answer is small; anything beyond this is not read. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface SmsRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/**
 * POSTs to an SMS provider over keep-alive connections. Provider URLs come from operator
 * configuration (SMS_GATEWAY_URL, TWILIO_API_URL), not from tenants, so they are trusted: no SSRF
 * guard, which lets an operator run a gateway on a private network. Redirects are not followed.
 */
export class SmsHttpClient {
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });

  /** Resolves with any HTTP answer; rejects only when there is none (network error, timeout). */
  async post(request: SmsRequest): Promise<ProviderAnswer> {
    const response = await axios.post<string>(request.url, request.body, {
      headers: { 'user-agent': 'notify-platform', ...request.headers },
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      maxRedirects: 0,
      maxContentLength: MAX_RESPONSE_BYTES,
      proxy: false,
      responseType: 'text',
      transformResponse: [(data: string) => data],
      transformRequest: [(data: string) => data],
      validateStatus: () => true,
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    return {
      status: response.status,
      headers: { ...response.headers },
      body: typeof response.data === 'string' ? response.data : '',
    };
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
