import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DemoFacts, DemoLoader } from '../../src/demo/demo-loader';
import { startAppOnOwnDatabase, TestApp } from './test-app';

export interface DemoApp extends TestApp {
  /** Where the app listens, for clients outside supertest (fetch, the example client). */
  base: string;
  facts: DemoFacts;
  /** A scratch directory of the test's, removed on close. */
  dir: string;
}

/** The app on a database of its own, listening, with a tenth of the demo county loaded (as `npm start` loads it). */
export async function startDemoApp(name: string): Promise<DemoApp> {
  const t = await startAppOnOwnDatabase(name);
  const dir = mkdtempSync(path.join(tmpdir(), `jifen-${name}-`));
  const facts = (await new DemoLoader(t.app, dir, () => undefined).load(path.join(__dirname, '..', '..', 'config'), { scale: 0.1 })).facts!;
  return {
    ...t,
    facts,
    dir,
    close: async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
