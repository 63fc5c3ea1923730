import { DEAD_LETTER_QUEUE, INTAKE_QUEUE, LEGACY_INTAKE_QUEUE } from '@app/contracts';

/**
 * The RabbitMQ policies the platform expects (docs/operations.md "Broker policies"). Policies, not
 * queue arguments: they apply to queues that already exist, where redeclaring a queue with new
 * x-arguments fails (406 PRECONDITION_FAILED) and would stop an upgraded notifier from consuming.
 * A client cannot set a policy over AMQP, so an operator applies them with `rabbitmqctl set_policy`
 * (the commands below), on install and again on each upgrade that changes them.
 */
export interface BrokerPolicy {
  name: string;
  /** A regular expression on queue names. */
  pattern: string;
  definition: Record<string, string | number>;
}

export interface BrokerPolicyLimits {
  /** Messages notify.events.dead holds before it refuses more. */
  deadLetterMaxLength: number;
  /** Bytes of bodies notify.events.dead holds before it refuses more. */
  deadLetterMaxBytes: number;
  /** Deliveries of one intake message (returned by crashed consumers) before it is dead-lettered. */
  intakeDeliveryLimit: number;
}

export const DEFAULT_BROKER_POLICY_LIMITS: BrokerPolicyLimits = {
  deadLetterMaxLength: 100_000,
  deadLetterMaxBytes: 1024 * 1024 * 1024,
  intakeDeliveryLimit: 20,
};

const exactly = (...queues: string[]) =>
  queues.length === 1
    ? `^${queues[0]!.replaceAll('.', '\\.')}$`
    : `^(${queues.map((queue) => queue.replaceAll('.', '\\.')).join('|')})$`;

export function brokerPolicies(limits = DEFAULT_BROKER_POLICY_LIMITS): BrokerPolicy[] {
  return [
    {
      // A bound, so refused messages cannot fill the broker's disk; beyond it the broker nacks
      // the notifier's copy and the notifier records it in MongoDB (refused_dead_letters).
      name: 'notify-dead-letters',
      pattern: exactly(DEAD_LETTER_QUEUE),
      definition: {
        'max-length': limits.deadLetterMaxLength,
        'max-length-bytes': limits.deadLetterMaxBytes,
        overflow: 'reject-publish',
      },
    },
    {
      // A message that keeps killing its consumers ends in notify.events.dead (with x-death)
      // instead of looping, or being dropped by RabbitMQ 4's default limit. At-least-once: the
      // quorum queue keeps it until notify.events.dead confirms it, so a full dead-letter queue
      // holds it back instead of losing it (that strategy needs overflow reject-publish here).
      name: 'notify-intake',
      // The intake queue, and the one of earlier versions while it is drained (ADR 0013).
      pattern: exactly(INTAKE_QUEUE, LEGACY_INTAKE_QUEUE),
      definition: {
        'delivery-limit': limits.intakeDeliveryLimit,
        'dead-letter-exchange': '',
        'dead-letter-routing-key': DEAD_LETTER_QUEUE,
        'dead-letter-strategy': 'at-least-once',
        overflow: 'reject-publish',
      },
    },
  ];
}

/** `rabbitmqctl` arguments that set one policy in a vhost. */
export function setPolicyArgs(policy: BrokerPolicy, vhost = '/'): string[] {
  return [
    'set_policy',
    '-p',
    vhost,
    '--apply-to',
    'queues',
    policy.name,
    policy.pattern,
    JSON.stringify(policy.definition),
  ];
}
