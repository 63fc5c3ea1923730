import { isIPv4, isIPv6 } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';

interface Window {
  startedAt: number;
  failures: number;
}

/** Clients remembered at most; beyond it the oldest windows are forgotten first. */
const MAX_CLIENTS = 100_000;

/**
 * Slows down guessing of API keys and recipient tokens: a client address that sent
 * AUTH_FAILURE_LIMIT unknown credentials within AUTH_FAILURE_WINDOW has its unknown credentials
 * answered 429, with Retry-After, for the rest of that window. Valid credentials are never
 * limited: every client behind one address (a NAT, a proxy) would be locked out by one guesser.
 * That tells a right guess apart, which is harmless: keys hold 128 random bits or more, and the
 * limit is about the cost of guessing, not about hiding a hit. Counted per API process, in
 * memory; an IPv6 client is counted by its /64, which is what one subscriber usually holds.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Throws a 429 while this client is over the limit. */
  check(client: string): void {
    const window = this.current(client, this.clock.now().getTime());
    if (window === undefined || window.failures < this.config.authFailureLimit) return;
    const retryAfterMs =
      window.startedAt + this.config.authFailureWindowMs - this.clock.now().getTime();
    throw AppError.rateLimited(
      `Too many requests with unknown credentials from this address (AUTH_FAILURE_LIMIT): try again in ${Math.ceil(retryAfterMs / 1000)} s`,
      retryAfterMs,
      ErrorCode.AuthFailureRateLimited,
    );
  }

  recordFailure(client: string): void {
    const now = this.clock.now().getTime();
    const window = this.current(client, now);
    if (window !== undefined) {
      window.failures += 1;
      return;
    }
    this.windows.delete(client);
    if (this.windows.size >= MAX_CLIENTS) this.forgetExpired(now);
    this.windows.set(client, { startedAt: now, failures: 1 });
  }

  private current(client: string, now: number): Window | undefined {
    const window = this.windows.get(client);
    if (window === undefined || now - window.startedAt >= this.config.authFailureWindowMs) {
      return undefined;
    }
    return window;
  }

  private forgetExpired(now: number): void {
    for (const [client, window] of this.windows) {
      if (now - window.startedAt >= this.config.authFailureWindowMs) this.windows.delete(client);
    }
    // Still full (an address spray): drop the oldest, which Map keeps first.
    for (const client of this.windows.keys()) {
      if (this.windows.size < MAX_CLIENTS) break;
      this.windows.delete(client);
    }
  }
}

/** Who is counted: the IPv4 address (also when mapped into IPv6), or the /64 of an IPv6 one. */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address)) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((part) =>
    part.replace(/^0+(?=.)/, ''),
  );
}
