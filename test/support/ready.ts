import { eventually } from './eventually';

/**
 * The answer of `GET /health/ready` under `baseUrl` once it is 200. Ready answers 503 while
 * MongoDB misses its 1.5 s ping, as it may under the suite's load, and while no broker is
 * connected yet: an API listens before its broker connection is up.
 */
export function whenReady(baseUrl: string, what: string): Promise<Response> {
  return eventually(
    async () => {
      const response = await fetch(`${baseUrl}/health/ready`);
      return response.status === 200 ? response : undefined;
    },
    { what },
  );
}
