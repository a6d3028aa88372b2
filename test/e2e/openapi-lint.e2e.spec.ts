import { execFile } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { isTyped } from '../helpers/response-validation';
import { startTestApp, TestApp } from '../helpers/test-app';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The document integrators generate clients from (issue 22): `redocly lint`
 * with the recommended rules (.redocly.yaml) on the live /docs-json reports no
 * errors and no warnings.
 */
describe('the OpenAPI document passes redocly lint (e2e)', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp({ publicBaseUrl: 'https://jifen.example.cn' });
    dir = mkdtempSync(path.join(tmpdir(), 'jifen-openapi-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('has servers from PUBLIC_BASE_URL, an opaque bearer scheme, no security on public routes, and lints clean', async () => {
    const doc = (await t.http().get('/docs-json')).body;
    expect(doc.servers).toEqual([{ url: 'https://jifen.example.cn' }]);
    expect(doc.components.securitySchemes.bearer).not.toHaveProperty('bearerFormat');
    expect(doc.paths['/public/grades/{villageCode}'].get.security).toEqual([]);
    expect(doc.paths['/v1/records'].get.security).toEqual([{ bearer: [] }]);
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const out = await new Promise<string>((resolve) =>
      execFile(process.execPath, [path.join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js'), 'lint', file, '--config', path.join(ROOT, '.redocly.yaml'), '--format=json', '--max-problems', '1000'], { cwd: dir, maxBuffer: 32 << 20 }, (_e, stdout) => resolve(stdout)),
    );
    const problems = (JSON.parse(out) as { problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] }).problems;
    expect(problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
  }, 60_000);

  it('describes every JSON answer of every operation with a schema that names its fields, and every non-JSON one by its media type', async () => {
    type Op = { responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }> };
    const doc = (await t.http().get('/docs-json')).body as { paths: Record<string, Record<string, Op>> };
    const untyped: string[] = [];
    let operations = 0;
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operations++;
        for (const [status, r] of Object.entries(op.responses)) {
          if (!/^2/.test(status)) continue;
          if (!r.content && status !== '204') untyped.push(`${method.toUpperCase()} ${p} ${status}: no content declared`);
          for (const [media, c] of Object.entries(r.content ?? {})) {
            if (/^application\/(.+\+)?json$/.test(media) && !isTyped(c.schema)) untyped.push(`${method.toUpperCase()} ${p} ${status} ${media}: no schema`);
            if (!c.schema) untyped.push(`${method.toUpperCase()} ${p} ${status} ${media}: no schema`);
          }
        }
      }
    }
    expect(operations).toBeGreaterThan(150);
    expect(untyped).toEqual([]);
  });
});
