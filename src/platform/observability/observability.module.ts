import { Global, Module } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service';
import { OperationsController } from './operations.controller';

/**
 * Counts and times every request by method, matched route pattern and status
 * (`GET /metrics`). Mounted by `createApp` on the Express app itself, like the
 * request log: a Nest module middleware costs a route match per request.
 */
export function requestMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      // The matched route pattern, not the raw URL, keeps label cardinality bounded.
      const route = req.route?.path ? `${req.baseUrl ?? ''}${req.route.path}` : 'unmatched';
      metrics.observe(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

@Global()
@Module({
  providers: [MetricsService],
  controllers: [OperationsController],
  exports: [MetricsService],
})
export class ObservabilityModule {}
