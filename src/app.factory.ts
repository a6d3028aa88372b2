import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import openApiMetadata from './openapi.metadata';
import { AppConfig } from './platform/config/app-config';
import { bodyParsers } from './platform/http/body-parsing';
import { finishDocument } from './platform/http/openapi-document';
import { foregroundRequests } from './platform/http/foreground';
import { createValidationPipe } from './platform/http/validation';
import { AppLogger, requestLogging, ROOT_LOGGER } from './platform/observability/logging.module';
import { MetricsService } from './platform/observability/metrics.service';
import { requestMetrics } from './platform/observability/observability.module';

/** Builds the configured HTTP application; used by main.ts and the e2e tests. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(AppLogger));
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestLogging(app.get(ROOT_LOGGER)));
  app.use(requestMetrics(app.get(MetricsService)));
  app.use(foregroundRequests());
  for (const mw of bodyParsers(config.bodyLimit)) app.use(mw);
  app.useGlobalPipes(createValidationPipe());

  const doc = new DocumentBuilder()
    .setTitle('jifen 积分 API')
    .setDescription('Points ledger for county civilization-practice programs. See README and docs/.')
    .setVersion('1')
    .addServer(config.publicBaseUrl)
    .setLicense('Proprietary', `${config.publicBaseUrl}/docs`)
    // Keys (jf_…), session tokens and ADMIN_TOKEN are opaque bearer tokens, not JWTs.
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (jf_…), a user session token (POST /v1/sessions), or ADMIN_TOKEN for the platform' })
    .build();
  // What the swagger compiler plugin reads from the DTOs, generated ahead of time (npm run openapi:metadata).
  await SwaggerModule.loadPluginMetadata(openApiMetadata);
  SwaggerModule.setup('docs', app, () => finishDocument(SwaggerModule.createDocument(app, doc)), { jsonDocumentUrl: 'docs-json' });
  return app;
}
