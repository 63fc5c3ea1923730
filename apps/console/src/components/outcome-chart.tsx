import { formatClock, formatDuration } from '../lib/format';
import type { OutcomeSeries } from '../lib/buckets';

const WIDTH = 960;
const HEIGHT = 190;
const PAD = { top: 10, right: 8, bottom: 24, left: 34 };

/** The smallest 1/2/5 x 10^n at or above `value`. */
function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * magnitude >= value) return factor * magnitude;
  }
  return 10 * magnitude;
}

/** Stacked bars: attempts that succeeded (bottom) and failed (top) per time bucket. */
export function OutcomeChart({ series }: { series: OutcomeSeries }) {
  const { buckets, stepMs } = series;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const top = niceCeiling(Math.max(1, ...buckets.map((b) => b.succeeded + b.failed)));
  const slot = plotWidth / Math.max(buckets.length, 1);
  const barWidth = Math.max(2, Math.min(slot * 0.72, 48));
  const y = (count: number) => PAD.top + plotHeight - (count / top) * plotHeight;
  const first = buckets[0]?.start ?? 0;
  const last = buckets.at(-1)?.start ?? 0;
  const withDate =
    last + stepMs - first > 86_400_000 || new Date(first).getDate() !== new Date(last).getDate();
  const labelled = new Set([0, Math.floor((buckets.length - 1) / 2), buckets.length - 1]);

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`${series.succeeded} attempts succeeded and ${series.failed} failed, in buckets of ${formatDuration(stepMs)}`}
      >
        {[0, top / 2, top].map((tick) => (
          <g key={tick} className="chart-grid">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text x={PAD.left - 6} y={y(tick)} dy="0.32em" textAnchor="end">
              {Number.isInteger(tick) ? tick : ''}
            </text>
          </g>
        ))}
        {buckets.map((bucket, i) => {
          const x = PAD.left + i * slot + (slot - barWidth) / 2;
          const total = bucket.succeeded + bucket.failed;
          return (
            <g key={bucket.start}>
              <title>
                {`${formatClock(bucket.start, withDate)} (${formatDuration(stepMs)}): ${bucket.succeeded} succeeded, ${bucket.failed} failed`}
              </title>
              <rect
                className="chart-hit"
                x={PAD.left + i * slot}
                y={PAD.top}
                width={slot}
                height={plotHeight}
              />
              {bucket.succeeded > 0 ? (
                <rect
                  className="chart-ok"
                  x={x}
                  y={y(bucket.succeeded)}
                  width={barWidth}
                  height={y(0) - y(bucket.succeeded)}
                  rx={2}
                />
              ) : null}
              {bucket.failed > 0 ? (
                <rect
                  className="chart-bad"
                  x={x}
                  y={y(total)}
                  width={barWidth}
                  height={y(bucket.succeeded) - y(total)}
                  rx={2}
                />
              ) : null}
              {labelled.has(i) ? (
                <text
                  className="chart-axis"
                  x={PAD.left + i * slot + slot / 2}
                  y={HEIGHT - 6}
                  textAnchor={
                    i === 0 && buckets.length > 1
                      ? 'start'
                      : i === buckets.length - 1 && buckets.length > 1
                        ? 'end'
                        : 'middle'
                  }
                >
                  {formatClock(bucket.start, withDate)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
