import type { AttemptView } from '@app/contracts';
import { formatDuration, formatTime, relativeTime } from '../lib/format';
import { Badge } from './status-badge';

/** One delivery's attempts, oldest first, as a vertical timeline. */
export function AttemptsTimeline({ attempts }: { attempts: AttemptView[] }) {
  if (attempts.length === 0) {
    return <p className="muted small">No attempt yet.</p>;
  }
  return (
    <ol className="timeline" aria-label="Attempts">
      {attempts.map((attempt, i) => {
        const previous = attempts[i - 1];
        const gap = previous
          ? new Date(attempt.startedAt).getTime() - new Date(previous.startedAt).getTime()
          : undefined;
        return (
          <li
            key={`${attempt.deliveryId}-${attempt.attempt}`}
            className={`timeline-item timeline-${attempt.outcome}`}
            data-outcome={attempt.outcome}
          >
            <span className="timeline-dot" aria-hidden="true" />
            <div className="timeline-head">
              <strong>Attempt {attempt.attempt}</strong>
              <Badge tone={attempt.outcome === 'succeeded' ? 'ok' : 'bad'}>{attempt.outcome}</Badge>
              {attempt.statusCode != null ? (
                <span className={`code ${attempt.statusCode < 300 ? 'code-ok' : 'code-bad'}`}>
                  HTTP {attempt.statusCode}
                </span>
              ) : null}
              <span className="muted">{formatDuration(attempt.durationMs)}</span>
              <span className="spacer" />
              <time
                className="muted small"
                dateTime={attempt.startedAt}
                title={formatTime(attempt.startedAt)}
              >
                {formatTime(attempt.startedAt)}
                {gap !== undefined
                  ? ` · ${formatDuration(gap)} after the previous`
                  : ` · ${relativeTime(attempt.startedAt)}`}
              </time>
            </div>
            {attempt.error && attempt.error !== `HTTP ${attempt.statusCode}` ? (
              <div className="timeline-error">{attempt.error}</div>
            ) : null}
            {attempt.responseBody ? (
              <details className="excerpt" open={attempt.responseBody.length <= 160}>
                <summary>
                  Response body{attempt.responseBody.length >= 1024 ? ' (first 1 KiB)' : ''}
                </summary>
                <pre>{attempt.responseBody}</pre>
              </details>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
