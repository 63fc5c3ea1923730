#!/usr/bin/env node
import { runCli } from './cli';

/** The `notify` bin (package.json "bin"); docs/cli.md describes it. */
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, stop.signal)
  .then((code) => {
    process.exitCode = code;
  })
  .finally(() => {
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
  });
