import type {
  AttemptView,
  CreatedEndpoint,
  CreateEndpoint,
  EndpointView,
  EventTypeView,
  InboxItem,
  InboxPage,
  InboxStatus,
  MessageDetail,
  MessageStatus,
  MessageSummary,
  Page,
  PublishMessage,
  PutEventType,
  RecoverResult,
  RedeliveredMessage,
  RotatedSecret,
  UpdateEndpoint,
} from '@app/contracts';
import { validateMessage } from '../message-id';
import { HttpTransport, type HttpClientOptions } from './http-transport';
import { allPages, type PageQuery } from './pages';

export interface AcceptedMessage {
  id: string;
  status: 'accepted';
}

export interface ListMessagesFilter {
  eventType?: string;
  status?: MessageStatus;
  endpointId?: string;
  since?: Date | string;
  until?: Date | string;
  limit?: number;
  cursor?: string;
}

export interface RecoverRequest {
  since: Date | string;
  until?: Date | string;
  dryRun?: boolean;
}

/**
 * The operator/producer side of the HTTP API, with an app key. Answers are the API's JSON as the
 * contract describes it (CONTRACT.md); failures throw NotifyApiError (an error status) or
 * NotifyConnectionError (no answer). No call is retried here: POST /v1/messages is safe to retry
 * when it carries an idempotencyKey, and that decision is the caller's.
 */
export class NotifyClient {
  private readonly http: HttpTransport;

  constructor(options: HttpClientOptions & { apiKey: string }) {
    this.http = new HttpTransport(options, options.apiKey);
  }

  /** POST /v1/messages: 202 once the broker confirmed it. */
  publish(message: PublishMessage): Promise<AcceptedMessage> {
    return this.http.request('POST', '/v1/messages', validateMessage(message));
  }

  /** GET /v1/messages/:id (404 until the notifier stored it, normally milliseconds). */
  getMessage(messageId: string): Promise<MessageDetail> {
    return this.http.request('GET', `/v1/messages/${encodeURIComponent(messageId)}`);
  }

  /** GET /v1/messages, newest first. */
  listMessages(filter: ListMessagesFilter = {}): Promise<Page<MessageSummary>> {
    return this.http.request('GET', '/v1/messages', undefined, {
      ...filter,
      since: toIso(filter.since),
      until: toIso(filter.until),
    });
  }

  /** GET /v1/messages/:id/attempts, one page, oldest first. */
  listAttempts(messageId: string, page: PageQuery = {}): Promise<Page<AttemptView>> {
    return this.http.request(
      'GET',
      `/v1/messages/${encodeURIComponent(messageId)}/attempts`,
      undefined,
      { ...page },
    );
  }

  /** Every attempt of a message, walking all pages. */
  allAttempts(messageId: string): Promise<AttemptView[]> {
    return allPages((cursor) => this.listAttempts(messageId, { limit: 500, cursor }));
  }

  /** POST /v1/messages/:id/redeliver: every delivery again now, with a fresh schedule. */
  redeliverMessage(messageId: string): Promise<RedeliveredMessage> {
    return this.http.request('POST', `/v1/messages/${encodeURIComponent(messageId)}/redeliver`);
  }

