export interface Options {
  quick: boolean;
  /** Write the table to bench/results.md. */
  write: boolean;
  /** Run the first notifier with `node --cpu-prof` and summarise the profile. */
  profile: boolean;
  /** Keep the run's database (its name is printed) for inspection. */
  keep: boolean;
  /** Extra node flags for the notifiers, e.g. --trace-gc. */
  nodeArgs: string[];
  /** Extra environment for the notifiers, e.g. DELIVERY_CONCURRENCY=400. */
  notifierEnv: Record<string, string>;
  /** Only these measures (--only throughput,latency); all when empty. */
  only: Set<Measure>;
}

export const MEASURES = [
  'throughput',
  'latency',
  'retries',
  'scale-out',
  'isolation',
  'tracing',
  'schemas',
  'ordered',
] as const;
export type Measure = (typeof MEASURES)[number];

export interface Sizes {
  /** Messages to one endpoint (and with two notifiers). */
  single: number;
  /** Messages to ten endpoints, for the platform and for the naive pipeline. */
  fanout: number;
  naiveFanout: number;
  /** How long the steady 200 msg/s and 1,000 msg/s runs last, ms. */
  lat200Ms: number;
  lat1000Ms: number;
  /** Retries that fall due at once. */
  retries: number;
  /** Messages to the slow recipient, with one notifier and with two. */
  slow: number;
}

export const FULL: Sizes = {
  single: 10_000,
  fanout: 10_000,
  naiveFanout: 2_000,
  lat200Ms: 15_000,
  lat1000Ms: 10_000,
  retries: 100_000,
  slow: 4_000,
};

export const QUICK: Sizes = {
  single: 2_000,
  fanout: 1_000,
  naiveFanout: 300,
  lat200Ms: 5_000,
  lat1000Ms: 3_000,
  retries: 10_000,
  slow: 1_000,
};

const USAGE =
  'usage: npm run bench -- [--quick] [--write] [--profile] [--keep] [--only throughput,latency,retries,scale-out,isolation,tracing,schemas,ordered] [--env KEY=VALUE]... [--node-arg FLAG]...';

export function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    quick: false,
    write: false,
    profile: false,
    keep: false,
    nodeArgs: [],
    notifierEnv: {},
    only: new Set(),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--write') options.write = true;
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--node-arg' && argv[i + 1] !== undefined) options.nodeArgs.push(argv[++i]!);
    else if (arg === '--only' && argv[i + 1] !== undefined) {
      for (const name of argv[++i]!.split(',')) {
        if (!(MEASURES as readonly string[]).includes(name)) {
          process.stderr.write(`--only takes ${MEASURES.join(', ')}; got ${name}\n`);
          process.exit(2);
        }
        options.only.add(name as Measure);
      }
    } else if (arg === '--env' && argv[i + 1]?.includes('=') === true) {
      const [key, ...value] = argv[++i]!.split('=');
      options.notifierEnv[key!] = value.join('=');
    } else {
      process.stderr.write(`unknown argument ${arg}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return options;
}
