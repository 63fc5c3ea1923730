import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Sealed values whose plaintext is kept, beyond which the oldest kept is dropped first. */
const MAX_OPENED = 10_000;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * Encrypts secrets kept at rest (webhook signing secrets) with AES-256-GCM under SECRETS_KEY.
 *
 * A sealed value is `enc:v1:` + base64(iv | tag | ciphertext). The IV is synthetic: an HMAC of
 * the plaintext under a second key derived from SECRETS_KEY (the SIV construction). Sealing is
 * therefore deterministic - the same secret gives the same sealed text, so a rotation can still be
 * fenced on the current secret with an equality filter - and an IV repeats only together with its
 * plaintext, which reveals nothing for secrets that are 32 random bytes each.
 *
 * A value without the prefix is taken to be a secret stored before encryption, and returned as it
 * is: such a database keeps working, and its secrets are sealed as they are rewritten.
 */
export class SecretBox {
  static readonly PREFIX = 'enc:v1:';
  private readonly encryptionKey: Buffer;
  private readonly ivKey: Buffer;
  private readonly opened = new Map<string, string>();

  constructor(key: Buffer) {
    if (key.length !== 32) throw new SecretBoxError('the secrets key must be 32 bytes');
    this.encryptionKey = derive(key, 'notify-platform secrets: aes-256-gcm key');
    this.ivKey = derive(key, 'notify-platform secrets: synthetic iv key');
  }

  static isSealed(value: string): boolean {
    return value.startsWith(SecretBox.PREFIX);
  }

  seal(plaintext: string): string {
    const iv = createHmac('sha256', this.ivKey).update(plaintext).digest().subarray(0, IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.encryptionKey, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
    return SecretBox.PREFIX + sealed.toString('base64');
  }

  /**
   * The plaintext; throws SecretBoxError when the value was sealed with another key or altered.
   * What was opened is kept by its sealed text (MAX_OPENED): intake reads an app's endpoints with
   * every batch, and opening their secrets each time was about 3 % of the notifier's busy time at
   * 200 messages a second (npm run bench -- --profile). A sealed text only ever opens to one
   * plaintext: it is authenticated, under this box's key.
   */
  open(value: string): string {
    if (!SecretBox.isSealed(value)) return value;
    let plaintext = this.opened.get(value);
    if (plaintext === undefined) {
      plaintext = this.decrypt(value);
      if (this.opened.size >= MAX_OPENED) this.opened.delete(this.opened.keys().next().value!);
      this.opened.set(value, plaintext);
    }
    return plaintext;
  }

  private decrypt(value: string): string {
    const sealed = Buffer.from(value.slice(SecretBox.PREFIX.length), 'base64');
    if (sealed.length < IV_BYTES + TAG_BYTES) {
      throw new SecretBoxError('a sealed secret is too short: it was altered');
    }
    const decipher = createDecipheriv(ALGORITHM, this.encryptionKey, sealed.subarray(0, IV_BYTES));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'a stored secret cannot be decrypted: SECRETS_KEY is not the key it was encrypted with (or the value was altered)',
      );
    }
  }
}

function derive(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32));
}
