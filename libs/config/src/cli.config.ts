import { z } from 'zod';
import { env } from './env';
import { ConfigError, loadConfig } from './load-config';

const credential = z.string().min(1).optional();

/** The `notify` CLI: where the API is and who asks. Flags win over the environment. */
export const cliConfigSchema = z
  .object({
    NOTIFY_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:3000'),
    NOTIFY_API_KEY: credential,
    NOTIFY_ADMIN_KEY: credential,
    NOTIFY_RECIPIENT_TOKEN: credential,
    NOTIFY_WEBHOOK_SECRET: credential,
  })
  .transform((vars) => ({
    url: vars.NOTIFY_URL,
    apiKey: vars.NOTIFY_API_KEY,
    adminKey: vars.NOTIFY_ADMIN_KEY,
    recipientToken: vars.NOTIFY_RECIPIENT_TOKEN,
    webhookSecret: vars.NOTIFY_WEBHOOK_SECRET,
  }));

export type CliConfig = z.output<typeof cliConfigSchema>;

export interface CliFlags {
  url?: string | undefined;
  apiKey?: string | undefined;
  adminKey?: string | undefined;
  token?: string | undefined;
  secret?: string | undefined;
}

/** Each variable and the flag that overrides it. */
const VARIABLES = {
  NOTIFY_URL: ['--url', 'url'],
  NOTIFY_API_KEY: ['--api-key', 'apiKey'],
  NOTIFY_ADMIN_KEY: ['--admin-key', 'adminKey'],
  NOTIFY_RECIPIENT_TOKEN: ['--token', 'token'],
  NOTIFY_WEBHOOK_SECRET: ['--secret', 'secret'],
} as const satisfies Record<string, readonly [string, keyof CliFlags]>;

type Variable = keyof typeof VARIABLES;
const NAMES = Object.keys(VARIABLES) as Variable[];

/** Flags over NOTIFY_* variables; a bad value names where it came from. */
export function loadCliConfig(
  flags: CliFlags,
  source: Record<string, string | undefined> = process.env,
): CliConfig {
  const fromFlags: Partial<Record<Variable, string>> = {};
  for (const name of NAMES) {
    const value = flags[VARIABLES[name][1]];
    if (value !== undefined) fromFlags[name] = value;
  }
  try {
    return loadConfig(cliConfigSchema, {
      ...Object.fromEntries(NAMES.map((name) => [name, source[name]])),
      ...fromFlags,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      error.problems.map((problem) => {
        const variable = NAMES.find((name) => problem.startsWith(`${name}:`));
        return variable !== undefined && variable in fromFlags
          ? `${VARIABLES[variable][0]}${problem.slice(variable.length)}`
          : problem;
      }),
    );
  }
}
