import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once at boot; every bad variable is named with the reason. */
export function loadConfig<S extends z.ZodTypeAny>(
  schema: S,
  source: Record<string, string | undefined> = process.env,
): z.output<S> {
  const present = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present);
  if (result.success) return result.data as z.output<S>;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const value = present[name];
      const got = value === undefined ? '' : ` (got ${shown(name, value)})`;
      return `${name}: ${issue.message}${got}`;
    }),
  );
}

/** Variables whose values are credentials: a refusal names them without repeating the value. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD/i;

/**
 * A bad value as a boot error shows it: never a credential, never a URL's password (of any URL in
 * a comma-separated list such as AMQP_URL).
 */
function shown(name: string, value: string): string {
  if (SECRET_NAME.test(name) && !name.endsWith('_FILE')) {
    return `${value.length} characters, not shown`;
  }
  return `"${value.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@,]*):[^@/]*@/gi, '$1:***@')}"`;
}
