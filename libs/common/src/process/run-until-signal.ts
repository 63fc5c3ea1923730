import { Logger } from '@nestjs/common';

/**
 * Keeps the process up until SIGTERM or SIGINT, then runs `shutdown` once and exits. A second
 * signal exits at once, for an operator who does not want to wait for attempts in flight.
 */
export function runUntilSignal(shutdown: () => Promise<void>): void {
  const logger = new Logger('Process');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.log(`${signal} received, shutting down`);
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Boot failures (a bad variable, an unreachable dependency) end the process with their message. */
export function exitOnBootFailure(error: unknown): never {
  new Logger('Boot').fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
