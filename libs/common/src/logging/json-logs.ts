import type { IncomingMessage } from 'node:http';
import { Logger as NestLogger } from '@nestjs/common';
import { Logger, PinoLogger, type Params } from 'nestjs-pino';
import {
  destination,
  pino,
  stdTimeFunctions,
  type DestinationStream,
  type Level,
  type LevelWithSilent,
} from 'pino';
import { traceLogMixin } from '@app/tracing';

/** Polled by probes and scrapers: a line for each would drown everything else. */
const QUIET_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/**
 * Where the root logger writes: stdout as JSON lines, unless usePrettyLogs() put pino-pretty in
 * between. The logger is made once, at import; only its destination can change.
 */
const output = {
  target: destination(1) as DestinationStream,
  write(line: string): void {
    this.target.write(line);
  },
};

/**
 * The process's one pino logger: one JSON object a line on stdout. Nest's lines and the API's
 * request lines (nestjs-pino's pino-http middleware, handed this logger) all go through it.
 */
const root = pino(
  {
    level: 'info',
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Credentials: app keys, the admin key and recipient tokens all travel as bearer tokens.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    // With tracing on, a line written inside a span carries its traceId and spanId.
    mixin: traceLogMixin(),
  },
  output,
);

export const LOG_PARAMS: Params = {
  // Fields a request assigns (PinoLogger.assign: the id of a message it accepted) are on its line.
  assignResponse: true,
  pinoHttp: {
    logger: root,
    customLogLevel: (_req, res, error) =>
      error !== undefined || res.statusCode >= 500 ? 'error' : 'info',
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.has(pathOf(req.url)) },
    customSuccessObject: (_req, _res, fields: object) => ({ context: 'HttpRequest', ...fields }),
    customErrorObject: (_req, _res, _error, fields: object) => ({
      context: 'HttpRequest',
      ...fields,
    }),
  },
};

/**
 * From now on what Nest's Logger writes goes through pino at `level`, also before any Nest
 * application exists: the lines of the boot (the local MongoDB, a refused configuration) are
 * JSON like the rest. Called first thing with the default, and again with LOG_LEVEL once the
 * configuration is read.
 */
export function logJson(level: LevelWithSilent = 'info'): void {
  root.level = level;
  NestLogger.overrideLogger(new Logger(new PinoLogger(LOG_PARAMS), LOG_PARAMS));
}

export type LogFormat = 'pretty' | 'json';

/**
 * Human-readable lines for a person at a terminal (stdout is a TTY); JSON lines for everything
 * else (a pipe, a file, a log collector), and always in production.
 */
export function logFormatFor(where: { stdoutIsTty: boolean; production: boolean }): LogFormat {
  return where.stdoutIsTty && !where.production ? 'pretty' : 'json';
}

/**
 * From now on the lines go through pino-pretty: `[12:00:01.234] INFO: [Platform] API on ...`,
 * other fields (ids) indented below. Loaded
 * only here, so a process that logs JSON never loads it. Synchronous, so the last lines before an
 * exit are not lost.
 */
export async function usePrettyLogs(to: number | NodeJS.WritableStream = 1): Promise<void> {
  const { default: pretty } = await import('pino-pretty');
  output.target = pretty({
    destination: to,
    sync: true,
    translateTime: 'HH:MM:ss.l',
    // A request on one line (method, url, status, time), not its headers: they stay in JSON.
    ignore: 'pid,hostname,context,req,res,responseTime',
    messageFormat:
      '{if context}[{context}] {end}{msg}{if req.method}: {req.method} {req.url} {res.statusCode} {responseTime}ms{end}',
  });
}

/** Whether lines of this level are written: a hot path asks before it builds a line's fields. */
export function logsAt(level: Level): boolean {
  return root.isLevelEnabled(level);
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '').split('?', 1)[0]!;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
