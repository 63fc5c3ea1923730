import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `v1,<base64 HMAC-SHA256>` over
 * `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64-decoded secret after `whsec_`.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const WEBHOOK_SIGNATURE_VERSION = 'v1';
export const WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 300;
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const SECRET_BYTES = 32;
// The specification asks for at least 24 random bytes; a shorter key is refused, not used.
const MIN_SECRET_BYTES = 24;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TIMESTAMP_PATTERN = /^\d{1,15}$/;
const SIGNATURE_PREFIX = `${WEBHOOK_SIGNATURE_VERSION},`;

export interface SignWebhookInput {
  secret: string;
  id: string;
  /** Unix seconds. */
  timestamp: number;
  /** The exact bytes sent: re-serialising JSON changes them and breaks the signature. */
  body: string | Uint8Array;
}

export interface VerifyWebhookInput {
  /** Every secret the recipient accepts, e.g. the new and the old one during a rotation. */
  secrets: readonly string[];
  headers: {
    id: string | undefined;
    timestamp: string | undefined;
    signature: string | undefined;
  };
  body: string | Uint8Array;
  now: Date;
  toleranceSeconds?: number;
}

export class WebhookSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSecretError';
  }
}

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

export function signWebhook(input: SignWebhookInput): string {
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) {
    throw new RangeError(`timestamp must be whole unix seconds; got ${input.timestamp}`);
  }
  const key = decodeWebhookSecret(input.secret);
  return SIGNATURE_PREFIX + hmac(key, input.id, String(input.timestamp), input.body);
}

/** The `webhook-signature` value: one signature per live secret, space-separated. */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): string {
  if (secrets.length === 0) throw new WebhookSecretError('at least one secret is needed to sign');
  return secrets.map((secret) => signWebhook({ secret, id, timestamp, body })).join(' ');
}

/**
 * The headers that make a body a signed Standard Webhooks request: what every attempt sends, and
 * what `notify listen` sends when it forwards an inbox item to a local receiver.
 */
export function signedWebhookHeaders(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: signatureHeader(secrets, id, timestamp, body),
  };
}

/**
 * True when the timestamp is within the tolerance of `now` and any `v1` signature in the header
 * was made with any of the secrets. Signatures of other versions (`v1a`) are skipped.
 * Throws WebhookSecretError for a malformed secret: that is a setup mistake, not a forgery.
 */
export function verifyWebhook(input: VerifyWebhookInput): boolean {
  const { id, timestamp, signature } = input.headers;
  const keys = input.secrets.map(decodeWebhookSecret);
  if (!id || !timestamp || !signature || keys.length === 0) return false;
  const tolerance = input.toleranceSeconds ?? WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS;
  if (!isFresh(timestamp, input.now, tolerance)) return false;
  const offered = offeredSignatures(signature);
  return keys.some((key) => {
    const expected = Buffer.from(hmac(key, id, timestamp, input.body));
    return offered.some((candidate) => constantTimeEqual(expected, candidate));
  });
}

/** The HMAC key inside a secret; the `whsec_` prefix is optional, as in the reference libraries. */
export function decodeWebhookSecret(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? secret.slice(WEBHOOK_SECRET_PREFIX.length)
    : secret;
  // Buffer.from skips characters that are not base64, which would quietly shorten the key.
  if (!BASE64_PATTERN.test(encoded)) {
    throw new WebhookSecretError('a webhook secret is "whsec_" followed by base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES) {
    throw new WebhookSecretError(
      `a webhook secret holds at least ${MIN_SECRET_BYTES} bytes; this one holds ${key.length}`,
    );
  }
  return key;
}

function hmac(key: Buffer, id: string, timestamp: string, body: string | Uint8Array): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

function isFresh(timestamp: string, now: Date, toleranceSeconds: number): boolean {
  if (!TIMESTAMP_PATTERN.test(timestamp)) return false;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return Math.abs(nowSeconds - Number(timestamp)) <= toleranceSeconds;
}

function offeredSignatures(header: string): Buffer[] {
  return header
    .split(' ')
    .filter((entry) => entry.startsWith(SIGNATURE_PREFIX))
    .map((entry) => Buffer.from(entry.slice(SIGNATURE_PREFIX.length)));
}

// timingSafeEqual throws on unequal lengths; a signature's length is no secret.
function constantTimeEqual(expected: Buffer, candidate: Buffer): boolean {
  return expected.length === candidate.length && timingSafeEqual(expected, candidate);
}
