import { useCallback, useState } from 'react';
import { mapLimited } from '../api/client';
import { useApi } from '../api/context';
import type { EndpointView, OrderingKeyView } from '@app/contracts';
import {
  ConfirmActions,
  CopyButton,
  Empty,
  ErrorBanner,
  Modal,
  Spinner,
  describeError,
} from '../components/feedback';
import { Badge } from '../components/status-badge';
import { useToast } from '../components/toasts';
import {
  endpointTarget,
  formatDuration,
  formatTime,
  fromLocalInput,
  relativeTime,
  toLocalInput,
} from '../lib/format';
import { Link } from '../lib/router';
import { useCursorList } from '../lib/use-cursor-list';
import { useLoad } from '../lib/use-load';

/** How many of an endpoint's latest messages the success rate is read from. */
const RATE_SAMPLE = 10;

export function EndpointsPage() {
  const api = useApi();
  const loadPage = useCallback((cursor?: string) => api.listEndpoints(cursor, 50), [api]);
  const list = useCursorList(loadPage);
  /** Endpoints as changed by an action here, until the next refresh. */
  const [changed, setChanged] = useState<ReadonlyMap<string, EndpointView>>(new Map());
  const endpoints = list.items.map((e) => changed.get(e.id) ?? e);

  const refresh = () => {
    setChanged(new Map());
    list.refresh();
  };
  const replace = (endpoint: EndpointView) =>
    setChanged((map) => new Map(map).set(endpoint.id, endpoint));

  return (
    <>
      <div className="page-head">
        <h1>Endpoints</h1>
        <span className="spacer" />
        {list.loading ? <Spinner /> : null}
        <button type="button" className="btn btn-ghost btn-small" onClick={refresh}>
          Refresh
        </button>
      </div>
      <ErrorBanner error={list.error} title="Could not list endpoints" />
      <ErrorBanner error={list.moreError} title="Could not list more endpoints" />
      {list.loaded && endpoints.length === 0 ? (
        <Empty>
          This app has no endpoint yet. Create one with <code>POST /v1/endpoints</code>.
        </Empty>
      ) : null}
      {endpoints.map((endpoint) => (
        <EndpointCard key={endpoint.id} endpoint={endpoint} onChanged={replace} />
      ))}
      {list.hasMore ? (
        <div className="pager">
          <button type="button" className="btn" onClick={() => void list.loadMore()}>
            More endpoints
          </button>
        </div>
      ) : null}
    </>
  );
}

