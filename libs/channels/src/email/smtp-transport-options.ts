import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { parseConnectionUrl } from 'nodemailer/lib/shared';

const TRUE_FLAGS = new Set(['', 'true', '1', 'yes']);

/**
 * Pooled-transport options from SMTP_URL. `smtps:` or `?secure` means TLS from the first byte
 * (port 465 unless given); plain `smtp:` upgrades with STARTTLS whenever the server offers it, and
 * `?requireTLS=true` refuses to go on without it. User and password come from the URL
 * (percent-encoded). Any other nodemailer option can be set as a query parameter, e.g.
 * `?maxConnections=10` or `?tls.rejectUnauthorized=false`.
 */
export function smtpTransportOptions(smtpUrl: string): SMTPPool.Options {
  const parsed = parseConnectionUrl(smtpUrl);
  const secureFlag = new URL(smtpUrl).searchParams.get('secure');
  // nodemailer reads a bare `?secure` as the number 0, i.e. off.
  const secure = parsed.secure === true || (secureFlag !== null && TRUE_FLAGS.has(secureFlag));
  return {
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
    maxConnections: 5,
    ...parsed,
    secure,
    pool: true,
  };
}
