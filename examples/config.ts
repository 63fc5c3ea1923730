import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { env, loadConfig } from '@app/config';

/**
 * The examples' configuration: what `npm run example:setup` saved (the app, its endpoint, the
 * secret and the recipient token), overridden by environment variables. The only place the
 * examples read process.env.
 */
export const EXAMPLE_STATE_FILE = '.data/examples/example.json';

const stateSchema = z
  .object({
    notifyUrl: z.string(),
    appId: z.string(),
    apiKey: z.string(),
    endpointId: z.string(),
    secret: z.string(),
    recipientToken: z.string(),
  })
  .partial();

export type ExampleState = Required<z.infer<typeof stateSchema>>;

function savedState(): z.infer<typeof stateSchema> {
  try {
    return stateSchema.parse(JSON.parse(readFileSync(EXAMPLE_STATE_FILE, 'utf8')));
  } catch {
    return {};
  }
}

const required = (what: string) =>
  z.string({ required_error: `is required (${what}; or run npm run example:setup first)` });

export function loadSetupConfig() {
  return loadConfig(
    z.object({
      NOTIFY_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:3000'),
      ADMIN_API_KEY: required('the platform admin key'),
      RECEIVER_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:4200/webhooks'),
    }),
  );
}

export function loadShopConfig() {
  const state = savedState();
  return loadConfig(
    z
      .object({
        AMQP_URL: env.brokerUrls('amqp://guest:guest@127.0.0.1:5672'),
        NOTIFY_APP_ID: required("the shop's app id on the platform"),
        SHOP_MONGODB_URI: env.mongodbUri().default('mongodb://127.0.0.1:27027/shop?replicaSet=rs0'),
        SHOP_PORT: env.port(4100),
        SHOP_DEMO_INTERVAL: env.duration('5s'),
      })
      .transform((vars) => ({
        amqpUrls: vars.AMQP_URL,
        appId: vars.NOTIFY_APP_ID,
        mongodbUri: vars.SHOP_MONGODB_URI,
        port: vars.SHOP_PORT,
        demoIntervalMs: vars.SHOP_DEMO_INTERVAL,
      })),
    { NOTIFY_APP_ID: state.appId, ...process.env },
  );
}

export function loadReceiverConfig() {
  const state = savedState();
  return loadConfig(
    z
      .object({
        NOTIFY_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:3000'),
        WEBHOOK_SECRET: required("the endpoint's signing secret"),
        RECIPIENT_TOKEN: required("the endpoint's recipient token"),
        RECEIVER_PORT: env.port(4200),
        RECEIVER_CURSOR_FILE: z.string().default('.data/examples/receiver-cursor'),
      })
      .transform((vars) => ({
        notifyUrl: vars.NOTIFY_URL,
        secret: vars.WEBHOOK_SECRET,
        recipientToken: vars.RECIPIENT_TOKEN,
        port: vars.RECEIVER_PORT,
        cursorFile: vars.RECEIVER_CURSOR_FILE,
      })),
    {
      NOTIFY_URL: state.notifyUrl,
      WEBHOOK_SECRET: state.secret,
      RECIPIENT_TOKEN: state.recipientToken,
      ...process.env,
    },
  );
}
