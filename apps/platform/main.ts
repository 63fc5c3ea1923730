import './tracing';
import { Logger } from '@nestjs/common';
import { createApi } from '../api/src/main';
import { createNotifier } from '../notifier/src/main';
import {
  boundHeapGrowth,
  exitOnBootFailure,
  logFormatFor,
  logJson,
  mongoDataLocation,
  mongodbToBootOn,
  newSecretToken,
  runUntilSignal,
  usePrettyLogs,
} from '@app/common';
import { apiConfigSchema, loadConfig, notifierConfigSchema } from '@app/config';
import { stopTracing } from '@app/tracing';
import { bannerLogMessage, renderBanner, type BannerFacts } from './banner';

/**
 * `npm start`: the API and one notifier in one process, sharing the embedded MongoDB when
 * MONGODB_URI is unset. In production run them apart (`start:api`, `start:notifier`).
 * At a terminal it logs through pino-pretty and starts with a banner; otherwise (and always with
 * NODE_ENV=production) it logs JSON lines, the banner's facts in the first one.
 */
async function main(): Promise<void> {
  boundHeapGrowth();
  logJson();
  const apiConfig = loadConfig(apiConfigSchema);
  const notifierConfig = loadConfig(notifierConfigSchema);
  const format = logFormatFor({
    stdoutIsTty: process.stdout.isTTY === true,
    production: apiConfig.security.production,
  });
  if (format === 'pretty') await usePrettyLogs();
  logJson(apiConfig.logLevel);
  const adminApiKey = apiConfig.adminApiKey ?? newSecretToken('admin');
  const facts: BannerFacts = {
    apiUrl: `http://127.0.0.1:${apiConfig.port}`,
    adminKey: adminApiKey,
    adminKeyGenerated: apiConfig.adminApiKey === undefined,
    mongoData: await mongoDataLocation(apiConfig.mongodbUri),
  };
  const logger = new Logger('Platform');
  if (format === 'pretty') process.stdout.write(`${renderBanner(facts)}\n`);
  else logger.log(bannerLogMessage(facts));
  const mongo = await mongodbToBootOn(apiConfig.mongodbUri);
  const notifier = await createNotifier(notifierConfig, mongo.uri);
  const api = await createApi({ ...apiConfig, adminApiKey }, mongo.uri);
  await api.listen(apiConfig.port);
  // Before the line that says it runs: whoever waits for that line may stop it at once.
  runUntilSignal(async () => {
    await api.close();
    await notifier.close();
    await mongo.stop();
    await stopTracing();
  });
  logger.log(`API on ${facts.apiUrl}, notifier running`);
}

main().catch(exitOnBootFailure);
