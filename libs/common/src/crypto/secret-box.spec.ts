import crypto, { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox, SecretBoxError } from './secret-box';
import { resolveSecretsKey } from './secrets-key';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('seals a secret so the stored text does not contain it, and opens it again', () => {
    const sealed = box.seal(SECRET);
    expect(sealed).toMatch(/^enc:v1:[A-Za-z0-9+/]+=*$/);
    expect(sealed).not.toContain(SECRET.slice(6));
    expect(box.open(sealed)).toBe(SECRET);
  });

  it('seals the same secret to the same text (a rotation fences on it) and others differently', () => {
    expect(box.seal(SECRET)).toBe(box.seal(SECRET));
    expect(box.seal(SECRET)).not.toBe(box.seal(`${SECRET}x`));
  });

  it('refuses to open with another key', () => {
    const other = new SecretBox(randomBytes(32));
    expect(() => other.open(box.seal(SECRET))).toThrow(SecretBoxError);
    expect(() => other.open(box.seal(SECRET))).toThrow(/SECRETS_KEY is not the key/);
  });

  it('detects a sealed value that was altered', () => {
    const sealed = Buffer.from(box.seal(SECRET).slice(7), 'base64');
    sealed[sealed.length - 1]! ^= 1;
    expect(() => box.open(`enc:v1:${sealed.toString('base64')}`)).toThrow(SecretBoxError);
    expect(() => box.open('enc:v1:AAAA')).toThrow(/too short/);
  });

  it('decrypts a sealed text once and answers from what it kept afterwards', () => {
    const ofAnotherKey = new SecretBox(randomBytes(32)).seal(SECRET);
    const kept = new SecretBox(randomBytes(32));
    const decrypts = jest.spyOn(crypto, 'createDecipheriv');
    try {
      const sealed = kept.seal(SECRET);
      expect([kept.open(sealed), kept.open(sealed), kept.open(sealed)]).toEqual([
        SECRET,
        SECRET,
        SECRET,
      ]);
      expect(decrypts).toHaveBeenCalledTimes(1);
      // A text it cannot open is tried (and refused) every time: only what opened is kept.
      expect(() => kept.open(ofAnotherKey)).toThrow(SecretBoxError);
      expect(() => kept.open(ofAnotherKey)).toThrow(SecretBoxError);
      expect(decrypts).toHaveBeenCalledTimes(3);
    } finally {
      decrypts.mockRestore();
    }
  });

  it('passes a secret stored before encryption through unchanged', () => {
    expect(box.open(SECRET)).toBe(SECRET);
    expect(SecretBox.isSealed(SECRET)).toBe(false);
  });

  it('only takes a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('resolveSecretsKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses SECRETS_KEY when it is set', async () => {
    const key = randomBytes(32);
    const file = join(dir, 'never-written.key');
    await expect(
      resolveSecretsKey({ production: true, secretsKey: key, secretsKeyFile: file }),
    ).resolves.toEqual(key);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('refuses to run in production without SECRETS_KEY', async () => {
    await expect(
      resolveSecretsKey({
        production: true,
        secretsKey: undefined,
        secretsKeyFile: join(dir, 'k'),
      }),
    ).rejects.toThrow(/^SECRETS_KEY: is required when NODE_ENV=production/);
  });

  it('generates a development key once, readable only by its owner, and reuses it', async () => {
    const settings = {
      production: false,
      secretsKey: undefined,
      secretsKeyFile: join(dir, 'a/b.key'),
    };
    const first = await resolveSecretsKey(settings);
    expect(first).toHaveLength(32);
    expect((await stat(settings.secretsKeyFile)).mode & 0o777).toBe(0o600);
    expect(await resolveSecretsKey(settings)).toEqual(first);
    expect((await readFile(settings.secretsKeyFile, 'utf8')).trim()).toBe(first.toString('base64'));
  });

  it('gives processes starting together the same key', async () => {
    const settings = { production: false, secretsKey: undefined, secretsKeyFile: join(dir, 'k') };
    const keys = await Promise.all([1, 2, 3, 4].map(() => resolveSecretsKey(settings)));
    expect(new Set(keys.map((key) => key.toString('hex'))).size).toBe(1);
  });

  it('refuses a key file that does not hold a key rather than replacing it', async () => {
    const file = join(dir, 'bad.key');
    await writeFile(file, 'short\n');
    await expect(
      resolveSecretsKey({ production: false, secretsKey: undefined, secretsKeyFile: file }),
    ).rejects.toThrow(/does not hold a 32-byte key/);
  });
});
