import { execFile } from 'child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { DemoFacts } from '../../src/demo/demo-loader';
import { DemoApp, startDemoApp } from '../helpers/demo-app';

const ROOT = path.join(__dirname, '..', '..');

/**
 * A bank builds against the OpenAPI document (issue 22): types are generated
 * from the live document with openapi-typescript, examples/bank-client.ts is
 * type-checked against them (a renamed path or field fails here), and then it
 * runs against this server on the demo county: a grade by ID number, the
 * signed export verified with the key it names, a loan reported.
 */
describe('the bank client example, against the generated types and the server (e2e)', () => {
  let t: DemoApp;
  let facts: DemoFacts;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    t = await startDemoApp('bank_client');
    ({ facts, base, dir } = t);
  }, 120_000);
  afterAll(() => t.close());

  const run = (args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) =>
      execFile(process.execPath, args, { cwd: ROOT }, (e, stdout, stderr) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: stdout + stderr })),
    );

  it('generates the types, type-checks the example against them, and runs it green', async () => {
    const doc = (await t.http().get('/docs-json')).body;
    const docFile = path.join(dir, 'openapi.json');
    writeFileSync(docFile, JSON.stringify(doc));
    mkdirSync(path.join(ROOT, 'examples', 'generated'), { recursive: true });
    const typesFile = path.join(ROOT, 'examples', 'generated', 'jifen-api.d.ts');
    // openapi-typescript's CLI, in a process of its own (it is an ES module).
    const gen = await run([path.join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), docFile, '-o', typesFile]);
    expect(gen.code).toBe(0);
    expect(readFileSync(typesFile, 'utf8')).toContain('"/v1/bank/grades"');

    const tsc = await run([path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'examples', 'tsconfig.json')]);
    expect(tsc.out).toBe('');
    expect(tsc.code).toBe(0);

    // Loaded by a computed path: the example's own type check is the one above, against the generated types
    // (the repository's typecheck must not need them, since only this test generates them).
    const { runBankClient } = (await import(path.join(ROOT, 'examples', 'bank-client'))) as {
      runBankClient: (base: string, key: string, bankId: string, idNumber: string, regionCode: string, log: (l: string) => void) => Promise<{ signatureValid: boolean; exportLines: number; keyId: string; loanId: string }>;
    };
    const lines: string[] = [];
    const outcome = await runBankClient(base, facts.keys.bank!, facts.tour.bankId, facts.tour.idNumber, facts.tour.villageCode, (l) => lines.push(l));
    expect(outcome.signatureValid).toBe(true);
    expect(outcome.exportLines).toBeGreaterThan(0);
    expect(outcome.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(outcome.loanId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toHaveLength(3);
  }, 120_000);
});
