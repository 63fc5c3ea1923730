import type { Principal } from './principal';

/** Credentials remembered at most; beyond, the least recently used are forgotten first. */
const MAX_REMEMBERED = 10_000;
/**
 * How long after its last successful check a credential is still accepted from memory while
 * MongoDB cannot be read: the longest a revocation made just before an outage can go unnoticed.
 */
export const KNOWN_CREDENTIAL_MAX_AGE_MS = 10 * 60_000;

/**
 * The credentials this process checked against MongoDB and found valid, to keep authenticating
 * producers while no member of the replica set can be read (a total outage; during an election
 * the secondaries answer). Never used while MongoDB answers: a key revoked, rotated out or
 * expired is refused at its next check, which forgets it here too. Keyed by the token's hash.
 */
export class KnownCredentials {
  private readonly known = new Map<string, { principal: Principal; until: number }>();

  constructor(private readonly maxAgeMs = KNOWN_CREDENTIAL_MAX_AGE_MS) {}

  /** Checked valid at `now`; `expiresAt` when the credential lapses by itself (a grace period). */
  remember(hash: string, principal: Principal, now: number, expiresAt?: Date): void {
    const until = Math.min(now + this.maxAgeMs, expiresAt?.getTime() ?? Infinity);
    this.known.delete(hash);
    this.known.set(hash, { principal, until });
    if (this.known.size > MAX_REMEMBERED) this.known.delete(this.known.keys().next().value!);
  }

  /** Checked and found invalid (or revoked): not accepted from memory any more. */
  forget(hash: string): void {
    this.known.delete(hash);
  }

  /** The principal of a credential checked valid recently enough, or undefined. */
  recall(hash: string, now: number): Principal | undefined {
    const entry = this.known.get(hash);
    if (entry === undefined || entry.until <= now) return undefined;
    return entry.principal;
  }
}
