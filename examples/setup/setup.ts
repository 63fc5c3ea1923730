import type { ExampleState } from '../config';

export interface SetupInput {
  notifyUrl: string;
  adminKey: string;
  /** Where the receiver example listens for webhooks. */
  receiverUrl: string;
}

/**
 * What an operator does once: create the shop's app (admin key), then a webhook endpoint for
 * the receiver (the app key) that takes `order.*`. Answers everything the examples need.
 */
export async function setupExample(input: SetupInput): Promise<ExampleState> {
  const app = await post<{ id: string; apiKey: string }>(input, input.adminKey, '/v1/apps', {
    name: 'example-shop',
  });
  const endpoint = await post<{ id: string; secret: string; recipientToken: string }>(
    input,
    app.apiKey,
    '/v1/endpoints',
    {
      channel: 'webhook',
      url: input.receiverUrl,
      eventTypes: ['order.*'],
      description: 'examples/receiver',
    },
  );
  return {
    notifyUrl: input.notifyUrl,
    appId: app.id,
    apiKey: app.apiKey,
    endpointId: endpoint.id,
    secret: endpoint.secret,
    recipientToken: endpoint.recipientToken,
  };
}

async function post<T>(input: SetupInput, token: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${input.notifyUrl.replace(/\/+$/, '')}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}
