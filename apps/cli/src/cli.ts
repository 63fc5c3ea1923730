import { Command, CommanderError, Option } from 'commander';
import { NotifyClient } from '@app/client';
import { ConfigError, loadCliConfig, type CliConfig } from '@app/config';
import { describeFailure, EXIT, UsageError, type ExitCode } from './cli-error';
import { attemptsCommand } from './commands/attempts.command';
import { publishCommand, type PublishOptions } from './commands/publish.command';
import { recoverCommand, type RecoverOptions } from './commands/recover.command';
import { redeliverCommand } from './commands/redeliver.command';
import { statusCommand } from './commands/status.command';
import { tailCommand, type TailOptions } from './commands/tail.command';
import type { Io } from './output';

interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Runs one `notify` invocation and answers its exit status: 0 done, 1 the request failed, 2 wrong
 * usage. `signal` ends a `tail`. Nothing here calls process.exit, so tests can run it in-process.
 */
export async function runCli(
  argv: readonly string[],
  io: Io,
  signal: AbortSignal = new AbortController().signal,
): Promise<ExitCode> {
  const program = buildProgram(io, signal);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed the problem (or the help) already.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { code, message } = describeFailure(error);
    io.stderr.write(`notify: ${message}\n`);
    if (code === EXIT.usage && error instanceof UsageError) {
      io.stderr.write(`(see notify --help)\n`);
    }
    return code;
  }
}

/** A bad --url or NOTIFY_URL is wrong usage, with the message saying which it was. */
function configFrom(options: GlobalOptions): CliConfig {
  try {
    return loadCliConfig({ url: options.url, apiKey: options.apiKey });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.problems.join('; '));
    throw error;
  }
}

function buildProgram(io: Io, signal: AbortSignal): Command {
  const program = new Command('notify')
    .description('Operate the notification platform: publish, inspect, redeliver, recover, tail.')
    .addOption(
      new Option('--url <url>', 'API base URL (env NOTIFY_URL, default http://127.0.0.1:3000)'),
    )
    .addOption(new Option('--api-key <key>', 'app API key (env NOTIFY_API_KEY)'))
    .option('--json', 'machine-readable JSON output')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(see notify --help)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  /** The client for this invocation, from the flags and the environment. */
  const clientFor = (command: Command): { client: NotifyClient; json: boolean } => {
    const options = command.optsWithGlobals<GlobalOptions>();
    const config = configFrom(options);
    if (config.apiKey === undefined) {
      throw new UsageError('an app API key is needed: pass --api-key or set NOTIFY_API_KEY');
    }
    return {
      client: new NotifyClient({ baseUrl: config.url, apiKey: config.apiKey }),
      json: options.json ?? false,
    };
  };

  program
    .command('publish')
    .description('publish a message (POST /v1/messages); prints its id')
    .requiredOption('--event-type <type>', 'event type, e.g. order.paid')
    .requiredOption('--payload <json>', 'the payload: a JSON object')
    .option('--idempotency-key <key>', 'the same key again answers with the first message')
    .option('--endpoint <id>', 'send to this endpoint only (repeatable)', collect)
    .action(async (options: PublishOptions, command: Command) => {
      const { client, json } = clientFor(command);
      await publishCommand(client, io, { ...options, json });
    });

  program
    .command('status')
    .description('a message and its deliveries (GET /v1/messages/:id)')
    .argument('<messageId>')
    .action(async (messageId: string, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await statusCommand(client, io, messageId, { json });
    });

  program
    .command('attempts')
    .description("a message's attempts, oldest first (GET /v1/messages/:id/attempts)")
    .argument('<messageId>')
    .action(async (messageId: string, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await attemptsCommand(client, io, messageId, { json });
    });

  program
    .command('redeliver')
    .description('attempt every delivery of a message again now (POST /v1/messages/:id/redeliver)')
    .argument('<messageId>')
    .action(async (messageId: string, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      await redeliverCommand(client, io, messageId, { json });
    });

  program
    .command('recover')
    .description("schedule an endpoint's failed deliveries again (POST /v1/endpoints/:id/recover)")
    .argument('<endpointId>')
    .requiredOption('--since <time>', 'ISO 8601 time, or a duration ago: 90m, 2h, 1d')
    .option('--until <time>', 'end of the window (exclusive), same forms as --since')
    .option('--dry-run', 'only count them')
    .action(async (endpointId: string, options: RecoverOptions, command: Command) => {
      const { client, json } = clientFor(command);
      await recoverCommand(client, io, endpointId, { ...options, json });
    });

  program
    .command('tail')
    .description('follow deliveries as they happen (Ctrl-C to stop)')
    .option('--since <time>', 'start with messages created since then (default 10s ago)')
    .option('--interval <duration>', 'how often to look (default 1s)')
    .option('--event-type <type>', 'only messages of this event type')
    .option('--endpoint <id>', "only this endpoint's deliveries")
    .action(async (options: TailOptions, command: Command) => {
      const { client, json } = clientFor(command);
      await tailCommand(client, io, { ...options, json }, signal);
    });

  return program;
}
