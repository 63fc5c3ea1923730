/** Where a command writes: injectable so tests and the tail loop share one path. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The `--json` flag: print what the API answered instead of lines for people. */
export interface JsonFlag {
  json?: boolean;
}

/**
 * A whole list (all pages walked): with `--json` in the API's list shape, `{ "data": [...],
 * "nextCursor": null }`; otherwise a table of `columns`, or `empty` when there is nothing.
 */
export function printList<T>(
  io: Io,
  items: readonly T[],
  options: JsonFlag,
  table: { empty: string; columns: readonly string[]; row: (item: T) => string[] },
): void {
  if (options.json) printJson(io, { data: items, nextCursor: null });
  else if (items.length === 0) printLine(io, table.empty);
  else printLine(io, renderTable(table.columns, items.map(table.row)));
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One JSON value per line (tail --json). */
export function printJsonLine(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLine(io: Io, line = ''): void {
  io.stdout.write(`${line}\n`);
}

/** A plain text table: a header row, then the rows, columns padded to their widest cell. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Key/value lines with the keys aligned. */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([key]) => key.length));
  return fields.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : String(value);
}

export function truncate(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ');
  return single.length <= max ? single : `${single.slice(0, max - 1)}…`;
}

const FRAMES = ['|', '/', '-', '\\'];

/**
 * A progress indication on stderr while `work` runs, only when stderr is a terminal (never in
 * --json or piped output). Elapsed seconds show beside the label.
 */
export async function withProgress<T>(io: Io, label: string, work: Promise<T>): Promise<T> {
  if (!io.stderr.isTTY) return work;
  const started = Date.now();
  let frame = 0;
  const draw = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    io.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label} ${seconds}s`);
  };
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    io.stderr.write('\r\x1b[2K');
  }
}
