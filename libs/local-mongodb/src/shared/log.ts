/** Where the launcher reports progress: one line at a time (a logger, stderr, nothing). */
export type Log = (line: string) => void;
