import './tracing';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import {
  boundHeapGrowth,
  exitOnBootFailure,
  logJson,
  mongodbToBootOn,
  newSecretToken,
  resolveSecretsKey,
  runUntilSignal,
} from '@app/common';
import { apiConfigSchema, loadConfig, type ApiConfig } from '@app/config';
import { stopTracing } from '@app/tracing';
import { ApiModule } from './api.module';
import { serveConsole } from './console/serve-console';
import { answerMalformedRequests } from './shared/malformed-requests';

/** Bodies over this are refused with 413 (CONTRACT.md). */
const BODY_LIMIT = '256kb';

export async function createApi(
  config: ApiConfig,
  mongodbUri: string,
): Promise<NestExpressApplication> {
  logJson(config.logLevel);
  const adminApiKey = config.adminApiKey ?? generatedAdminKey();
  const secretsKey = await resolveSecretsKey(config.security);
  const app = await NestFactory.create<NestExpressApplication>(
    ApiModule.forRoot({ ...config, mongodbUri, adminApiKey, secretsKey }),
    { abortOnError: false, bodyParser: false, bufferLogs: true },
  );
  app.useLogger(app.get(PinoNestLogger));
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.disable('x-powered-by');
  answerMalformedRequests(app.getHttpServer());
  // Behind a load balancer: know each client by its own address (docs/operations.md).
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Notify platform')
      .setDescription(
        'Best-effort notification: publish messages, manage endpoints, follow every attempt.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  serveConsole(app);
  return app;
}

function generatedAdminKey(): string {
  const key = newSecretToken('admin');
  new Logger('Api').log(`ADMIN_API_KEY is not set; generated for this run: ${key}`);
  return key;
}

async function main(): Promise<void> {
  boundHeapGrowth();
  logJson();
  const config = loadConfig(apiConfigSchema);
  logJson(config.logLevel);
  const mongo = await mongodbToBootOn(config.mongodbUri);
  const api = await createApi(config, mongo.uri);
  await api.listen(config.port);
  // Before the line that says it listens: whoever waits for that line may stop it at once.
  runUntilSignal(async () => {
    await api.close();
    await mongo.stop();
    await stopTracing();
  });
  new Logger('Api').log(`listening on http://127.0.0.1:${config.port}`);
}

if (require.main === module) main().catch(exitOnBootFailure);