function EndpointCard({
  endpoint,
  onChanged,
}: {
  endpoint: EndpointView;
  onChanged: (endpoint: EndpointView) => void;
}) {
  const api = useApi();
  const toast = useToast();
  const [dialog, setDialog] = useState<'recover' | 'rotate'>();
  const [busy, setBusy] = useState(false);

  const toggle = async () => {
    setBusy(true);
    try {
      const changed = await api.setEndpointEnabled(endpoint.id, !endpoint.enabled);
      toast(changed.enabled ? 'Endpoint enabled' : 'Endpoint disabled');
      onChanged(changed);
    } catch (error) {
      toast(describeError(error), 'bad');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      className="card endpoint"
      aria-label={`Endpoint ${endpointTarget(endpoint)}`}
      data-endpoint-id={endpoint.id}
    >
      <div className="card-head">
        <span className="chip">{endpoint.channel}</span>
        <h2 className="mono">{endpointTarget(endpoint)}</h2>
        {endpoint.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="bad">disabled</Badge>}
        <span className="spacer" />
        <Link
          to={`/messages?endpointId=${encodeURIComponent(endpoint.id)}`}
          className="btn btn-ghost btn-small"
        >
          Messages
        </Link>
      </div>
      {endpoint.description ? <p className="muted">{endpoint.description}</p> : null}
      {!endpoint.enabled ? (
        <div className="alert alert-bad small">
          Disabled{endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ' by hand'}.
          Deliveries to it fail at once until it is enabled again.
        </div>
      ) : null}
      <dl className="facts">
        <div>
          <dt>Success rate</dt>
          <dd>
            <SuccessRate endpointId={endpoint.id} />
          </dd>
        </div>
        <div>
          <dt>Consecutive failures</dt>
          <dd className={endpoint.consecutiveFailures > 0 ? 'text-bad' : undefined}>
            {endpoint.consecutiveFailures}
          </dd>
        </div>
        <div>
          <dt>Last success</dt>
          <dd title={formatTime(endpoint.lastSuccessAt)}>{relativeTime(endpoint.lastSuccessAt)}</dd>
        </div>
        <div>
          <dt>Last failure</dt>
          <dd title={formatTime(endpoint.lastFailureAt)}>{relativeTime(endpoint.lastFailureAt)}</dd>
        </div>
      </dl>
      <div className="endpoint-meta small muted">
        <span>
          Events:{' '}
          {endpoint.eventTypes.map((type) => (
            <span key={type} className="chip chip-small">
              {type}
            </span>
          ))}
        </span>
        <span>
          Retries:{' '}
          {endpoint.retrySchedule.length === 0
            ? 'none'
            : endpoint.retrySchedule.map(formatDuration).join(', ')}
        </span>
        <span>Timeout: {formatDuration(endpoint.timeoutMs)}</span>
        <span>
          Ordering:{' '}
          {!endpoint.ordered
            ? 'none'
            : endpoint.orderedBlockOnFailure
              ? 'per key; a failed delivery holds its key'
              : 'per key; a failed delivery lets the next go'}
        </span>
        <span className="mono">{endpoint.id}</span>
      </div>
      {endpoint.ordered ? <BlockedKeys endpoint={endpoint} /> : null}
      <div className="actions">
        <button type="button" className="btn" disabled={busy} onClick={() => void toggle()}>
          {endpoint.enabled ? 'Disable' : 'Enable'}
        </button>
        {endpoint.channel === 'webhook' ? (
          <button type="button" className="btn" onClick={() => setDialog('rotate')}>
            Rotate secret
          </button>
        ) : null}
        <button type="button" className="btn" onClick={() => setDialog('recover')}>
          Recover failed…
        </button>
      </div>
      {dialog === 'recover' ? (
        <RecoverDialog endpoint={endpoint} onClose={() => setDialog(undefined)} />
      ) : null}
      {dialog === 'rotate' ? (
        <RotateSecretDialog endpoint={endpoint} onClose={() => setDialog(undefined)} />
      ) : null}
    </section>
  );
}

/**
 * The keys of an ordered endpoint that a failed delivery holds (orderedBlockOnFailure): nothing
 * more of such a key is delivered here until its message is redelivered or the key is skipped.
 */
function BlockedKeys({ endpoint }: { endpoint: EndpointView }) {
  const api = useApi();
  const loadPage = useCallback(
    (cursor?: string) => api.listOrderingKeys(endpoint.id, cursor),
    [api, endpoint.id],
  );
  const list = useCursorList(loadPage);
  const [skipping, setSkipping] = useState<BlockedKey>();
  const blocked = list.items.flatMap(({ key, lastSequence, blocked: block }) =>
    block === null ? [] : [{ key, lastSequence, block }],
  );

  return (
    <div className="blocked-keys">
      <div className="card-head">
        <h3>Blocked ordering keys</h3>
        {list.loading ? <Spinner label="Loading blocked keys" /> : null}
        <span className="spacer" />
        <button type="button" className="btn btn-ghost btn-small" onClick={list.refresh}>
          Refresh keys
        </button>
      </div>
      <ErrorBanner error={list.error} title="Could not list blocked keys" />
      <ErrorBanner error={list.moreError} title="Could not list more blocked keys" />
      {list.loaded && blocked.length === 0 ? (
        <p className="small muted">No key is held: every key proceeds.</p>
      ) : null}
      {blocked.length > 0 ? (
        <table
          className="table"
          aria-label={`Blocked ordering keys of ${endpointTarget(endpoint)}`}
        >
          <thead>
            <tr>
              <th>Key</th>
              <th>Held by</th>
              <th title="Messages of the key numbered after it">Waiting</th>
              <th>Since</th>
              <th>Why</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {blocked.map(({ key, lastSequence, block }) => (
              <tr key={key} data-ordering-key={key}>
                <td className="mono">{key}</td>
                <td>
                  sequence {block.sequence},{' '}
                  <Link to={`/messages/${encodeURIComponent(block.messageId)}`} className="mono">
                    {block.messageId}
                  </Link>
                </td>
                <td>{lastSequence - block.sequence}</td>
                <td title={formatTime(block.since)}>{relativeTime(block.since)}</td>
                <td className="small">{block.reason}</td>
                <td>
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => setSkipping({ key, block })}
                  >
                    Skip…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {list.hasMore ? (
        <button type="button" className="btn btn-small" onClick={() => void list.loadMore()}>
          More blocked keys
        </button>
      ) : null}
      {skipping ? (
        <SkipKeyDialog
          endpoint={endpoint}
          orderingKey={skipping}
          onClose={() => setSkipping(undefined)}
          onSkipped={list.refresh}
        />
      ) : null}
    </div>
  );
}

type BlockedKey = { key: string; block: NonNullable<OrderingKeyView['blocked']> };

function SkipKeyDialog({
  endpoint,
  orderingKey: { key, block },
  onClose,
  onSkipped,
}: {
  endpoint: EndpointView;
  orderingKey: BlockedKey;
  onClose: () => void;
  onSkipped: () => void;
}) {
  const api = useApi();
  const toast = useToast();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const skip = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.skipOrderingKey(endpoint.id, key);
      toast(`Key ${key} released: its next message goes on`);
      onSkipped();
      onClose();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <Modal title="Skip a blocked key" onClose={onClose}>
      <p>
        Release the key <code>{key}</code> at{' '}
        <span className="mono">{endpointTarget(endpoint)}</span>?
      </p>
      <p className="muted">
        The failed delivery of sequence {block.sequence} stays failed and the key&apos;s next
        messages are delivered now, so the receiver sees a gap in <code>webhook-sequence</code>. To
        deliver the failed message first instead, redeliver it.
      </p>
      <ConfirmActions
        error={error}
        busy={busy}
        label="Skip key"
        onCancel={onClose}
        onConfirm={() => void skip()}
      />
    </Modal>
  );
}

/**
 * Share of succeeded attempts among this endpoint's attempts for its latest messages. Derived in
 * the browser (the API keeps no per-endpoint counts): its last RATE_SAMPLE messages' attempts.
 */
function SuccessRate({ endpointId }: { endpointId: string }) {
  const api = useApi();
  const load = useCallback(async () => {
    const { data } = await api.listMessages({ endpointId }, undefined, RATE_SAMPLE);
    const attempts = (await mapLimited(data, 3, (m) => api.listAttempts(m.id)))
      .flat()
      .filter((a) => a.endpointId === endpointId);
    return {
      succeeded: attempts.filter((a) => a.outcome === 'succeeded').length,
      total: attempts.length,
    };
  }, [api, endpointId]);
  const rate = useLoad(load);
  if (rate.error) return <span className="muted">unknown</span>;
  if (!rate.data) return <Spinner />;
  const { succeeded, total } = rate.data;
  if (total === 0) return <span className="muted">no attempts yet</span>;
  const percent = Math.round((succeeded / total) * 100);
  return (
    <span className="rate" title={`Attempts for this endpoint's last ${RATE_SAMPLE} messages`}>
      <span className={percent >= 95 ? 'text-ok' : percent >= 50 ? 'text-warn' : 'text-bad'}>
        {percent}%
      </span>
      <span className="muted small">
        {' '}
        {succeeded}/{total} recent attempts
      </span>
      <span className="meter" aria-hidden="true">
        <span className="meter-fill" style={{ width: `${percent}%` }} />
      </span>
    </span>
  );
}

function RecoverDialog({ endpoint, onClose }: { endpoint: EndpointView; onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const [since, setSince] = useState(() => toLocalInput(new Date(Date.now() - 24 * 3_600_000)));
  const [until, setUntil] = useState('');
  const [preview, setPreview] = useState<number>();
  const [done, setDone] = useState<number>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const windowOf = () => {
    const from = fromLocalInput(since);
    if (from === undefined) throw new Error('Choose the start of the window.');
    return { since: from, until: fromLocalInput(until) };
  };
  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const { count } = await api.recover(endpoint.id, { ...windowOf(), dryRun });
      if (dryRun) setPreview(count);
      else {
        setDone(count);
        toast(`${count} deliver${count === 1 ? 'y' : 'ies'} scheduled again`);
      }
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const edit = (set: (value: string) => void) => (value: string) => {
    set(value);
    setPreview(undefined);
    setDone(undefined);
  };

  return (
    <Modal title="Recover failed deliveries" onClose={onClose}>
      <p className="muted">
        Every delivery to <span className="mono">{endpointTarget(endpoint)}</span> that ended{' '}
        <strong>failed</strong> in the window is attempted again now, on a fresh schedule.
      </p>
      {!endpoint.enabled ? (
        <div className="alert alert-warn small">
          This endpoint is disabled: enable it first, or they fail again at once.
        </div>
      ) : null}
      <div className="row">
        <label className="field">
          <span>Failed since</span>
          <input
            type="datetime-local"
            value={since}
            onChange={(e) => edit(setSince)(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Until (optional)</span>
          <input
            type="datetime-local"
            value={until}
            onChange={(e) => edit(setUntil)(e.target.value)}
          />
        </label>
      </div>
      <ErrorBanner error={error} />
      {done !== undefined ? (
        <div className="alert alert-ok" role="status">
          Scheduled {done} deliver{done === 1 ? 'y' : 'ies'} again.
        </div>
      ) : preview !== undefined ? (
        <div className="alert alert-info" role="status">
          {preview === 0
            ? 'No failed delivery in this window.'
            : `${preview} failed deliver${preview === 1 ? 'y' : 'ies'} would be scheduled again.`}
        </div>
      ) : null}
      <div className="actions actions-end">
        <button type="button" className="btn" disabled={busy} onClick={() => void run(true)}>
          Preview count
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy || preview === undefined || preview === 0 || done !== undefined}
          onClick={() => void run(false)}
        >
          {preview ? `Recover ${preview}` : 'Recover'}
        </button>
      </div>
    </Modal>
  );
}

function RotateSecretDialog({
  endpoint,
  onClose,
}: {
  endpoint: EndpointView;
  onClose: () => void;
}) {
  const api = useApi();
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const rotate = async () => {
    setBusy(true);
    try {
      setSecret((await api.rotateSecret(endpoint.id)).secret);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Rotate signing secret" onClose={onClose}>
      {secret ? (
        <>
          <p>
            The new secret, shown only now. Give it to the receiver of {endpointTarget(endpoint)}:
          </p>
          <div className="secret">
            <code>{secret}</code>
            <CopyButton value={secret} />
          </div>
          <p className="muted small">
            The previous secret keeps signing beside this one for 24 hours, so the receiver can
            switch without losing a message.
          </p>
          <div className="actions actions-end">
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      ) : (
        <>
          <p className="muted">
            A new secret starts signing now; the previous one keeps signing beside it (two
            signatures per request) for 24 hours.
          </p>
          <ConfirmActions
            error={error}
            busy={busy}
            label="Rotate secret"
            onCancel={onClose}
            onConfirm={() => void rotate()}
          />
        </>
      )}
    </Modal>
  );
}
