import { NotifyApiError, NotifyConnectionError, type ApiErrorDetail } from '../errors';

export interface HttpClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Per request, including reading the answer; default 30 s. */
  timeoutMs?: number;
  /** Defaults to the global fetch (Node 20+). */
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export type Query = Record<string, string | number | boolean | undefined>;

/** JSON over fetch with a bearer token; maps failures to NotifyApiError / NotifyConnectionError. */
export class HttpTransport {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(
    options: HttpClientOptions,
    private readonly token: string,
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const url = `${this.baseUrl}${path}${toQueryString(query)}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new NotifyConnectionError(
        `cannot reach ${this.baseUrl}: ${describeFetchError(error)}`,
        {
          cause: error,
        },
      );
    }
    const json = parseJson(text);
    if (response.ok) return json as T;
    throw toApiError(response.status, json, text);
  }
}

function toQueryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toApiError(status: number, json: unknown, text: string): NotifyApiError {
  const error = isRecord(json) && isRecord(json.error) ? json.error : undefined;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  const message =
    typeof error?.message === 'string'
      ? error.message
      : `the API answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  const details = Array.isArray(error?.details)
    ? error.details.filter(isRecord).flatMap((detail): ApiErrorDetail[] =>
        typeof detail.field === 'string' && typeof detail.message === 'string'
          ? [
              {
                field: detail.field,
                message: detail.message,
                ...(typeof detail.pointer === 'string' ? { pointer: detail.pointer } : {}),
                ...(typeof detail.keyword === 'string' ? { keyword: detail.keyword } : {}),
              },
            ]
          : [],
      )
    : [];
  return new NotifyApiError(status, code, message, details);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** fetch hides the reason (ECONNREFUSED, ENOTFOUND, timeout) in `cause`. */
export function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown }) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
