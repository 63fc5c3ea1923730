import type { IncomingMessage } from 'node:http';
import { Logger as NestLogger } from '@nestjs/common';
import { Logger, PinoLogger, type Params } from 'nestjs-pino';
import { pino, stdTimeFunctions, type Level, type LevelWithSilent } from 'pino';
import { traceLogMixin } from '@app/tracing';

/** Polled by probes and scrapers: a line for each would drown everything else. */
const QUIET_PATHS = new Set(['/health', '/metrics']);

/**
 * The process's one pino logger: one JSON object a line on stdout. Nest's lines and the API's
 * request lines (nestjs-pino's pino-http middleware, handed this logger) all go through it.
 */
const root = pino({
  level: 'info',
  timestamp: stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  // Credentials: app keys, the admin key and recipient tokens all travel as bearer tokens.
  redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  // With tracing on, a line written inside a span carries its traceId and spanId.
  mixin: traceLogMixin(),
});

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

/** Whether lines of this level are written: a hot path asks before it builds a line's fields. */
export function logsAt(level: Level): boolean {
  return root.isLevelEnabled(level);
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '').split('?', 1)[0]!;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
