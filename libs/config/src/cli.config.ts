import { z } from 'zod';
import { env } from './env';
import { ConfigError, loadConfig } from './load-config';

/** The `notify` CLI: where the API is and who asks. Flags win over the environment. */
export const cliConfigSchema = z
  .object({
    NOTIFY_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:3000'),
    NOTIFY_API_KEY: z.string().min(1).optional(),
  })
  .transform((vars) => ({ url: vars.NOTIFY_URL, apiKey: vars.NOTIFY_API_KEY }));

export type CliConfig = z.output<typeof cliConfigSchema>;

export interface CliFlags {
  url?: string | undefined;
  apiKey?: string | undefined;
}

const FLAG_OF: Record<string, string> = { NOTIFY_URL: '--url', NOTIFY_API_KEY: '--api-key' };

/** `--url` / `--api-key` over NOTIFY_URL / NOTIFY_API_KEY; a bad value names where it came from. */
export function loadCliConfig(
  flags: CliFlags,
  source: Record<string, string | undefined> = process.env,
): CliConfig {
  const fromFlags: Record<string, string> = {};
  if (flags.url !== undefined) fromFlags.NOTIFY_URL = flags.url;
  if (flags.apiKey !== undefined) fromFlags.NOTIFY_API_KEY = flags.apiKey;
  try {
    return loadConfig(cliConfigSchema, {
      NOTIFY_URL: source.NOTIFY_URL,
      NOTIFY_API_KEY: source.NOTIFY_API_KEY,
      ...fromFlags,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      error.problems.map((problem) => {
        const variable = Object.keys(FLAG_OF).find((name) => problem.startsWith(`${name}:`));
        return variable !== undefined && variable in fromFlags
          ? `${FLAG_OF[variable]}${problem.slice(variable.length)}`
          : problem;
      }),
    );
  }
}
