import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { useApi } from '../api/context';
import type { AttemptView, DeliveryView, EndpointView } from '@app/contracts';
import { AttemptsTimeline } from '../components/attempts-timeline';
import { CopyButton, ErrorBanner, Spinner, describeError } from '../components/feedback';
import { StatusBadge } from '../components/status-badge';
import { useToast } from '../components/toasts';
import { endpointTarget, formatTime, relativeTime } from '../lib/format';
import { Link } from '../lib/router';
import { useLoad } from '../lib/use-load';

/** How often the page reads the message again while a delivery is pending. */
const POLL_MS = 1000;

export function MessagePage({ id }: { id: string }) {
  const api = useApi();
  const toast = useToast();
  const loadMessage = useCallback(async () => {
    const [message, attempts] = await Promise.all([api.getMessage(id), api.listAttempts(id)]);
    return { message, attempts };
  }, [api, id]);
  const loaded = useLoad(loadMessage);
  const message = loaded.data?.message;
  const [busy, setBusy] = useState<string>();

  const endpointIds = useMemo(
    () => [...new Set(message?.deliveries.map((d) => d.endpointId) ?? [])].sort().join(','),
    [message],
  );
  const loadEndpoints = useCallback(async () => {
    const ids = endpointIds === '' ? [] : endpointIds.split(',');
    const found = await Promise.all(
      ids.map((endpointId) => api.getEndpoint(endpointId).catch(() => null)),
    );
    return new Map(found.filter((e): e is EndpointView => e !== null).map((e) => [e.id, e]));
  }, [api, endpointIds]);
  const endpoints = useLoad(loadEndpoints);

  // Follow the deliveries while any is pending: redelivery results show up by themselves.
  const pending =
    message !== undefined &&
    (message.status === 'pending' || message.deliveries.some((d) => d.status === 'pending'));
  const { reload, loading } = loaded;
  useEffect(() => {
    if (!pending || loading) return;
    const timer = setTimeout(reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [pending, loading, reload]);

  const act = async (label: string, action: () => Promise<string>) => {
    setBusy(label);
    try {
      toast(await action());
    } catch (error) {
      toast(describeError(error), 'bad');
    } finally {
      setBusy(undefined);
      reload();
    }
  };

  if (loaded.error instanceof ApiError && loaded.error.status === 404 && !message) {
    return (
      <>
        <BackLink />
        <div className="card">
          <h1>Message not found</h1>
          <p className="muted">
            No message <code>{id}</code> in this app. A message just published shows up once the
            notifier has stored it (normally within milliseconds).
          </p>
          <button type="button" className="btn" onClick={reload}>
            Try again
          </button>
        </div>
      </>
    );
  }

  return (
    <>
      <BackLink />
      <ErrorBanner error={loaded.error} title="Could not read the message" />
      {!message ? (
        <div className="card">
          <Spinner />
        </div>
      ) : (
        <>
          <div className="page-head">
            <h1>
              <span className="event-type">{message.eventType}</span>{' '}
              <StatusBadge status={message.status} />
            </h1>
            <span className="spacer" />
            {pending ? (
              <span
                className="live"
                title="Reading the message again every second while a delivery is pending"
              >
                <span className="live-dot" /> following
              </span>
            ) : null}
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy !== undefined || message.deliveries.length === 0}
              onClick={() =>
                void act('message', async () => {
                  const { deliveries } = await api.redeliverMessage(message.id);
                  return `Redelivery scheduled for ${deliveries} deliver${deliveries === 1 ? 'y' : 'ies'}`;
                })
              }
            >
              {busy === 'message' ? 'Scheduling…' : 'Redeliver message'}
            </button>
          </div>

          <section className="card">
            <dl className="facts">
              <div className="fact-wide">
                <dt>Message id</dt>
                <dd className="mono">
                  {message.id} <CopyButton value={message.id} />
                </dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd title={formatTime(message.createdAt)}>
                  {formatTime(message.createdAt)}{' '}
                  <span className="muted">({relativeTime(message.createdAt)})</span>
                </dd>
              </div>
              <div>
                <dt>Idempotency key</dt>
                <dd className="mono">{message.idempotencyKey ?? '—'}</dd>
              </div>
              <div>
                <dt>Ordering key</dt>
                <dd className="mono">{message.orderingKey ?? '—'}</dd>
              </div>
              <div>
                <dt>Deliveries</dt>
                <dd>{message.deliveries.length}</dd>
              </div>
            </dl>
            <details className="payload">
              <summary>Payload</summary>
              <pre>{JSON.stringify(message.payload, null, 2)}</pre>
            </details>
          </section>

          <h2 className="section-title">Deliveries</h2>
          {message.deliveries.length === 0 ? (
            <div className="card muted">No endpoint matched this message&apos;s event type.</div>
          ) : (
            message.deliveries.map((delivery) => (
              <DeliveryCard
                key={delivery.id}
                delivery={delivery}
                endpoint={endpoints.data?.get(delivery.endpointId)}
                attempts={loaded.data?.attempts.filter((a) => a.deliveryId === delivery.id) ?? []}
                busy={busy !== undefined}
                onRedeliver={() =>
                  void act(delivery.id, async () => {
                    await api.redeliverDelivery(delivery.id);
                    return 'Redelivery scheduled for this delivery';
                  })
                }
              />
            ))
          )}
        </>
      )}
    </>
  );
}

function BackLink() {
  return (
    <Link to="/messages" className="back">
      ← Messages
    </Link>
  );
}

function DeliveryCard({
  delivery,
  endpoint,
  attempts,
  busy,
  onRedeliver,
}: {
  delivery: DeliveryView;
  endpoint: EndpointView | undefined;
  attempts: AttemptView[];
  busy: boolean;
  onRedeliver: () => void;
}) {
  return (
    <section
      className="card delivery"
      aria-label={`Delivery ${delivery.id}`}
      data-delivery-id={delivery.id}
    >
      <div className="card-head">
        <span className="chip">{delivery.channel}</span>
        <h3 className="mono">{endpoint ? endpointTarget(endpoint) : delivery.endpointId}</h3>
        <StatusBadge status={delivery.status} />
        <span className="spacer" />
        <button type="button" className="btn btn-small" disabled={busy} onClick={onRedeliver}>
          Redeliver
        </button>
      </div>
      {delivery.status === 'held' ? (
        <div className="alert alert-info small">
          Held: this endpoint is ordered, and the delivery of an earlier message of the same
          ordering key has not ended yet.
        </div>
      ) : null}
      <dl className="facts facts-compact">
        <div>
          <dt>Attempts</dt>
          <dd>{delivery.attemptCount}</dd>
        </div>
        {delivery.sequence !== null ? (
          <div>
            <dt>Sequence</dt>
            <dd>{delivery.sequence}</dd>
          </div>
        ) : null}
        <div>
          <dt>Last attempt</dt>
          <dd title={formatTime(delivery.lastAttemptAt)}>{relativeTime(delivery.lastAttemptAt)}</dd>
        </div>
        <div>
          <dt>{delivery.deliveredAt ? 'Delivered' : 'Next attempt'}</dt>
          <dd title={formatTime(delivery.deliveredAt ?? delivery.nextAttemptAt)}>
            {relativeTime(delivery.deliveredAt ?? delivery.nextAttemptAt)}
          </dd>
        </div>
        <div>
          <dt>Endpoint</dt>
          <dd className="mono small">
            {delivery.endpointId}
            {endpoint && !endpoint.enabled ? (
              <span className="badge badge-bad">disabled</span>
            ) : null}
          </dd>
        </div>
      </dl>
      {delivery.lastError && delivery.status !== 'succeeded' ? (
        <div className="alert alert-bad small">Last error: {delivery.lastError}</div>
      ) : null}
      <AttemptsTimeline attempts={attempts} />
    </section>
  );
}
