import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ChangeFollower } from '@app/common';
import { EndpointRepository, type EndpointChange, type EndpointEntity } from '@app/dal';

/** Endpoints held at most; beyond, the apps used least recently are dropped first. */
const MAX_CACHED_ENDPOINTS = 20_000;

/**
 * Each app's endpoints, as intake's fan-out and the attempts read them, kept between batches so
 * a message costs no read of them: the change log drops an app's endpoints the moment one of them
 * is created, changed or deleted (changes to health counters aside), and the next batch reads
 * them again. Nothing is kept while the log's tail is not open (at start, after it failed): then
 * every batch reads, as without a cache; nothing is kept longer than EXPIRE_AFTER_MS.
 *
 * What a message accepted during an endpoint change gets: intake checks what it held against the
 * log's end, or relies on a check less than CHANGE_LEASE_MS old (forIntake), so its fan-out
 * follows every endpoint change the API had answered before the message was published. A change
 * the log does not hold (an edit by hand in MongoDB, a writer that died between its write and its
 * entry) reaches intake, as it reaches attempts, by the expiry. A retry's attempt starting within
 * the log's lag (milliseconds) after a change of URL, headers or secret uses the endpoint as it
 * was, like an attempt already in flight when the change was made (a rotated-out secret still
 * signs). docs/architecture.md, "Endpoints held by the notifier".
 */
@Injectable()
export class EndpointCache implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EndpointCache.name);
  /** By app, least recently used first. */
  private readonly byApp = new Map<string, readonly EndpointEntity[]>();
  /** The app of each endpoint held, to find what a change of it drops. */
  private readonly appOf = new Map<string, string>();
  private held = 0;
  private readonly changes = new ChangeFollower<EndpointChange>(
    (listener) => this.endpoints.watchChanges(listener),
    {
      changed: (change) => this.changed(change),
      lost: (error) => this.lost(error),
      expired: () => this.clear(),
    },
  );

  constructor(private readonly endpoints: EndpointRepository) {}

  onModuleInit(): void {
    this.changes.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.changes.stop();
  }

  /** Every endpoint of these apps (enabled or not), by app. */
  async ofApps(appIds: readonly string[]): Promise<Map<string, readonly EndpointEntity[]>> {
    const found = new Map<string, readonly EndpointEntity[]>();
    const missing: string[] = [];
    for (const appId of new Set(appIds)) {
      const endpoints = this.byApp.get(appId);
      if (endpoints === undefined) missing.push(appId);
      else found.set(appId, this.touch(appId, endpoints));
    }
    if (missing.length === 0) return found;
    for (const [appId, endpoints] of await this.read(missing)) found.set(appId, endpoints);
    return found;
  }

  /** Reads these apps' endpoints, and keeps them unless a change came in meanwhile. */
  private async read(appIds: readonly string[]): Promise<Map<string, readonly EndpointEntity[]>> {
    const mark = this.changes.mark();
    const read = await this.endpoints.findByApps(appIds);
    const fresh = new Map<string, EndpointEntity[]>(appIds.map((appId) => [appId, []]));
    for (const endpoint of read) fresh.get(endpoint.appId)!.push(endpoint);
    for (const [appId, endpoints] of fresh) {
      if (this.changes.mayKeep(mark)) this.keep(appId, endpoints);
    }
    return fresh;
  }

  /**
   * Each app's endpoints for intake's fan-out: read now unless every app is held; when they all
   * are, at once, and with no check while a read of the log's end less than CHANGE_LEASE_MS ago
   * found every change reported (ChangeFollower.unchangedWithinLease): the API answers an endpoint
   * change that long after recording it, so what is held reflects every change answered before
   * the message was published. Otherwise with `check` run beside intake's insert: it asks the
   * change log whether anything changed since (ChangeFollower.unchangedSince, one read of the
   * log's last entry) and resolves to undefined if not, or else to the same apps read again.
   * Intake plans from what it gets and mends the few messages whose targets the check shows were
   * planned from endpoints that had just changed (StoreMessagesUseCase), at the cost of no round
   * trip before its insert.
   */
  async forIntake(appIds: readonly string[]): Promise<{
    byApp: Map<string, readonly EndpointEntity[]>;
    check?: Promise<Map<string, readonly EndpointEntity[]> | undefined>;
  }> {
    const apps = [...new Set(appIds)];
    // One read of them all: what is held is no more current than what a read returns.
    if (!apps.every((appId) => this.byApp.has(appId))) return { byApp: await this.read(apps) };
    const mark = this.changes.mark();
    const byApp = await this.ofApps(apps);
    if (this.changes.unchangedWithinLease()) return { byApp };
    return { byApp, check: this.changedSince(mark, apps) };
  }

  /** Undefined if nothing changed since `mark`; otherwise these apps' endpoints, read now. */
  private async changedSince(
    mark: number,
    appIds: readonly string[],
  ): Promise<Map<string, readonly EndpointEntity[]> | undefined> {
    return (await this.changes.unchangedSince(mark)) ? undefined : this.read(appIds);
  }

  /** These endpoints, each of the app given beside it; those deleted are left out. */
  async byIds(
    wanted: readonly { appId: string; endpointId: string }[],
  ): Promise<Map<string, EndpointEntity>> {
    const ofApps = await this.ofApps(wanted.map((item) => item.appId));
    const ids = new Set(wanted.map((item) => item.endpointId));
    const found = new Map<string, EndpointEntity>();
    for (const endpoints of ofApps.values()) {
      for (const endpoint of endpoints)
        if (ids.has(endpoint._id)) found.set(endpoint._id, endpoint);
    }
    return found;
  }

  private touch(appId: string, endpoints: readonly EndpointEntity[]): readonly EndpointEntity[] {
    this.byApp.delete(appId);
    this.byApp.set(appId, endpoints);
    return endpoints;
  }

  private keep(appId: string, endpoints: readonly EndpointEntity[]): void {
    this.drop(appId);
    this.byApp.set(appId, endpoints);
    for (const endpoint of endpoints) this.appOf.set(endpoint._id, appId);
    this.held += endpoints.length;
    for (const oldest of this.byApp.keys()) {
      if (this.held <= MAX_CACHED_ENDPOINTS || oldest === appId) break;
      this.drop(oldest);
    }
  }

  private drop(appId: string): void {
    const endpoints = this.byApp.get(appId);
    if (endpoints === undefined) return;
    this.byApp.delete(appId);
    for (const endpoint of endpoints) this.appOf.delete(endpoint._id);
    this.held -= endpoints.length;
  }

  protected changed({ endpointId, appId }: EndpointChange): void {
    const holder = appId ?? this.appOf.get(endpointId);
    if (holder !== undefined) this.drop(holder);
  }

  private lost(error: unknown): void {
    this.clear();
    this.logger.warn(
      `following endpoint changes stopped (${String(error)}): endpoints are read for every batch until it starts again`,
    );
  }

  private clear(): void {
    this.byApp.clear();
    this.appOf.clear();
    this.held = 0;
  }
}
