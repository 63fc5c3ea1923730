import { createHmac } from 'node:crypto';
import {
  decodeWebhookSecret,
  generateWebhookSecret,
  signatureHeader,
  signedWebhookHeaders,
  signWebhook,
  verifyWebhook,
  WEBHOOK_HEADERS,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
  WebhookSecretError,
  type VerifyWebhookInput,
} from './webhook-signature';

// The Standard Webhooks specification's published test vector (the reference libraries'
// tests use it). Matching it is what lets recipients verify us with any of those libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const SIGNED_AT = new Date(VECTOR.timestamp * 1000);
const OTHER_SECRET = 'whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQtMTIzNDU2';

function verifyInput(overrides: Partial<VerifyWebhookInput> = {}): VerifyWebhookInput {
  return {
    secrets: [VECTOR.secret],
    headers: {
      id: VECTOR.id,
      timestamp: String(VECTOR.timestamp),
      signature: VECTOR.signature,
    },
    body: VECTOR.body,
    now: SIGNED_AT,
    ...overrides,
  };
}

function withHeaders(headers: Partial<VerifyWebhookInput['headers']>): VerifyWebhookInput {
  const input = verifyInput();
  return { ...input, headers: { ...input.headers, ...headers } };
}

describe('signWebhook', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    expect(signWebhook(VECTOR)).toBe(VECTOR.signature);
  });

  it('signs the same bytes given as a Buffer', () => {
    expect(signWebhook({ ...VECTOR, body: Buffer.from(VECTOR.body) })).toBe(VECTOR.signature);
  });

  it('accepts a secret without its whsec_ prefix, as the reference libraries do', () => {
    const bare = VECTOR.secret.slice(WEBHOOK_SECRET_PREFIX.length);
    expect(signWebhook({ ...VECTOR, secret: bare })).toBe(VECTOR.signature);
  });

  it('is HMAC-SHA256 over "<id>.<timestamp>.<body>" keyed with the decoded secret', () => {
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    const mac = createHmac('sha256', key)
      .update(`${VECTOR.id}.${VECTOR.timestamp}.${VECTOR.body}`)
      .digest('base64');
    expect(signWebhook(VECTOR)).toBe(`v1,${mac}`);
  });

  it('signs non-ASCII bodies as UTF-8', () => {
    const body = '{"name":"Zoë 🚀 通知"}';
    const signed = signWebhook({ ...VECTOR, body });
    expect(signWebhook({ ...VECTOR, body: Buffer.from(body, 'utf8') })).toBe(signed);
  });

  it.each([
    ['the body', { body: '{"test": 2432232315}' }],
    ['the id', { id: 'msg_other' }],
    ['the timestamp', { timestamp: VECTOR.timestamp + 1 }],
    ['the secret', { secret: OTHER_SECRET }],
  ])('changes when %s changes', (_what, change) => {
    expect(signWebhook({ ...VECTOR, ...change })).not.toBe(VECTOR.signature);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses the timestamp %p',
    (timestamp) => {
      expect(() => signWebhook({ ...VECTOR, timestamp })).toThrow(RangeError);
    },
  );

  it('refuses a malformed secret', () => {
    expect(() => signWebhook({ ...VECTOR, secret: 'whsec_not base64!' })).toThrow(
      WebhookSecretError,
    );
  });
});

