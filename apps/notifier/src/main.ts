import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext, NestApplicationOptions } from '@nestjs/common';
import { exitOnBootFailure, runUntilSignal } from '@app/common';
import { loadConfig, notifierConfigSchema, type NotifierConfig } from '@app/config';
import { ensureMongo } from '@app/dal';
import { NotifierModule } from './notifier.module';

export function createNotifier(
  config: NotifierConfig,
  mongodbUri: string,
  options: NestApplicationOptions = {},
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(
    NotifierModule.forRoot({ ...config, mongodbUri }),
    { abortOnError: false, ...options },
  );
}

async function main(): Promise<void> {
  const config = loadConfig(notifierConfigSchema);
  const mongo = await ensureMongo(config.mongodbUri);
  const notifier = await createNotifier(config, mongo.uri);
  runUntilSignal(async () => {
    await notifier.close();
    await mongo.stop();
  });
}

if (require.main === module) main().catch(exitOnBootFailure);
