import { useCallback, useState } from 'react';
import type { EndpointView, EventTypeView } from '@app/contracts';
import type { SchemaFailure } from '../api/client';
import { useApi } from '../api/context';
import { Empty, ErrorBanner, Modal, Spinner } from '../components/feedback';
import { Badge } from '../components/status-badge';
import { endpointTarget, formatTime, relativeTime } from '../lib/format';
import { Link } from '../lib/router';
import { subscribersOf } from '../lib/subscribers';
import { useCursorList } from '../lib/use-cursor-list';
import { useLoad, type Loaded } from '../lib/use-load';

export function EventTypesPage() {
  const api = useApi();
  const loadPage = useCallback((cursor?: string) => api.listEventTypes(cursor, 50), [api]);
  const list = useCursorList(loadPage);
  const loadEndpoints = useCallback(() => api.allEndpoints(), [api]);
  const endpoints = useLoad(loadEndpoints);
  const refresh = () => {
    list.refresh();
    endpoints.reload();
  };

  return (
    <>
      <div className="page-head">
        <h1>Event types</h1>
        <span className="spacer" />
        {list.loading || endpoints.loading ? <Spinner /> : null}
        <button type="button" className="btn btn-ghost btn-small" onClick={refresh}>
          Refresh
        </button>
      </div>
      <ErrorBanner error={list.error} title="Could not list event types" />
      <ErrorBanner error={list.moreError} title="Could not list more event types" />
      <ErrorBanner error={endpoints.error} title="Could not list endpoints (subscriptions)" />
      {list.loaded && list.items.length === 0 ? (
        <Empty>
          This app has no event type in its catalog yet. Register one with{' '}
          <code>PUT /v1/event-types/:name</code>.
        </Empty>
      ) : null}
      {list.items.map((eventType) => (
        <EventTypeCard key={eventType.name} eventType={eventType} endpoints={endpoints} />
      ))}
      {list.hasMore ? (
        <div className="pager">
          <button type="button" className="btn" onClick={() => void list.loadMore()}>
            More event types
          </button>
        </div>
      ) : null}
    </>
  );
}

function EventTypeCard({
  eventType,
  endpoints,
}: {
  eventType: EventTypeView;
  endpoints: Loaded<EndpointView[]>;
}) {
  const [validating, setValidating] = useState(false);
  const { name, schema, examples } = eventType;
  return (
    <section className="card" aria-label={`Event type ${name}`} data-event-type={name}>
      <div className="card-head">
        <h2 className="mono">{name}</h2>
        {eventType.deprecated ? <Badge tone="warn">deprecated</Badge> : null}
        <span className="chip chip-small" title={`Updated ${formatTime(eventType.updatedAt)}`}>
          v{eventType.version}
        </span>
        <span className="spacer" />
        <Link
          to={`/messages?eventType=${encodeURIComponent(name)}`}
          className="btn btn-ghost btn-small"
        >
          Messages
        </Link>
      </div>
      {eventType.description ? <p className="muted">{eventType.description}</p> : null}
      <p className="small muted">
        Updated {relativeTime(eventType.updatedAt)}.{' '}
        {schema === null
          ? 'No schema: any payload object is accepted.'
          : 'Payloads are checked against its schema when published.'}
      </p>
      {schema !== null ? (
        <details className="payload">
          <summary>Schema</summary>
          <pre aria-label={`Schema of ${name}`}>{JSON.stringify(schema, null, 2)}</pre>
        </details>
      ) : null}
      {examples.length > 0 ? (
        <details className="payload">
          <summary>
            {examples.length} example{examples.length === 1 ? '' : 's'}
          </summary>
          {examples.map((example, index) => (
            <pre key={index}>{JSON.stringify(example, null, 2)}</pre>
          ))}
        </details>
      ) : null}
      <Subscribers name={name} endpoints={endpoints} />
      <div className="actions">
        <button type="button" className="btn" onClick={() => setValidating(true)}>
          Validate a payload…
        </button>
      </div>
      {validating ? (
        <ValidateDialog eventType={eventType} onClose={() => setValidating(false)} />
      ) : null}
    </section>
  );
}

/** The endpoints a message of this type fans out to (unless it names its endpointIds). */
function Subscribers({ name, endpoints }: { name: string; endpoints: Loaded<EndpointView[]> }) {
  if (endpoints.data === undefined) {
    return endpoints.error ? null : <Spinner label="Loading subscriptions" />;
  }
  const subscriptions = subscribersOf(name, endpoints.data);
  return (
    <div className="subscribers">
      <h3>Subscribed endpoints</h3>
      {subscriptions.length === 0 ? (
        <p className="small muted">
          None: a message of this type is stored with no delivery, unless it names its{' '}
          <code>endpointIds</code>.
        </p>
      ) : (
        <ul aria-label={`Endpoints subscribed to ${name}`}>
          {subscriptions.map(({ endpoint, filters }) => (
            <li key={endpoint.id} data-endpoint-id={endpoint.id}>
              <span className="chip chip-small">{endpoint.channel}</span>
              <Link
                to={`/messages?eventType=${encodeURIComponent(name)}&endpointId=${encodeURIComponent(endpoint.id)}`}
                className="mono"
                title="This endpoint's messages of this type"
              >
                {endpointTarget(endpoint)}
              </Link>
              <span className="small muted">
                by{' '}
                {filters.map((filter) => (
                  <code key={filter} className="chip chip-small">
                    {filter}
                  </code>
                ))}
              </span>
              {endpoint.enabled ? null : <Badge tone="bad">disabled</Badge>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

type Outcome = { valid: true } | { valid: false; message: string; failures: SchemaFailure[] };

/** POST /v1/event-types/:name/validate: checks a payload against the schema, publishes nothing. */
function ValidateDialog({ eventType, onClose }: { eventType: EventTypeView; onClose: () => void }) {
  const api = useApi();
  const [text, setText] = useState(() => JSON.stringify(eventType.examples[0] ?? {}, null, 2));
  const [outcome, setOutcome] = useState<Outcome>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const validate = async () => {
    setOutcome(undefined);
    setError(undefined);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (caught) {
      setError(new Error(`Not JSON: ${(caught as Error).message}`));
      return;
    }
    setBusy(true);
    try {
      setOutcome(await api.validatePayload(eventType.name, payload));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={`Validate a payload of ${eventType.name}`} onClose={onClose}>
      <p className="muted">
        Checked against the schema as it is now (v{eventType.version}); nothing is published.
      </p>
      <label className="field">
        <span>Payload (JSON object)</span>
        <textarea
          rows={10}
          spellCheck={false}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setOutcome(undefined);
          }}
        />
      </label>
      <ErrorBanner error={error} />
      {outcome?.valid === true ? (
        <div className="alert alert-ok" role="status">
          Valid: this payload would be accepted.
        </div>
      ) : null}
      {outcome?.valid === false ? (
        <>
          <div className="alert alert-bad" role="status">
            Refused: {outcome.message}
          </div>
          <table className="table" aria-label="Schema failures">
            <thead>
              <tr>
                <th>Pointer</th>
                <th>Keyword</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              {outcome.failures.map((failure, index) => (
                <tr key={index}>
                  <td className="mono">{failure.pointer === '' ? '(root)' : failure.pointer}</td>
                  <td className="mono">{failure.keyword}</td>
                  <td>{failure.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <div className="actions actions-end">
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy}
          onClick={() => void validate()}
        >
          Validate
        </button>
      </div>
    </Modal>
  );
}