  /** POST /v1/deliveries/:id/redeliver. */
  async redeliverDelivery(deliveryId: string): Promise<void> {
    await this.http.request('POST', `/v1/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
  }

  /** POST /v1/endpoints: the secret and the recipient token are in this answer only. */
  createEndpoint(endpoint: CreateEndpoint): Promise<CreatedEndpoint> {
    return this.http.request('POST', '/v1/endpoints', endpoint);
  }

  /** GET /v1/endpoints, one page, newest first. */
  listEndpoints(page: PageQuery = {}): Promise<Page<EndpointView>> {
    return this.http.request('GET', '/v1/endpoints', undefined, { ...page });
  }

  /** Every endpoint of the app, walking all pages. */
  allEndpoints(): Promise<EndpointView[]> {
    return allPages((cursor) => this.listEndpoints({ limit: 500, cursor }));
  }

  /** GET /v1/endpoints/:id. */
  getEndpoint(endpointId: string): Promise<EndpointView> {
    return this.http.request('GET', endpointPath(endpointId));
  }

  /** PATCH /v1/endpoints/:id: fields left out stay, null clears an optional one. */
  updateEndpoint(endpointId: string, changes: UpdateEndpoint): Promise<EndpointView> {
    return this.http.request('PATCH', endpointPath(endpointId), changes);
  }

  /** DELETE /v1/endpoints/:id: its pending deliveries are cancelled. */
  async deleteEndpoint(endpointId: string): Promise<void> {
    await this.http.request('DELETE', endpointPath(endpointId));
  }

  /** POST /v1/endpoints/:id/rotate-secret: the previous secret keeps signing for 24 h. */
  rotateSecret(endpointId: string): Promise<RotatedSecret> {
    return this.http.request('POST', `${endpointPath(endpointId)}/rotate-secret`);
  }

  /**
   * PUT /v1/event-types/:name: registers the event type or replaces its whole definition. A schema
   * that is not one the platform takes, or an example that fails it, throws NotifyApiError 400
   * whose details point into it.
   */
  putEventType(name: string, definition: Partial<PutEventType> = {}): Promise<EventTypeView> {
    return this.http.request('PUT', eventTypePath(name), definition);
  }

  /** GET /v1/event-types, one page, newest first (archived ones left out). */
  listEventTypes(page: PageQuery = {}): Promise<Page<EventTypeView>> {
    return this.http.request('GET', '/v1/event-types', undefined, { ...page });
  }

  /** Every registered event type of the app, walking all pages. */
  allEventTypes(): Promise<EventTypeView[]> {
    return allPages((cursor) => this.listEventTypes({ limit: 500, cursor }));
  }

  /** GET /v1/event-types/:name (archived ones too: archivedAt says). */
  getEventType(name: string): Promise<EventTypeView> {
    return this.http.request('GET', eventTypePath(name));
  }

  /** DELETE /v1/event-types/:name: archives it (no longer registered, schema no longer enforced). */
  async archiveEventType(name: string): Promise<void> {
    await this.http.request('DELETE', eventTypePath(name));
  }

  /**
   * POST /v1/event-types/:name/validate: checks a payload as publishing would, without publishing.
   * A mismatch throws NotifyApiError 400 `payload_schema_mismatch` (details: pointer, keyword).
   */
  validatePayload(name: string, payload: Record<string, unknown>): Promise<{ valid: true }> {
    return this.http.request('POST', `${eventTypePath(name)}/validate`, { payload });
  }

  /** POST /v1/endpoints/:id/recover: deliveries that ended failed in the window, again now. */
  recoverEndpoint(endpointId: string, request: RecoverRequest): Promise<RecoverResult> {
    return this.http.request('POST', `${endpointPath(endpointId)}/recover`, {
      since: toIso(request.since),
      ...(request.until === undefined ? {} : { until: toIso(request.until) }),
      ...(request.dryRun === undefined ? {} : { dryRun: request.dryRun }),
    });
  }
}

export interface InboxQuery {
  status?: InboxStatus;
  /** A `nextCursor` from an earlier page: only what reached the inbox after it. */
  after?: string;
  limit?: number;
  /** Only what reached the endpoint at or after this time. */
  since?: Date | string;
}

/** The recipient side: one endpoint's inbox, with its recipient token. */
export class InboxClient {
  private readonly http: HttpTransport;

  constructor(options: HttpClientOptions & { recipientToken: string }) {
    this.http = new HttpTransport(options, options.recipientToken);
  }

  /** GET /v1/inbox, oldest first. */
  list(query: InboxQuery = {}): Promise<InboxPage> {
    return this.http.request('GET', '/v1/inbox', undefined, {
      ...query,
      since: toIso(query.since),
    });
  }

  /** GET /v1/inbox/:messageId. */
  get(messageId: string): Promise<InboxItem> {
    return this.http.request('GET', `/v1/inbox/${encodeURIComponent(messageId)}`);
  }

  /** POST /v1/inbox/:messageId/ack: the delivery becomes succeeded and its retries stop. */
  ack(messageId: string): Promise<InboxItem> {
    return this.http.request('POST', `/v1/inbox/${encodeURIComponent(messageId)}/ack`);
  }
}

function eventTypePath(name: string): string {
  return `/v1/event-types/${encodeURIComponent(name)}`;
}

function endpointPath(endpointId: string): string {
  return `/v1/endpoints/${encodeURIComponent(endpointId)}`;
}

function toIso(time: Date | string | undefined): string | undefined {
  return time instanceof Date ? time.toISOString() : time;
}
