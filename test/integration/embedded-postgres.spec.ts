import { ChildProcess, spawn } from 'child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { loadOrCreateSecrets } from '../../src/platform/embedded/runtime';

const CHILD = path.join(__dirname, '..', 'helpers', 'embedded-child.ts');

function run(args: string[]): { child: ChildProcess; output: Promise<string> } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD, ...args], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', 'tsconfig.json') },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const output = new Promise<string>((resolve) => {
    const check = setInterval(() => {
      if (out.includes('READY') || out.includes('COUNT') || out.includes('FAILED')) {
        clearInterval(check);
        resolve(out);
      }
    }, 50);
    child.on('exit', () => {
      clearInterval(check);
      resolve(out);
    });
  });
  return { child, output };
}

/** The lifecycle `npm start` relies on: first start, a killed run, a stale pid file. */
describe('embedded PostgreSQL lifecycle (integration)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jifen-embedded-'));
  chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'pg');
  const port = String(55000 + Number(process.env.JEST_WORKER_ID ?? '1') * 7);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('survives a SIGKILLed run (orphaned server) and a stale pid file, keeping the data', async () => {
    const first = run(['start-and-hang', dataDir, port]);
    expect(await first.output).toContain('READY');
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // While its jifen is alive, a second start must leave the server alone.
    const intruder = run(['start-expect-running', dataDir, port]);
    expect(await intruder.output).toContain(`COUNT running on ${port}`);
    expect(() => process.kill(pid, 0)).not.toThrow();
    first.child.kill('SIGKILL'); // the server it started keeps running, orphaned
    await new Promise((r) => first.child.on('exit', r));
    expect(() => process.kill(pid, 0)).not.toThrow();

    const second = run(['start-count-stop', dataDir, port]);
    expect(await second.output).toContain('COUNT 1');
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);

    // A crash of the server itself leaves a pid file naming a process that is gone.
    writeFileSync(path.join(dataDir, 'postmaster.pid'), `999999\n${dataDir}\n`);
    const third = run(['start-count-stop', dataDir, port]);
    expect(await third.output).toContain('COUNT 1');
  }, 120_000);

  it('generates embedded-mode secrets once and reuses them', () => {
    const a = loadOrCreateSecrets(path.join(dir, 'secrets'));
    const b = loadOrCreateSecrets(path.join(dir, 'secrets'));
    expect(a).toEqual(b);
    expect(a.adminToken.length).toBeGreaterThanOrEqual(16);
  });
});
