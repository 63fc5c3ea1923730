/** What a person starting the platform needs first (`npm start`). */
export interface BannerFacts {
  /** Where the API listens, e.g. http://127.0.0.1:3000. */
  apiUrl: string;
  adminKey: string;
  /** True when ADMIN_API_KEY was unset and the key was made for this run. */
  adminKeyGenerated: boolean;
  /** mongoDataLocation(MONGODB_URI). */
  mongoData: string;
}

/**
 * The API, the console and the docs, the admin key (a configured one is not repeated), and where
 * MongoDB keeps the data.
 */
function bannerRows(facts: BannerFacts): [string, string][] {
  const admin = facts.adminKeyGenerated
    ? `${facts.adminKey}  (generated for this run; set ADMIN_API_KEY to keep one)`
    : 'the ADMIN_API_KEY you set';
  return [
    ['API', `${facts.apiUrl}  (OpenAPI at ${facts.apiUrl}/docs)`],
    ['console', `${facts.apiUrl}/console`],
    ['admin key', admin],
    ['MongoDB data', facts.mongoData],
  ];
}

/** For a terminal: a title and one aligned line per fact. */
export function renderBanner(facts: BannerFacts): string {
  const rows = bannerRows(facts);
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    'notify platform',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    '',
  ].join('\n');
}

/** For JSON logs: the same facts as the message of one line. */
export function bannerLogMessage(facts: BannerFacts): string {
  return `notify platform: ${bannerRows(facts)
    .map(([label, value]) => `${label} ${value.replace(/\s+/g, ' ')}`)
    .join('; ')}`;
}
