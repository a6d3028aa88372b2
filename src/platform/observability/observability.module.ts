import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service';
import { OperationsController } from './operations.controller';

@Global()
@Module({
  providers: [MetricsService],
  controllers: [OperationsController],
  exports: [MetricsService],
})
export class ObservabilityModule implements NestModule {
  constructor(private readonly metrics: MetricsService) {}

  configure(consumer: MiddlewareConsumer): void {
    const metrics = this.metrics;
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => {
        const started = process.hrtime.bigint();
        res.on('finish', () => {
          // The matched route pattern, not the raw URL, keeps label cardinality bounded.
          const route = req.route?.path ? `${req.baseUrl ?? ''}${req.route.path}` : 'unmatched';
          metrics.observe(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
        });
        next();
      })
      .forRoutes('{*path}');
  }
}
