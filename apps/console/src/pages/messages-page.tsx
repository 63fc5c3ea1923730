import { useCallback, useMemo, useState, type FormEvent } from 'react';
import type { EndpointView, MessageStatus } from '@app/contracts';
import { mapLimited, type MessageFilters } from '../api/client';
import { useApi } from '../api/context';
import { Empty, ErrorBanner, Spinner } from '../components/feedback';
import { OutcomeChart } from '../components/outcome-chart';
import { StatusBadge } from '../components/status-badge';
import { bucketByOutcome } from '../lib/buckets';
import {
  endpointTarget,
  formatDuration,
  formatTime,
  fromLocalInput,
  relativeTime,
  toLocalInput,
} from '../lib/format';
import { Link, navigate } from '../lib/router';
import { useLoad } from '../lib/use-load';

const PAGE_SIZES = [25, 50, 100];
/**
 * Every message status, for the filter. Spelled out here: a value import of @app/contracts would
 * bring zod into the bundle. The Record makes a status added to the contract fail to compile.
 */
const MESSAGE_STATUSES = Object.keys({
  pending: true,
  delivered: true,
  failed: true,
  no_endpoints: true,
} satisfies Record<MessageStatus, true>) as MessageStatus[];

/** The filters as they are kept in the address bar (so a filtered list can be shared or reloaded). */
function filtersFrom(query: URLSearchParams): MessageFilters & { limit: number } {
  const status = query.get('status');
  const limit = Number(query.get('limit'));
  return {
    eventType: query.get('eventType') || undefined,
    status: MESSAGE_STATUSES.includes(status as MessageStatus)
      ? (status as MessageStatus)
      : undefined,
    endpointId: query.get('endpointId') || undefined,
    since: query.get('since') || undefined,
    until: query.get('until') || undefined,
    limit: PAGE_SIZES.includes(limit) ? limit : 50,
  };
}

function queryString(filters: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value !== undefined && value !== '' && !(key === 'limit' && value === 50))
      query.set(key, String(value));
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

export function MessagesPage({ query }: { query: URLSearchParams }) {
  const api = useApi();
  const filters = useMemo(() => filtersFrom(query), [query]);
  const loadEndpoints = useCallback(() => api.listEndpoints(undefined, 100), [api]);
  const endpoints = useLoad(loadEndpoints);

  return (
    <>
      <div className="page-head">
        <h1>Messages</h1>
        <GoToMessage />
      </div>
      <FilterBar
        key={`filters?${query.toString()}`}
        filters={filters}
        endpoints={endpoints.data?.data ?? []}
      />
      {/* A new key per filter set: paging starts again at the newest message. */}
      <MessageList key={`list?${query.toString()}`} filters={filters} />
    </>
  );
}

function GoToMessage() {
  const [id, setId] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (id.trim() !== '') navigate(`/messages/${encodeURIComponent(id.trim())}`);
  };
  return (
    <form className="search" onSubmit={submit} role="search">
      <input
        type="search"
        aria-label="Message id"
        placeholder="Find a message by id"
        spellCheck={false}
        value={id}
        onChange={(e) => setId(e.target.value)}
      />
      <button type="submit" className="btn">
        Open
      </button>
    </form>
  );
}

