import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { RecordsService } from './records.service';

/** Every minute: post the records whose public notice has ended. Safe on several instances. */
@Injectable()
export class RecordsJob {
  private readonly logger = new Logger('RecordsJob');
  private running = false;

  constructor(private readonly records: RecordsService) {}

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
