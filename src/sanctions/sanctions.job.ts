import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { BackgroundJobs } from '../platform/jobs/background-jobs';
import { SanctionsService } from './sanctions.service';

/** Every night: re-evaluate sanctions, since deductions age out of rolling windows without any posting to trigger it. */
@Injectable()
export class SanctionsJob {
  private readonly logger = new Logger('SanctionsJob');

  constructor(
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
}
