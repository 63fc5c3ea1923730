/** AMQP names and headers from CONTRACT.md "AMQP intake"; the queue names not fixed there are ours. */
export const EVENTS_EXCHANGE = 'notify.events';
export const DEAD_LETTER_QUEUE = 'notify.events.dead';
/**
 * The notifier's intake queue: single active consumer, so one notifier at a time takes messages
 * in the broker's order (ADR 0013).
 */
export const INTAKE_QUEUE = 'notify.intake.ordered';
/**
 * The intake queue of versions before ordered delivery (declared without single active consumer,
 * which a queue's arguments cannot be changed to): unbound, drained and deleted by LegacyIntake.
 */
export const LEGACY_INTAKE_QUEUE = 'notify.intake';

export const HEADER_APP_ID = 'x-app-id';
export const HEADER_ERROR = 'x-error';
/** Set by the HTTP API: the message id it already answered with, so the notifier stores that id. */
export const HEADER_MESSAGE_ID = 'x-message-id';
/**
 * Set by the HTTP API on a message it accepted without checking it against the event catalog
 * (MongoDB could not be read): intake checks it when it stores it.
 */
export const HEADER_CATALOG_UNCHECKED = 'x-catalog-unchecked';
/** On a dead-letter copy cut short (a body over the intake size limit): the body's full size. */
export const HEADER_ORIGINAL_SIZE = 'x-original-size';