function FilterBar({
  filters,
  endpoints,
}: {
  filters: MessageFilters & { limit: number };
  endpoints: EndpointView[];
}) {
  const [eventType, setEventType] = useState(filters.eventType ?? '');
  const [status, setStatus] = useState<string>(filters.status ?? '');
  const [endpointId, setEndpointId] = useState(filters.endpointId ?? '');
  const [since, setSince] = useState(filters.since ? toLocalInput(new Date(filters.since)) : '');
  const [until, setUntil] = useState(filters.until ? toLocalInput(new Date(filters.until)) : '');
  const [limit, setLimit] = useState(filters.limit);
  const active = Object.entries(filters).some(
    ([key, value]) => key !== 'limit' && value !== undefined,
  );

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(
      `/messages${queryString({
        eventType: eventType.trim(),
        status,
        endpointId,
        since: fromLocalInput(since),
        until: fromLocalInput(until),
        limit,
      })}`,
    );
  };

  return (
    <form className="card filters" onSubmit={apply} aria-label="Filters">
      <label className="field">
        <span>Event type</span>
        <input
          value={eventType}
          placeholder="order.paid"
          spellCheck={false}
          onChange={(e) => setEventType(e.target.value)}
        />
      </label>
      <label className="field">
        <span>Status</span>
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">any</option>
          {MESSAGE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
      </label>
      <label className="field field-wide">
        <span>Endpoint</span>
        <select value={endpointId} onChange={(e) => setEndpointId(e.target.value)}>
          <option value="">any</option>
          {endpointId !== '' && !endpoints.some((e) => e.id === endpointId) ? (
            <option value={endpointId}>{endpointId}</option>
          ) : null}
          {endpoints.map((endpoint) => (
            <option key={endpoint.id} value={endpoint.id}>
              {endpoint.description ? `${endpoint.description} — ` : ''}
              {endpointTarget(endpoint)}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Since</span>
        <input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
      </label>
      <label className="field">
        <span>Until</span>
        <input type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
      </label>
      <label className="field field-narrow">
        <span>Per page</span>
        <select value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </label>
      <div className="filters-actions">
        <button type="submit" className="btn btn-primary">
          Apply
        </button>
        {active ? (
          <button type="button" className="btn btn-ghost" onClick={() => navigate('/messages')}>
            Clear
          </button>
        ) : null}
      </div>
    </form>
  );
}

function MessageList({ filters }: { filters: MessageFilters & { limit: number } }) {
  const api = useApi();
  /** Cursors of the pages walked so far; the last is the page shown (undefined: the newest). */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const loadPage = useCallback(() => {
    const { limit, ...rest } = filters;
    return api.listMessages(rest, cursor, limit);
  }, [api, filters, cursor]);
  const page = useLoad(loadPage);
  const messages = page.data?.data;
  const nextCursor = page.data?.nextCursor ?? null;

  return (
    <>
      <AttemptsChart messageIds={messages?.map((m) => m.id)} />
      <section className="card table-card" aria-busy={page.loading}>
        <div className="card-head">
          <h2>
            {messages
              ? `${messages.length} message${messages.length === 1 ? '' : 's'}`
              : 'Messages'}
            {cursors.length > 1 ? <span className="muted"> · page {cursors.length}</span> : null}
          </h2>
          <span className="spacer" />
          {page.loading ? <Spinner /> : null}
          <button type="button" className="btn btn-ghost btn-small" onClick={page.reload}>
            Refresh
          </button>
        </div>
        <ErrorBanner error={page.error} title="Could not list messages" />
        {messages && messages.length === 0 ? (
          <Empty>No message matches these filters.</Empty>
        ) : messages ? (
          <table className={`table ${page.loading ? 'stale' : ''}`}>
            <thead>
              <tr>
                <th>Status</th>
                <th>Event type</th>
                <th>Message</th>
                <th>Created</th>
                <th>Idempotency key</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((message) => (
                <tr
                  key={message.id}
                  className="clickable"
                  data-message-id={message.id}
                  onClick={(e) => {
                    if (!(e.target instanceof HTMLAnchorElement))
                      navigate(`/messages/${encodeURIComponent(message.id)}`);
                  }}
                >
                  <td>
                    <StatusBadge status={message.status} />
                  </td>
                  <td>
                    <span className="event-type">{message.eventType}</span>
                  </td>
                  <td>
                    <Link to={`/messages/${encodeURIComponent(message.id)}`} className="mono">
                      {message.id}
                    </Link>
                  </td>
                  <td title={formatTime(message.createdAt)}>{relativeTime(message.createdAt)}</td>
                  <td className="mono muted">{message.idempotencyKey ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <div className="pager">
          <button
            type="button"
            className="btn"
            disabled={cursors.length === 1}
            onClick={() => setCursors((list) => list.slice(0, -1))}
          >
            ← Newer
          </button>
          <button
            type="button"
            className="btn"
            disabled={nextCursor === null || page.loading}
            onClick={() => nextCursor !== null && setCursors((list) => [...list, nextCursor])}
          >
            Older →
          </button>
        </div>
      </section>
    </>
  );
}

/**
 * Attempts of the listed messages, by outcome over time. Derived in the browser: the API has no
 * aggregate of attempts over time, so this reads each listed message's attempts.
 */
function AttemptsChart({ messageIds }: { messageIds: string[] | undefined }) {
  const api = useApi();
  const idsKey = messageIds?.join(',') ?? '';
  const loadAttempts = useCallback(async () => {
    const ids = idsKey === '' ? [] : idsKey.split(',');
    const perMessage = await mapLimited(ids, 4, (id) => api.listAttempts(id));
    return { messages: ids.length, attempts: perMessage.flat() };
  }, [api, idsKey]);
  const attempts = useLoad(loadAttempts);
  const series = useMemo(() => bucketByOutcome(attempts.data?.attempts ?? []), [attempts.data]);
  const total = series.succeeded + series.failed;

  return (
    <section className="card chart-card" aria-label="Delivery attempts by outcome">
      <div className="card-head">
        <h2>Delivery attempts by outcome</h2>
        <span className="legend">
          <span className="legend-ok">{series.succeeded} succeeded</span>
          <span className="legend-bad">{series.failed} failed</span>
          {total > 0 ? (
            <span className="muted">{Math.round((series.succeeded / total) * 100)}% success</span>
          ) : null}
        </span>
        <span className="spacer" />
        {attempts.loading && messageIds !== undefined ? <Spinner /> : null}
      </div>
      <ErrorBanner error={attempts.error} title="Could not read attempts" />
      {total > 0 ? (
        <>
          <OutcomeChart series={series} />
          <p className="muted small">
            Every attempt of the {attempts.data?.messages} message
            {attempts.data?.messages === 1 ? '' : 's'} listed below, per{' '}
            {formatDuration(series.stepMs)}.
          </p>
        </>
      ) : (
        <Empty>
          {attempts.loading ? 'Reading attempts…' : 'No attempt among the messages listed below.'}
        </Empty>
      )}
    </section>
  );
}
