import { isIP } from 'node:net';
import { z } from 'zod';
import { parseBrokerUrls } from '@app/contracts';
import { DEFAULT_RETRY_SCHEDULE, parseDuration, parseDurationList } from '@app/retry-policy';
import { logLevel } from './log-level.config';
import { parseMongodbUri } from './mongodb-uri';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export function parseCidrList(value: string): Cidr[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [address = '', prefixText] = entry.split('/');
      const version = isIP(address);
      if (version === 0) throw new Error(`"${entry}" is not an IP address or CIDR`);
      const max = version === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
        throw new Error(`"${entry}" has a bad prefix length (0..${max})`);
      }
      return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' } satisfies Cidr;
    });
}

/** Wraps a throwing parser so its message becomes the variable's error. */
function parsed<T>(parse: (value: string) => T) {
  return z.string().transform((value, ctx) => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      return z.NEVER;
    }
  });
}

/**
 * A URL with one of these protocols. zod runs the refinement even after `.url()` failed, where
 * `new URL` would throw out of safeParse and hide which variable was wrong.
 */
function urlWith(protocols: readonly string[]) {
  return z
    .string()
    .url('is not a URL')
    .refine((value) => !URL.canParse(value) || protocols.includes(new URL(value).protocol), {
      message: `must start with ${protocols.join(' or ')}`,
    });
}

const number = { invalid_type_error: 'must be a whole number' };

export const env = {
  port: (fallback: number) => z.coerce.number(number).int().min(0).max(65535).default(fallback),
  optionalPort: () => z.coerce.number(number).int().min(0).max(65535).optional(),
  positiveInt: (fallback: number) => z.coerce.number(number).int().positive().default(fallback),
  duration: (fallback: string) => parsed(parseDuration).default(fallback),
  optionalUrl: (protocols: readonly string[]) => urlWith(protocols).optional(),
  url: (protocols: readonly string[], fallback: string) => urlWith(protocols).default(fallback),
  retrySchedule: () => parsed(parseDurationList).default(DEFAULT_RETRY_SCHEDULE),
  cidrList: () => parsed(parseCidrList).default(''),
  /** Any connection string the MongoDB driver accepts: a replica set's hosts, SRV, options. */
  mongodbUri: () => parsed(parseMongodbUri),
  /** One or several brokers of one cluster, comma separated, tried in order (libs/messaging). */
  brokerUrls: (fallback: string) => parsed(parseBrokerUrls).default(fallback),
};

/** What the API and the notifier both read: their dependencies, the schedule, the logs. */
export const dependencyEnv = {
  MONGODB_URI: env.mongodbUri().optional(),
  AMQP_URL: env.brokerUrls('amqp://guest:guest@127.0.0.1:5672'),
  RETRY_SCHEDULE: env.retrySchedule(),
  TARGET_ALLOWLIST: env.cidrList(),
  LOG_LEVEL: logLevel,
};
