import type { DeliveryStatus, MessageStatus } from '@app/contracts';

const LABELS: Record<MessageStatus | DeliveryStatus, string> = {
  pending: 'pending',
  held: 'held (waits its turn)',
  delivered: 'delivered',
  succeeded: 'succeeded',
  failed: 'failed',
  no_endpoints: 'no endpoints',
  cancelled: 'cancelled',
};

const TONES: Record<MessageStatus | DeliveryStatus, string> = {
  pending: 'warn',
  held: 'muted',
  delivered: 'ok',
  succeeded: 'ok',
  failed: 'bad',
  no_endpoints: 'muted',
  cancelled: 'muted',
};

export function StatusBadge({ status }: { status: MessageStatus | DeliveryStatus }) {
  return (
    <span className={`badge badge-${TONES[status]}`} data-status={status}>
      {LABELS[status]}
    </span>
  );
}

export function Badge({
  tone,
  children,
}: {
  tone: 'ok' | 'bad' | 'warn' | 'muted' | 'info';
  children: string;
}) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
