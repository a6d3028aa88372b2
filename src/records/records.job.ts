import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { BackgroundJobs } from '../platform/jobs/background-jobs';
import { RecordsService } from './records.service';

/** Every minute: post the records whose public notice has ended. Safe on several instances. */
@Injectable()
export class RecordsJob {
  private readonly logger = new Logger('RecordsJob');

  constructor(
    private readonly records: RecordsService,
    private readonly jobs: BackgroundJobs,
  ) {}

  @Cron(CronExpression.EVERY_MINUTE)
  run(): Promise<void> {
    // A slow run is not overlapped by the next tick (BackgroundJobs runs one of a name at a time).
    return this.jobs.run('posting records after notice', async () => {
      const n = await this.records.postDueRecords();
      if (n) this.logger.log(`posted ${n} record(s) after public notice`);
    });
  }
}
