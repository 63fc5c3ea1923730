import { isIP } from 'node:net';
import { z } from 'zod';

/** How many bytes SECRETS_KEY must decode to: an AES-256 key. */
export const SECRETS_KEY_BYTES = 32;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The key webhook secrets are encrypted with at rest: exactly 32 bytes, in base64. Buffer.from
 * would silently skip characters that are not base64 and hand back a shorter key, so the text is
 * checked first.
 */
const secretsKey = z
  .string()
  .transform((value, ctx) => {
    const text = value.trim();
    const key = BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
    if (key?.length === SECRETS_KEY_BYTES) return key;
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `must be ${SECRETS_KEY_BYTES} random bytes in base64 (make one with: openssl rand -base64 32)`,
    });
    return z.NEVER;
  })
  .optional();

const NAMED_PROXIES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Express's "trust proxy", for an API behind a load balancer: which proxies' X-Forwarded-For to
 * believe, so that each client is known by its own address (the failed-authentication limit
 * counts per address). A hop count ("1"), "true", or addresses, CIDRs and the names loopback,
 * linklocal, uniquelocal separated by commas.
 */
export const trustProxy = z
  .string()
  .transform((value, ctx): boolean | number | string[] => {
    const text = value.trim();
    if (text === 'true' || text === 'false') return text === 'true';
    if (/^\d+$/.test(text)) return Number(text);
    const entries = text.split(',').map((entry) => entry.trim());
    const bad = entries.find(
      (entry) => !NAMED_PROXIES.has(entry) && isIP(entry.split('/')[0] ?? '') === 0,
    );
    if (bad === undefined) return entries;
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `"${bad}" is not a hop count, true/false, an address, a CIDR or one of loopback, linklocal, uniquelocal`,
    });
    return z.NEVER;
  })
  .optional();

/** What both the API and the notifier need to read and write webhook secrets. */
export const securityEnv = {
  /** production refuses to start without SECRETS_KEY; anything else may fall back to a key file. */
  NODE_ENV: z.string().default('development'),
  SECRETS_KEY: secretsKey,
  /** Development only: where the generated key is kept when SECRETS_KEY is unset. */
  SECRETS_KEY_FILE: z.string().default('.data/secrets.key'),
};

export interface SecurityConfig {
  production: boolean;
  /** Undefined when SECRETS_KEY is unset (see resolveSecretsKey in @app/common). */
  secretsKey: Buffer | undefined;
  secretsKeyFile: string;
}

export function securityConfig(vars: {
  NODE_ENV: string;
  SECRETS_KEY?: Buffer | undefined;
  SECRETS_KEY_FILE: string;
}): SecurityConfig {
  return {
    production: vars.NODE_ENV === 'production',
    secretsKey: vars.SECRETS_KEY,
    secretsKeyFile: vars.SECRETS_KEY_FILE,
  };
}
