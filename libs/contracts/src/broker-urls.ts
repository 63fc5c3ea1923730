const PROTOCOLS = ['amqp:', 'amqps:'];

/**
 * `AMQP_URL` (and the SDK publisher's `url`): one or several full `amqp://` or `amqps://` URLs
 * separated by commas (CONTRACT.md, second round), the nodes of one RabbitMQ cluster. A comma in a
 * password is written `%2C`. Every entry must name the same user and vhost: a reconnect to another
 * node must not change who publishes (the API's `user-id`) nor where (the topology's vhost).
 * Throws an Error saying which entry is wrong, without repeating it (it may hold a password).
 */
export function parseBrokerUrls(list: string | readonly string[]): string[] {
  const entries = (typeof list === 'string' ? list.split(',') : list).map((entry) => entry.trim());
  const where = (index: number) => (entries.length > 1 ? `entry ${index + 1}: ` : '');
  const urls = entries.map((entry, index) => {
    if (entry === '') throw new Error(`${where(index)}is empty`);
    if (!URL.canParse(entry)) throw new Error(`${where(index)}is not a URL`);
    const url = new URL(entry);
    if (!PROTOCOLS.includes(url.protocol)) {
      throw new Error(`${where(index)}must start with ${PROTOCOLS.join(' or ')}`);
    }
    return url;
  });
  const [first] = urls;
  if (first === undefined) throw new Error('is empty');
  urls.forEach((url, index) => {
    if (userOf(url) !== userOf(first)) {
      throw new Error(`${where(index)}names another user than entry 1 (one user for all brokers)`);
    }
    if (vhostOf(url) !== vhostOf(first)) {
      throw new Error(
        `${where(index)}names another vhost than entry 1 (one vhost for all brokers)`,
      );
    }
  });
  return entries;
}

/** amqplib's defaults: user guest, vhost `/`. */
const userOf = (url: URL) => decodeURIComponent(url.username) || 'guest';
const vhostOf = (url: URL) => (url.pathname === '' ? '/' : decodeURIComponent(url.pathname));

/**
 * The order to try brokers in: from the first on the first connect (`lost` undefined); after the
 * connection to entry `lost` dropped, from the one after it, wrapping round, so the node that just
 * failed is tried last and every client does not queue up on a broker that is going down.
 */
export function brokersToTry(urls: readonly string[], lost?: number): number[] {
  const start = lost === undefined ? 0 : (lost + 1) % urls.length;
  return urls.map((_, offset) => (start + offset) % urls.length);
}
