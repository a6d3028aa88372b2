import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
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
  private running = false;

  constructor(
    private readonly records: RecordsService,
    private readonly sanctions: SanctionsService,
  ) {}

  @Cron('30 0 * * *', { timeZone: 'Asia/Shanghai' })
  async nightly(): Promise<void> {
    try {
      const r = await this.sanctions.reevaluateAll(undefined, null, (done, total) => this.logger.log(`惩戒重新评估：${done}/${total} 户`));
      this.logger.log(`sanctions re-evaluated for ${r.households} household(s): ${r.activated} activated, ${r.lifted} lifted`);
    } catch (e) {
      this.logger.warn(`sanction re-evaluation failed: ${String(e)}`);
    }
  }

  @Cron(CronExpression.EVERY_MINUTE)
  async run(): Promise<void> {
    if (this.running) return; // a slow run is not overlapped by the next tick
    this.running = true;
    try {
      const n = await this.records.postDueRecords();
      if (n) this.logger.log(`posted ${n} record(s) after public notice`);
    } catch (e) {
      this.logger.warn(`notice job failed: ${String(e)}`);
    } finally {
      this.running = false;
    }
  }
}
