/**
 * The broker user a connection to `amqpUrls` authenticates as (all name the same one:
 * parseBrokerUrls): amqplib's default, guest, when the URLs name none. RabbitMQ refuses a publish
 * whose `user-id` property is not the connection's user, so this is the only user-id we can publish.
 */
export function brokerUserOf(amqpUrls: readonly string[]): string {
  return decodeURIComponent(new URL(amqpUrls[0]!).username) || 'guest';
}
