import { SchedulerRegistry } from '@nestjs/schedule';
import { currentLane } from '../../src/platform/database/db-context';
import { BackgroundJobs } from '../../src/platform/jobs/background-jobs';
import { startTestApp, TestApp } from '../helpers/test-app';

const INTERVALS = ['jifen:expiring held redemptions', 'jifen:expiring holds', 'jifen:recording expired consents', 'jifen:sealing the ledger'];

/** Every timer is @nestjs/schedule's, and JOBS turns them off by configuration (issue 17). */
describe('background jobs (integration)', () => {
  describe('with JOBS on', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ jobs: true });
    });
    afterAll(async () => t?.close());

    it('registers the periodic jobs as named intervals in the scheduler registry', () => {
      const names = t.app.get(SchedulerRegistry).getIntervals();
      expect(names.filter((n) => n.startsWith('jifen:')).sort()).toEqual(INTERVALS);
    });

    it('runs a job on the job lane, and never the same job twice at once', async () => {
      const jobs = t.app.get(BackgroundJobs);
      const lanes: (string | undefined)[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let runs = 0;
      const job = async () => {
        runs++;
        lanes.push(currentLane());
        await gate;
      };
      const first = jobs.run('probe', job);
      const second = jobs.run('probe', job);
      release();
      await Promise.all([first, second]);
      expect(runs).toBe(1);
      expect(lanes).toEqual(['job']);
      await jobs.run('probe', job);
      expect(runs).toBe(2);
    });

    it('logs a failing job instead of throwing it at the timer', async () => {
      const jobs = t.app.get(BackgroundJobs);
      await expect(jobs.run('failing probe', async () => Promise.reject(new Error('boom')))).resolves.toBeUndefined();
    });

    it('removes its intervals when the application closes', async () => {
      const registry = t.app.get(SchedulerRegistry);
      await t.close();
      expect(registry.getIntervals().filter((n) => n.startsWith('jifen:'))).toEqual([]);
      t = undefined as unknown as TestApp;
    });
  });

  it('with JOBS=false registers no interval and runs nothing', async () => {
    const t = await startTestApp({ jobs: false });
    try {
      expect(t.app.get(SchedulerRegistry).getIntervals().filter((n) => n.startsWith('jifen:'))).toEqual([]);
      let ran = false;
      await t.app.get(BackgroundJobs).run('probe', async () => {
        ran = true;
      });
      expect(ran).toBe(false);
    } finally {
      await t.close();
    }
  });
});
