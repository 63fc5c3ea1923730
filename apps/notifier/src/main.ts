import { NestFactory } from '@nestjs/core';
import { Logger, type INestApplicationContext, type NestApplicationOptions } from '@nestjs/common';
import { exitOnBootFailure, resolveSecretsKey, runUntilSignal } from '@app/common';
import { loadConfig, notifierConfigSchema, type NotifierConfig } from '@app/config';
import { ensureMongo } from '@app/dal';
import { NotifierModule } from './notifier.module';

export async function createNotifier(
  config: NotifierConfig,
  mongodbUri: string,
  options: NestApplicationOptions = {},
): Promise<INestApplicationContext> {
  const secretsKey = await resolveSecretsKey(config.security);
  return NestFactory.createApplicationContext(
    NotifierModule.forRoot({ ...config, mongodbUri, secretsKey }),
    { abortOnError: false, ...options },
  );
}

async function main(): Promise<void> {
  const config = loadConfig(notifierConfigSchema);
  const mongo = await ensureMongo(config.mongodbUri);
  const notifier = await createNotifier(config, mongo.uri);
  new Logger('Notifier').log('running: consuming intake and claiming due deliveries');
  runUntilSignal(async () => {
    await notifier.close();
    await mongo.stop();
  });
}

if (require.main === module) main().catch(exitOnBootFailure);
