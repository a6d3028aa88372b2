import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { BackgroundJobs } from '../platform/jobs/background-jobs';
import { RecordsService } from './records.service';
import { SanctionsService } from './sanctions.service';

/**
 * Every minute: post the records whose public notice has ended. Safe on
 * several instances. Every night: re-evaluate sanctions, since deductions age
 * out of rolling windows without any posting to trigger it.
 */
@Injectable()
export class RecordsJob {
  private readonly logger = new Logger('RecordsJob');

  constructor(
    private readonly records: RecordsService,
    private readonly sanctions: SanctionsService,
    private readonly jobs: BackgroundJobs,
  ) {}

  @Cron('30 0 * * *', { timeZone: 'Asia/Shanghai' })
  nightly(): Promise<void> {
    return this.jobs.run('re-evaluating sanctions', async () => {
      const r = await this.sanctions.reevaluateAll(undefined, null, (done, total) => this.logger.log(`惩戒重新评估：${done}/${total} 户`));
      this.logger.log(`sanctions re-evaluated for ${r.households} household(s): ${r.activated} activated, ${r.lifted} lifted`);
    });
  }

  @Cron(CronExpression.EVERY_MINUTE)
  run(): Promise<void> {
    // A slow run is not overlapped by the next tick (BackgroundJobs runs one of a name at a time).
    return this.jobs.run('posting records after notice', async () => {
      const n = await this.records.postDueRecords();
      if (n) this.logger.log(`posted ${n} record(s) after public notice`);
    });
  }
}
