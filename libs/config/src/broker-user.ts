/**
 * The broker user a connection to `amqpUrl` authenticates as (the first URL's, when several are
 * listed): amqplib's default, guest, when the URL names none. RabbitMQ refuses a publish whose
 * `user-id` property is not the connection's user, so this is the only user-id we can publish.
 */
export function brokerUserOf(amqpUrl: string): string {
  const first = amqpUrl.split(',')[0]!.trim();
  return decodeURIComponent(new URL(first).username) || 'guest';
}
