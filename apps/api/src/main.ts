import { Logger, type NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { exitOnBootFailure, newSecretToken, runUntilSignal } from '@app/common';
import { apiConfigSchema, loadConfig, type ApiConfig } from '@app/config';
import { ensureMongo } from '@app/dal';
import { ApiModule } from './api.module';

/** Bodies over this are refused with 413 (CONTRACT.md). */
const BODY_LIMIT = '256kb';

export async function createApi(
  config: ApiConfig,
  mongodbUri: string,
  options: NestApplicationOptions = {},
): Promise<NestExpressApplication> {
  const adminApiKey = config.adminApiKey ?? generatedAdminKey();
  const app = await NestFactory.create<NestExpressApplication>(
    ApiModule.forRoot({ ...config, mongodbUri, adminApiKey }),
    { abortOnError: false, ...options, bodyParser: false },
  );
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.disable('x-powered-by');
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
  return app;
}

function generatedAdminKey(): string {
  const key = newSecretToken('admin');
  new Logger('Api').log(`ADMIN_API_KEY is not set; generated for this run: ${key}`);
  return key;
}

async function main(): Promise<void> {
  const config = loadConfig(apiConfigSchema);
  const mongo = await ensureMongo(config.mongodbUri);
  const api = await createApi(config, mongo.uri);
  await api.listen(config.port);
  new Logger('Api').log(`listening on http://127.0.0.1:${config.port}`);
  runUntilSignal(async () => {
    await api.close();
    await mongo.stop();
  });
}

if (require.main === module) main().catch(exitOnBootFailure);
