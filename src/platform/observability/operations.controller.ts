import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../../auth/access.decorator';
import { MetricsService } from './metrics.service';

const HEALTH = { type: 'object', required: ['status', 'db'], properties: { status: { type: 'string', enum: ['ok', 'error'] }, db: { type: 'string', enum: ['ok', 'down'] } } };

@ApiTags('operations')
@Controller()
export class OperationsController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  /** Liveness and database reachability: 200 `{status:"ok",db:"ok"}` or 503. */
  @Get('health')
  @Public()
  @ApiOkResponse({ description: 'Up, and the database answers.', content: { 'application/json': { schema: HEALTH } } })
  @ApiResponse({ status: 503, description: 'The database does not answer within 2 s.', content: { 'application/json': { schema: HEALTH } } })
  async health(@Res() res: Response): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), 2000);
        }),
      ]);
      res.status(200).json({ status: 'ok', db: 'ok' });
    } catch {
      res.status(503).json({ status: 'error', db: 'down' });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Prometheus text format. */
  @Get('metrics')
  @Public()
  @ApiOkResponse({ description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } })
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