describe('decodeWebhookSecret', () => {
  it('decodes the base64 after whsec_', () => {
    expect(decodeWebhookSecret(VECTOR.secret)).toEqual(
      Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'),
    );
  });

  it.each([
    ['empty', ''],
    ['only the prefix', 'whsec_'],
    ['not base64', 'whsec_not base64!'],
    ['url-safe base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw-_'],
    ['badly padded', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwA'],
    ['shorter than 24 bytes', 'whsec_c2hvcnQ='],
  ])('refuses a secret that is %s', (_what, secret) => {
    expect(() => decodeWebhookSecret(secret)).toThrow(WebhookSecretError);
  });

  it('names the required length of a short secret', () => {
    expect(() => decodeWebhookSecret('whsec_c2hvcnQ=')).toThrow(
      'a webhook secret holds at least 24 bytes; this one holds 5',
    );
  });
});

describe('generateWebhookSecret', () => {
  it('is whsec_ and the base64 of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(decodeWebhookSecret(secret)).toHaveLength(32);
  });

  it('differs every time', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => generateWebhookSecret()));
    expect(secrets.size).toBe(100);
  });

  it('signs and verifies', () => {
    const secret = generateWebhookSecret();
    const signature = signatureHeader([secret], 'msg_1', VECTOR.timestamp, '{}');
    expect(
      verifyWebhook({
        secrets: [secret],
        headers: { id: 'msg_1', timestamp: String(VECTOR.timestamp), signature },
        body: '{}',
        now: SIGNED_AT,
      }),
    ).toBe(true);
  });
});

