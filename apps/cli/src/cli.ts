import { Command, CommanderError, Option } from 'commander';
import { AdminClient, InboxClient, NotifyClient } from '@app/client';
import { ConfigError, loadCliConfig, type CliConfig } from '@app/config';
import { describeFailure, EXIT, UsageError, type ExitCode } from './cli-error';
import { createAppCommand, listAppsCommand } from './commands/apps.command';
import { attemptsCommand } from './commands/attempts.command';
import { listenCommand, type ListenOptions } from './commands/listen.command';
import { publishCommand, type PublishOptions } from './commands/publish.command';
import { redeliverCommand } from './commands/redeliver.command';
import { statusCommand } from './commands/status.command';
import { tailCommand, type TailOptions } from './commands/tail.command';
import type { Io } from './output';
import { addEndpointCommands, addRecoverCommand } from './program/endpoint-commands';
import { addEventTypeCommands } from './program/event-type-commands';
import { collect } from './program/options';

interface GlobalOptions {
  url?: string;
  apiKey?: string;
  adminKey?: string;
  token?: string;
  secret?: string;
  json?: boolean;
}

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
    return loadCliConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.problems.join('; '));
    throw error;
  }
}

function buildProgram(io: Io, signal: AbortSignal): Command {
  const program = new Command('notify')
    .description(
      'Operate the notification platform: publish, inspect, redeliver, recover, tail; manage apps, endpoints and event types; forward an inbox to a local receiver.',
    )
    .addOption(
      new Option('--url <url>', 'API base URL (env NOTIFY_URL, default http://127.0.0.1:3000)'),
    )
    .addOption(new Option('--api-key <key>', 'app API key (env NOTIFY_API_KEY)'))
    .addOption(
      new Option(
        '--admin-key <key>',
        'admin key, for the apps commands (env NOTIFY_ADMIN_KEY; else --api-key is used)',
      ),
    )
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

  /** The admin client: the admin key, or the API key when only that was given. */
  const adminFor = (command: Command): { admin: AdminClient; json: boolean } => {
    const options = command.optsWithGlobals<GlobalOptions>();
    const config = configFrom(options);
    const adminKey = config.adminKey ?? config.apiKey;
    if (adminKey === undefined) {
      throw new UsageError(
        'the admin key is needed: pass --admin-key or set NOTIFY_ADMIN_KEY (npm start prints it)',
      );
    }
    return {
      admin: new AdminClient({ baseUrl: config.url, adminKey }),
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

  addRecoverCommand(program.command('recover'), clientFor, io);

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

  const apps = program.command('apps').description('apps and their API keys (admin key)');
  apps
    .command('create')
    .description('create an app (POST /v1/apps); prints its API key, shown only now')
    .requiredOption('--name <name>', 'a name for the app')
    .action(async (options: { name: string }, command: Command) => {
      const { admin, json } = adminFor(command);
      await createAppCommand(admin, io, { ...options, json });
    });
  apps
    .command('list')
    .description('every app, newest first (GET /v1/apps)')
    .action(async (_options: unknown, command: Command) => {
      const { admin, json } = adminFor(command);
      await listAppsCommand(admin, io, { json });
    });

  addEndpointCommands(program, clientFor, io);
  addEventTypeCommands(program, clientFor, io);

  program
    .command('listen')
    .description(
      "forward an endpoint's inbox to a local URL, signed as the platform signs (Ctrl-C to stop); needs no tunnel and no inbound port",
    )
    .requiredOption('--endpoint <id>', 'the endpoint whose inbox to follow')
    .requiredOption('--forward-to <url>', 'the local receiver, e.g. http://localhost:4000/hooks')
    .option(
      '--token <recipientToken>',
      "the endpoint's recipient token (env NOTIFY_RECIPIENT_TOKEN)",
    )
    .option('--secret <whsec_...>', "the endpoint's signing secret (env NOTIFY_WEBHOOK_SECRET)")
    .option('--since <time>', 'start with what reached the inbox since then (default: now)')
    .option(
      '--ack',
      "acknowledge what the local server answered 2xx: stops the platform's own retries",
    )
    .option('--interval <duration>', 'how often to look at the inbox (default 1s)')
    .action(async (options: ListenOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const config = configFrom(globals);
      if (config.recipientToken === undefined) {
        throw new UsageError(
          "the endpoint's recipient token is needed: pass --token or set NOTIFY_RECIPIENT_TOKEN",
        );
      }
      if (config.webhookSecret === undefined) {
        throw new UsageError(
          "the endpoint's signing secret is needed: pass --secret or set NOTIFY_WEBHOOK_SECRET",
        );
      }
      const inbox = new InboxClient({ baseUrl: config.url, recipientToken: config.recipientToken });
      await listenCommand(
        inbox,
        io,
        { ...options, secret: config.webhookSecret, json: globals.json ?? false },
        signal,
      );
    });

  return program;
}
