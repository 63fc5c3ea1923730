import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { TargetGuard } from '@app/channels';
import { AppError, ErrorCode } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';

/**
 * Refuses webhook URLs that point at private, loopback or link-local addresses at creation, so a
 * mistake is reported at once. The notifier checks again at connect time, where it matters.
 */
@Injectable()
export class TargetPolicy {
  private readonly guard: TargetGuard;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.guard = new TargetGuard(config.targetAllowlist);
  }

  async check(url: string): Promise<void> {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const literal = isIP(host) !== 0;
    const addresses = literal ? [host] : await resolve(host);
    if (addresses.every((address) => this.guard.isAllowed(address))) return;
    // A name's private address is not echoed: the API would be an oracle for internal DNS.
    const what = literal ? `${host} is` : `${host} resolves to`;
    throw new AppError(ErrorCode.ValidationFailed, 'The webhook url is not allowed', [
      {
        field: 'url',
        message: `${what} a private, loopback or link-local address; set TARGET_ALLOWLIST to allow it`,
      },
    ]);
  }
}

/** A name that does not resolve here may resolve where the notifier runs: not a reason to refuse. */
async function resolve(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    return [];
  }
}
