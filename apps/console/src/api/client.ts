import type {
  AttemptView,
  DeliveryView,
  EndpointView,
  ErrorBody,
  EventTypeView,
  ListMessagesParams,
  MessageDetail,
  MessageSummary,
  OrderingKeyView,
  Page,
} from '@app/contracts';

/** One reason a payload does not match its event type's schema (payload_schema_mismatch). */
export interface SchemaFailure {
  /** JSON pointer into the payload: "/amount", "" for the whole. */
  pointer: string;
  keyword: string;
  message: string;
}

type ErrorDetail = ErrorBody['error']['details'][number];

/** GET /v1/messages filters (times as ISO strings); the page is asked for apart. */
export type MessageFilters = Omit<ListMessagesParams, 'cursor' | 'limit'>;

/** A refused call, with the API's error code and message (CONTRACT.md "Errors"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message with each bad field named, for display. */
  describe(): string {
    if (this.details.length === 0) return this.message;
    return `${this.message} (${this.details.map((d) => `${d.field}: ${d.message}`).join('; ')})`;
  }
}

type Query = Record<string, string | number | undefined>;

/** The API as the console uses it: same origin, the app key as a bearer token. */
export class ApiClient {
  constructor(
    private readonly apiKey: string,
    /** Called when the key is refused (401), e.g. to sign out. */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  listEndpoints(cursor?: string, limit = 100): Promise<Page<EndpointView>> {
    return this.call('GET', '/v1/endpoints', { query: { cursor, limit } });
  }

  /** Every endpoint of the app (all pages). */
  allEndpoints(): Promise<EndpointView[]> {
    return this.everyPage('/v1/endpoints', 500);
  }

  getEndpoint(id: string): Promise<EndpointView> {
    return this.call('GET', `/v1/endpoints/${encodeURIComponent(id)}`);
  }

  setEndpointEnabled(id: string, enabled: boolean): Promise<EndpointView> {
    return this.call('PATCH', `/v1/endpoints/${encodeURIComponent(id)}`, { body: { enabled } });
  }

  rotateSecret(id: string): Promise<{ secret: string }> {
    return this.call('POST', `/v1/endpoints/${encodeURIComponent(id)}/rotate-secret`);
  }

  recover(
    id: string,
    window: { since: string; until?: string; dryRun: boolean },
  ): Promise<{ count: number }> {
    return this.call('POST', `/v1/endpoints/${encodeURIComponent(id)}/recover`, { body: window });
  }

  listOrderingKeys(endpointId: string, cursor?: string): Promise<Page<OrderingKeyView>> {
    return this.call('GET', `/v1/endpoints/${encodeURIComponent(endpointId)}/ordering-keys`, {
      query: { blocked: 'true', cursor, limit: 50 },
    });
  }

  skipOrderingKey(endpointId: string, key: string): Promise<OrderingKeyView> {
    return this.call(
      'POST',
      `/v1/endpoints/${encodeURIComponent(endpointId)}/ordering-keys/${encodeURIComponent(key)}/skip`,
    );
  }

  listEventTypes(cursor?: string, limit = 50): Promise<Page<EventTypeView>> {
    return this.call('GET', '/v1/event-types', { query: { cursor, limit } });
  }

  /**
   * Checks a payload against the event type's schema without publishing it: valid, or refused
   * with the API's message (which says when failures were cut) and each failure.
   */
  async validatePayload(
    name: string,
    payload: unknown,
  ): Promise<{ valid: true } | { valid: false; message: string; failures: SchemaFailure[] }> {
    try {
      return await this.call('POST', `/v1/event-types/${encodeURIComponent(name)}/validate`, {
        body: { payload },
      });
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'payload_schema_mismatch') throw error;
      const failures = error.details.map(({ pointer, keyword, message }) => ({
        pointer: pointer ?? '',
        keyword: keyword ?? '',
        message,
      }));
      return { valid: false, message: error.message, failures };
    }
  }

  listMessages(
    filters: MessageFilters,
    cursor?: string,
    limit = 50,
  ): Promise<Page<MessageSummary>> {
    return this.call('GET', '/v1/messages', { query: { ...filters, cursor, limit } });
  }

  getMessage(id: string): Promise<MessageDetail> {
    return this.call('GET', `/v1/messages/${encodeURIComponent(id)}`);
  }

  /** Every attempt of a message, oldest first (all pages). */
  listAttempts(messageId: string): Promise<AttemptView[]> {
    return this.everyPage(`/v1/messages/${encodeURIComponent(messageId)}/attempts`, 500);
  }

  redeliverMessage(id: string): Promise<{ deliveries: number }> {
    return this.call('POST', `/v1/messages/${encodeURIComponent(id)}/redeliver`);
  }

  redeliverDelivery(id: string): Promise<DeliveryView> {
    return this.call('POST', `/v1/deliveries/${encodeURIComponent(id)}/redeliver`);
  }

  /** Follows the cursor of a list to its end. */
  private async everyPage<T>(path: string, limit: number): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.call<Page<T>>('GET', path, { query: { cursor, limit } });
      items.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return items;
  }

  private async call<T>(
    method: string,
    path: string,
    { query, body }: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== '') search.set(key, String(value));
    }
    const url = search.size > 0 ? `${path}?${search.toString()}` : path;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'unreachable', 'The API did not answer. Is it running?');
    }
    const text = await response.text();
    const parsed: unknown = text.length > 0 ? safeJson(text) : undefined;
    if (!response.ok) {
      if (response.status === 401) this.onUnauthorized();
      const error = (parsed as Partial<ErrorBody> | undefined)?.error;
      throw new ApiError(
        response.status,
        error?.code ?? `http_${response.status}`,
        error?.message ?? `The API answered ${response.status} ${response.statusText}`,
        error?.details ?? [],
      );
    }
    return parsed as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Runs `work` over `items`, at most `limit` at a time; keeps the order of the results. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
