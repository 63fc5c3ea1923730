/**
 * Endpoints known in this notifier to take nothing before a time (circuit open, rate limit
 * spent), so that neither the claim nor the dispatcher hands them anything meanwhile.
 */
export class BlockedEndpoints {
  private readonly blockedUntil = new Map<string, number>();

  /** Blocked until `until` at least. */
  block(endpointId: string, until: Date): void {
    const current = this.blockedUntil.get(endpointId) ?? 0;
    this.blockedUntil.set(endpointId, Math.max(current, until.getTime()));
  }

  /** `now`: epoch ms; an expired block is forgotten. */
  isBlocked(endpointId: string, now: number): boolean {
    const until = this.blockedUntil.get(endpointId);
    if (until === undefined) return false;
    if (until > now) return true;
    this.blockedUntil.delete(endpointId);
    return false;
  }

  /** Endpoints blocked at `now` (epoch ms). */
  endpointsBlockedAt(now: number): string[] {
    return [...this.blockedUntil.keys()].filter((id) => this.isBlocked(id, now));
  }
}
