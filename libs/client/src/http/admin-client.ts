import type { AppView, CreateApp, CreatedApp, Page } from '@app/contracts';
import { HttpTransport, type HttpClientOptions } from './http-transport';
import { allPages, type PageQuery } from './pages';

/** The admin side of the HTTP API (`ADMIN_API_KEY`): apps and their keys. */
export class AdminClient {
  private readonly http: HttpTransport;

  constructor(options: HttpClientOptions & { adminKey: string }) {
    this.http = new HttpTransport(options, options.adminKey);
  }

  /** POST /v1/apps: the app's API key is in this answer only. */
  createApp(app: CreateApp): Promise<CreatedApp> {
    return this.http.request('POST', '/v1/apps', app);
  }

  /** GET /v1/apps, one page, newest first. */
  listApps(page: PageQuery = {}): Promise<Page<AppView>> {
    return this.http.request('GET', '/v1/apps', undefined, { ...page });
  }

  /** Every app, walking all pages. */
  allApps(): Promise<AppView[]> {
    return allPages((cursor) => this.listApps({ limit: 500, cursor }));
  }
}
