import { spawn } from 'child_process';
import * as path from 'path';
import { workerDbUrl } from '../helpers/test-db';
import { TEST_ADMIN_TOKEN, TEST_PII_KEY } from '../helpers/test-app';

const ROOT = path.join(__dirname, '..', '..');

function boot(env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, TS_NODE_PROJECT: 'test/tsconfig.json', LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, output: () => out };
}

describe('boot (e2e, the real main.ts)', () => {
  it('refuses to start on bad configuration, listing every problem', async () => {
    const b = boot({ PORT: 'x', DATABASE_URL: 'nope', MIGRATIONS_RUN: 'sometimes' });
    expect(await b.exited).toBe(2);
    for (const name of ['PORT', 'DATABASE_URL', 'MIGRATIONS_RUN', 'ADMIN_TOKEN', 'PII_KEY']) expect(b.output()).toContain(name);
  }, 30_000);

  it('serves /health on DATABASE_URL and stops cleanly on SIGTERM', async () => {
    const port = 39000 + Number(process.env.JEST_WORKER_ID ?? '1');
    const b = boot({ PORT: String(port), DATABASE_URL: workerDbUrl(), ADMIN_TOKEN: TEST_ADMIN_TOKEN, PII_KEY: TEST_PII_KEY, DEMO: 'false' });
    let health: Response | undefined;
    for (let i = 0; i < 100 && !health; i++) {
      await new Promise((r) => setTimeout(r, 200));
      health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    }
    expect(health?.status).toBe(200);
    expect(await health!.json()).toEqual({ status: 'ok', db: 'ok' });
    expect(b.output()).not.toContain('ADMIN_TOKEN='); // only printed when generated
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(b.output()).toContain('已停止');
  }, 60_000);
});
