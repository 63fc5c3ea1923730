import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// js-yaml is already in node_modules (a dependency of the tooling) and ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { load } = require('js-yaml') as { load: (text: string) => unknown };

interface Service {
  image?: string;
  ports?: string[];
  expose?: string[];
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
}

/**
 * What docker-compose.yml exposes, read from the file itself (no Docker engine runs here; the
 * file was validated with `docker-compose config`). MongoDB without authentication and RabbitMQ
 * as guest/guest on every interface, and a default admin key, were what it used to ship.
 */
describe('docker-compose.yml', () => {
  const compose = load(readFileSync(join(__dirname, '../../../docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
  };
  const { mongodb, rabbitmq, api, notifier } = compose.services;

  it('publishes the API and AMQP only, on PUBLISH_ADDRESS (loopback unless set)', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => `${name} ${port}`),
    );
    expect(published.sort()).toEqual([
      'api ${PUBLISH_ADDRESS:-127.0.0.1}:3000:3000',
      'rabbitmq ${PUBLISH_ADDRESS:-127.0.0.1}:5672:5672',
    ]);
  });

  it('keeps MongoDB and the RabbitMQ management UI on the compose network', () => {
    expect(mongodb!.ports).toBeUndefined();
    expect(JSON.stringify(rabbitmq!.ports)).not.toContain('15672');
  });

  it('turns on MongoDB authentication, with the keyFile a replica set with auth needs', () => {
    expect(mongodb!.environment!.MONGO_INITDB_ROOT_USERNAME).toBeDefined();
    expect(mongodb!.environment!.MONGO_INITDB_ROOT_PASSWORD).toMatch(/^\$\{MONGODB_PASSWORD:\?/);
    const start = (mongodb!.entrypoint ?? mongodb!.command ?? []).join(' ');
    expect(start).toMatch(/--replSet rs0/);
    expect(start).toMatch(/--keyFile/);
    expect(api!.environment!.MONGODB_URI).toMatch(
      /^mongodb:\/\/\$\{MONGODB_USER:-notify\}:\$\{MONGODB_PASSWORD\}@mongodb:27017\/.*authSource=admin/,
    );
  });

  it('runs RabbitMQ with credentials that must be set, not guest', () => {
    const user = rabbitmq!.environment!.RABBITMQ_DEFAULT_USER!;
    expect(user).not.toMatch(/guest/);
    expect(rabbitmq!.environment!.RABBITMQ_DEFAULT_PASS).toMatch(/^\$\{RABBITMQ_PASSWORD:\?/);
    expect(api!.environment!.AMQP_URL).not.toMatch(/guest/);
    expect(api!.environment!.AMQP_URL).toContain('${RABBITMQ_PASSWORD}');
  });

  it('requires ADMIN_API_KEY and SECRETS_KEY, with no default', () => {
    expect(api!.environment!.ADMIN_API_KEY).toMatch(/^\$\{ADMIN_API_KEY:\?[^}]+\}$/);
    expect(api!.environment!.SECRETS_KEY).toMatch(/^\$\{SECRETS_KEY:\?[^}]+\}$/);
    expect(notifier!.environment).toEqual(api!.environment);
  });
});
