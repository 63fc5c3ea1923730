import './tracing';
import { NestFactory } from '@nestjs/core';
import { Logger, type INestApplicationContext } from '@nestjs/common';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import {
  boundHeapGrowth,
  exitOnBootFailure,
  logJson,
  mongodbToBootOn,
  resolveSecretsKey,
  runUntilSignal,
} from '@app/common';
import { loadConfig, notifierConfigSchema, type NotifierConfig } from '@app/config';
import { stopTracing } from '@app/tracing';
import { NotifierModule, type NotifierOptions } from './notifier.module';

export async function createNotifier(
  config: NotifierConfig,
  mongodbUri: string,
  options: NotifierOptions = {},
): Promise<INestApplicationContext> {
  logJson(config.logLevel);
  const secretsKey = await resolveSecretsKey(config.security);
  const notifier = await NestFactory.createApplicationContext(
    NotifierModule.forRoot({ ...config, mongodbUri, secretsKey }, options),
    // Not bufferLogs: logJson has Nest's lines on pino already, and createApplicationContext
    // runs the bootstrap hooks (the broker connection, its warnings) before useLogger could flush.
    { abortOnError: false },
  );
  notifier.useLogger(notifier.get(PinoNestLogger));
  return notifier;
}

async function main(): Promise<void> {
  boundHeapGrowth();
  logJson();
  const config = loadConfig(notifierConfigSchema);
  logJson(config.logLevel);
  const mongo = await mongodbToBootOn(config.mongodbUri);
  const notifier = await createNotifier(config, mongo.uri);
  // Before the line that says it runs: whoever waits for that line may stop it at once.
  runUntilSignal(async () => {
    await notifier.close();
    await mongo.stop();
    await stopTracing();
  });
  new Logger('Notifier').log('running: consuming intake and claiming due deliveries');
}

if (require.main === module) main().catch(exitOnBootFailure);
