import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Logger } from '@nestjs/common';

export interface SecretsKeySettings {
  production: boolean;
  secretsKey: Buffer | undefined;
  secretsKeyFile: string;
}

const KEY_BYTES = 32;

/**
 * The key webhook secrets are encrypted with. SECRETS_KEY when it is set. In production
 * (NODE_ENV=production) it must be: a generated key would be lost with the machine, and every
 * secret with it. Elsewhere the key is kept in SECRETS_KEY_FILE (default .data/secrets.key, mode
 * 0600), generated on first use with a loud warning, so that `npm start`, the API and notifiers
 * started from the same directory agree on it across restarts.
 */
export async function resolveSecretsKey(settings: SecretsKeySettings): Promise<Buffer> {
  if (settings.secretsKey !== undefined) return settings.secretsKey;
  if (settings.production) {
    throw new Error(
      'SECRETS_KEY: is required when NODE_ENV=production (32 random bytes in base64: openssl rand -base64 32). ' +
        'Keep it: webhook secrets stored under one key cannot be read with another.',
    );
  }
  const file = resolve(settings.secretsKeyFile);
  const logger = new Logger('SecretsKey');
  const existing = await readKeyFile(file);
  if (existing !== undefined) {
    logger.warn(`SECRETS_KEY is not set: using the development key in ${file}`);
    return existing;
  }
  await mkdir(dirname(file), { recursive: true });
  const key = randomBytes(KEY_BYTES);
  try {
    // `wx`: of two processes starting at once, one writes and the other reads what it wrote.
    await writeFile(file, `${key.toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await waitForKeyFile(file);
    logger.warn(`SECRETS_KEY is not set: using the development key in ${file}`);
    return written;
  }
  logger.warn(
    `SECRETS_KEY is not set: generated a development key in ${file}. Webhook secrets are ` +
      'encrypted with it; losing the file loses them. Set SECRETS_KEY in production.',
  );
  return key;
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (text.trim() === '') return undefined;
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `${file} does not hold a ${KEY_BYTES}-byte key in base64: restore it, or set SECRETS_KEY`,
    );
  }
  return key;
}

/** The other process created the file a moment ago and may not have written it yet. */
async function waitForKeyFile(file: string): Promise<Buffer> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const key = await readKeyFile(file);
    if (key !== undefined) return key;
    await new Promise((done) => setTimeout(done, 20));
  }
  throw new Error(`${file} stayed empty: remove it, or set SECRETS_KEY`);
}
