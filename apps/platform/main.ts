import './tracing';
import { Logger } from '@nestjs/common';
import { createApi } from '../api/src/main';
import { createNotifier } from '../notifier/src/main';
import { exitOnBootFailure, logJson, mongodbToBootOn, runUntilSignal } from '@app/common';
import { apiConfigSchema, loadConfig, notifierConfigSchema } from '@app/config';
import { stopTracing } from '@app/tracing';

/**
 * `npm start`: the API and one notifier in one process, sharing the embedded MongoDB when
 * MONGODB_URI is unset. In production run them apart (`start:api`, `start:notifier`).
 */
async function main(): Promise<void> {
  logJson();
  const apiConfig = loadConfig(apiConfigSchema);
  const notifierConfig = loadConfig(notifierConfigSchema);
  logJson(apiConfig.logLevel);
  const mongo = await mongodbToBootOn(apiConfig.mongodbUri);
  const notifier = await createNotifier(notifierConfig, mongo.uri);
  const api = await createApi(apiConfig, mongo.uri);
  await api.listen(apiConfig.port);
  new Logger('Platform').log(`API on http://127.0.0.1:${apiConfig.port}, notifier running`);
  runUntilSignal(async () => {
    await api.close();
    await notifier.close();
    await mongo.stop();
    await stopTracing();
  });
}

main().catch(exitOnBootFailure);
