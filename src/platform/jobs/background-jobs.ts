import { Global, Injectable, Logger, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { detachedOnLane } from '../database/db-context';

/**
 * The one way scheduled work runs: on the job lane (its own connections, no
 * statement_timeout), never twice at once in this process, its failure logged
 * rather than thrown at a timer. `JOBS=false` turns it all off in a process
 * (an instance that only serves requests, or a test that counts rows).
 * Daily and minute jobs are `@Cron` methods that call `run`; periodic ones
 * (`every`) are intervals in @nestjs/schedule's registry, named `jifen:<job>`.
 */
@Injectable()
export class BackgroundJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('BackgroundJobs');
  private readonly periodic: { name: string; ms: number; fn: () => Promise<unknown> }[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  get enabled(): boolean {
    return this.config.jobs && !this.stopped;
  }

  /** Runs `fn` every `ms` once the application has booted. */
  every(name: string, ms: number, fn: () => Promise<unknown>): void {
    this.periodic.push({ name, ms, fn });
  }

  /** Runs a job now, unless jobs are off or the same job is still running here. */
  run(name: string, fn: () => Promise<unknown>): Promise<void> {
    if (!this.enabled || this.running.has(name)) return Promise.resolve();
    const done = detachedOnLane('job', fn)
      .then(() => undefined)
      .catch((e) => this.logger.warn(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
      .finally(() => this.running.delete(name));
    this.running.set(name, done);
    return done;
  }

  onApplicationBootstrap(): void {
    if (!this.config.jobs) return;
    for (const p of this.periodic) {
      const timer = setInterval(() => void this.run(p.name, p.fn), p.ms);
      timer.unref();
      this.scheduler.addInterval(`jifen:${p.name}`, timer);
    }
  }

  /** Stops the timers and waits for jobs under way, so that the pool closes under none. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const p of this.periodic) if (this.scheduler.doesExist('interval', `jifen:${p.name}`)) this.scheduler.deleteInterval(`jifen:${p.name}`);
    await Promise.all(this.running.values());
  }
}

@Global()
@Module({ providers: [BackgroundJobs], exports: [BackgroundJobs] })
export class JobsModule {}