describe('signatureHeader', () => {
  it('is one signature for one secret', () => {
    expect(signatureHeader([VECTOR.secret], VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(
      VECTOR.signature,
    );
  });

  it('space-separates one signature per live secret, in order', () => {
    const header = signatureHeader(
      [OTHER_SECRET, VECTOR.secret],
      VECTOR.id,
      VECTOR.timestamp,
      VECTOR.body,
    );
    expect(header).toBe(`${signWebhook({ ...VECTOR, secret: OTHER_SECRET })} ${VECTOR.signature}`);
  });

  it('refuses to sign with no secret', () => {
    expect(() => signatureHeader([], VECTOR.id, VECTOR.timestamp, VECTOR.body)).toThrow(
      WebhookSecretError,
    );
  });
});

describe('verifyWebhook', () => {
  it('accepts the Standard Webhooks test vector', () => {
    expect(verifyWebhook(verifyInput())).toBe(true);
  });

  it('accepts a Buffer body', () => {
    expect(verifyWebhook(verifyInput({ body: Buffer.from(VECTOR.body) }))).toBe(true);
  });

  it('accepts a secret without its whsec_ prefix', () => {
    const bare = VECTOR.secret.slice(WEBHOOK_SECRET_PREFIX.length);
    expect(verifyWebhook(verifyInput({ secrets: [bare] }))).toBe(true);
  });

  it('refuses a tampered body', () => {
    expect(verifyWebhook(verifyInput({ body: '{"test": 2432232315}' }))).toBe(false);
    expect(verifyWebhook(verifyInput({ body: '{"test":2432232314}' }))).toBe(false);
    expect(verifyWebhook(verifyInput({ body: `${VECTOR.body} ` }))).toBe(false);
  });

  it('refuses a wrong secret', () => {
    expect(verifyWebhook(verifyInput({ secrets: [OTHER_SECRET] }))).toBe(false);
  });

  it('refuses another message id', () => {
    expect(verifyWebhook(withHeaders({ id: 'msg_other' }))).toBe(false);
  });

  it('refuses a timestamp changed after signing, even a fresh one', () => {
    const timestamp = String(VECTOR.timestamp + 1);
    expect(verifyWebhook(withHeaders({ timestamp }))).toBe(false);
  });

  it('accepts a timestamp up to the tolerance either side of now', () => {
    expect(WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS).toBe(300);
    const late = new Date(SIGNED_AT.getTime() + 300_000);
    const early = new Date(SIGNED_AT.getTime() - 300_000);
    expect(verifyWebhook(verifyInput({ now: late }))).toBe(true);
    expect(verifyWebhook(verifyInput({ now: early }))).toBe(true);
  });

  it('refuses a stale timestamp', () => {
    const now = new Date(SIGNED_AT.getTime() + 301_000);
    expect(verifyWebhook(verifyInput({ now }))).toBe(false);
  });

  it('refuses a timestamp from the future', () => {
    const now = new Date(SIGNED_AT.getTime() - 301_000);
    expect(verifyWebhook(verifyInput({ now }))).toBe(false);
  });

  it('takes another tolerance', () => {
    const now = new Date(SIGNED_AT.getTime() + 60_000);
    expect(verifyWebhook(verifyInput({ now, toleranceSeconds: 30 }))).toBe(false);
    expect(verifyWebhook(verifyInput({ now, toleranceSeconds: 60 }))).toBe(true);
  });

  it('accepts when only the second of two secrets matches (rotation)', () => {
    expect(verifyWebhook(verifyInput({ secrets: [OTHER_SECRET, VECTOR.secret] }))).toBe(true);
  });

  it('accepts when only the second of two signatures matches', () => {
    const signature = `${signWebhook({ ...VECTOR, secret: OTHER_SECRET })} ${VECTOR.signature}`;
    expect(verifyWebhook(withHeaders({ signature }))).toBe(true);
  });

  it('accepts a header that the sender signed with two secrets', () => {
    const signature = signatureHeader(
      [VECTOR.secret, OTHER_SECRET],
      VECTOR.id,
      VECTOR.timestamp,
      VECTOR.body,
    );
    expect(verifyWebhook(withHeaders({ signature }))).toBe(true);
    expect(
      verifyWebhook(
        verifyInput({ secrets: [OTHER_SECRET], headers: { ...verifyInput().headers, signature } }),
      ),
    ).toBe(true);
  });

  it('skips other signature versions and tolerates extra spaces', () => {
    const mac = VECTOR.signature.slice('v1,'.length);
    expect(verifyWebhook(withHeaders({ signature: `v2,${mac}` }))).toBe(false);
    expect(verifyWebhook(withHeaders({ signature: `v1a,${mac}` }))).toBe(false);
    expect(verifyWebhook(withHeaders({ signature: `v1a,xyz  ${VECTOR.signature}` }))).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['the version alone', 'v1,'],
    ['cut short', VECTOR.signature.slice(0, 8)],
    ['the base64 alone', VECTOR.signature.slice(3)],
    ['garbage', 'v1,dawfeoifkpqwoekfpqoekf'],
    ['longer than the real one', `${VECTOR.signature}AAAA`],
  ])('refuses a signature that is %s', (_what, signature) => {
    expect(verifyWebhook(withHeaders({ signature }))).toBe(false);
  });

  it.each(['id', 'timestamp', 'signature'] as const)('refuses a missing %s header', (name) => {
    expect(verifyWebhook(withHeaders({ [name]: undefined }))).toBe(false);
  });

  it.each(['hello', '-1614265330', '1614265330.0', ' 1614265330', '1e9', '9'.repeat(20)])(
    'refuses the timestamp %p',
    (timestamp) => {
      expect(verifyWebhook(withHeaders({ timestamp }))).toBe(false);
    },
  );

  it('refuses everything when it has no secret', () => {
    expect(verifyWebhook(verifyInput({ secrets: [] }))).toBe(false);
  });

  it('throws for a malformed secret instead of quietly refusing', () => {
    expect(() => verifyWebhook(verifyInput({ secrets: ['whsec_'] }))).toThrow(WebhookSecretError);
  });

  it('names the Standard Webhooks headers', () => {
    expect(WEBHOOK_HEADERS).toEqual({
      id: 'webhook-id',
      timestamp: 'webhook-timestamp',
      signature: 'webhook-signature',
    });
  });
});

describe('signedWebhookHeaders', () => {
  it('sends the body as JSON with the id, the timestamp and the signatures of every secret', () => {
    const headers = signedWebhookHeaders(
      [VECTOR.secret, OTHER_SECRET],
      VECTOR.id,
      VECTOR.timestamp,
      VECTOR.body,
    );
    expect(headers).toEqual({
      'content-type': 'application/json',
      'webhook-id': VECTOR.id,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': expect.any(String),
    });
    const signatures = headers['webhook-signature']!.split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures[0]).toBe(VECTOR.signature);
  });
});
