import { eventually } from '../../support/eventually';
import type { HttpResult, TestPlatform } from '../../support/platform';

/** Small steps the API suites share; every one goes through the public HTTP API. */
export class ApiClient {
  constructor(
    readonly platform: TestPlatform,
    readonly apiKey: string,
  ) {}

  static async forNewApp(platform: TestPlatform, name = 'shop'): Promise<ApiClient> {
    const app = await platform.createApp(name);
    return new ApiClient(platform, app.apiKey);
  }

  request<T = any>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    return this.platform.request<T>(method, path, this.apiKey, body);
  }

  async createEndpoint(body: Record<string, unknown>): Promise<any> {
    const { status, body: created } = await this.request('POST', '/v1/endpoints', {
      channel: 'webhook',
      ...body,
    });
    if (status !== 201) throw new Error(`endpoint: ${status} ${JSON.stringify(created)}`);
    return created;
  }

  async publish(body: Record<string, unknown>): Promise<string> {
    const { status, body: accepted } = await this.request('POST', '/v1/messages', {
      payload: {},
      ...body,
    });
    if (status !== 202) throw new Error(`publish: ${status} ${JSON.stringify(accepted)}`);
    return accepted.id;
  }

  /** The message once `accept` says yes (it answers 404 until the notifier stored it). */
  async messageWhen(
    id: string,
    accept: (message: any) => boolean,
    timeoutMs = 15_000,
  ): Promise<any> {
    return eventually(
      async () => {
        const { status, body } = await this.request('GET', `/v1/messages/${id}`);
        return status === 200 && accept(body) ? body : undefined;
      },
      { timeoutMs, what: `message ${id} to reach the expected state` },
    );
  }

  async attempts(messageId: string): Promise<any[]> {
    const { status, body } = await this.request(
      'GET',
      `/v1/messages/${messageId}/attempts?limit=500`,
    );
    if (status !== 200) throw new Error(`attempts: ${status} ${JSON.stringify(body)}`);
    return body.data;
  }
}

/** Every error answer has the contract's shape. */
export function expectErrorShape(body: any, code?: string): void {
  expect(body).toEqual({
    error: {
      code: code ?? expect.stringMatching(/^[a-z_]+$/),
      message: expect.any(String),
      details: expect.any(Array),
    },
  });
  expect(body.error.message.length).toBeGreaterThan(0);
}

/** The fields named by a 400's details. */
export function badFields(body: any): string[] {
  return (body.error?.details ?? []).map((detail: { field: string }) => detail.field);
}
