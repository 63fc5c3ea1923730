import { eventually } from '../../support/eventually';
import type { TestPlatform } from '../../support/platform';

/** Shorthands the pipeline suites share; each one fails loudly with the answer it got. */

export async function createEndpoint(
  platform: TestPlatform,
  apiKey: string,
  fields: Record<string, unknown>,
): Promise<any> {
  const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
    channel: 'webhook',
    ...fields,
  });
  if (status !== 201)
    throw new Error(`creating an endpoint failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

export async function publish(
  platform: TestPlatform,
  apiKey: string,
  message: Record<string, unknown>,
): Promise<string> {
  const { status, body } = await platform.request('POST', '/v1/messages', apiKey, message);
  if (status !== 202) throw new Error(`publishing failed: ${status} ${JSON.stringify(body)}`);
  return body.id;
}

/** Polls GET /v1/messages/:id until the message has the status (a 404 counts as not yet). */
export function messageWithStatus(
  platform: TestPlatform,
  apiKey: string,
  id: string,
  status: string,
  timeoutMs = 15_000,
): Promise<any> {
  let last: unknown;
  return eventually(
    async () => {
      const response = await platform.request('GET', `/v1/messages/${id}`, apiKey);
      last = response.body;
      return response.status === 200 && response.body.status === status ? response.body : undefined;
    },
    { timeoutMs, what: `message ${id} to be ${status}` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last answer ${JSON.stringify(last)}`);
  });
}

/** Every attempt of a message, oldest first. */
export async function attemptsOf(platform: TestPlatform, apiKey: string, id: string) {
  const { status, body } = await platform.request(
    'GET',
    `/v1/messages/${id}/attempts?limit=500`,
    apiKey,
  );
  if (status !== 200) throw new Error(`listing attempts failed: ${status} ${JSON.stringify(body)}`);
  return body.data as any[];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
