import { createHash, createPublicKey, randomUUID, verify } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import type { DemoFacts } from '../../src/demo/demo-loader';
import { shanghaiToday } from '../../src/platform/util/business-date';
import { DemoApp, startDemoApp } from '../helpers/demo-app';

const ROOT = path.join(__dirname, '..', '..');

/** `$NAME`, `${NAME}` and `$(uuidgen)` as the shell expands them; an unset variable is the page's mistake. */
function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\(uuidgen\)/g, () => randomUUID()).replace(/\$\{?([A-Z_]+)\}?/g, (_m, name: string) => {
    if (env[name] === undefined) throw new Error(`$${name} is not set by the page`);
    return env[name];
  });
}

/** A command line split into words as sh would: single quotes literal, double quotes and bare words expanded, adjacent parts joined. */
function words(line: string, env: Record<string, string>): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; ) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unbalanced ${c} in: ${line}`);
      const part = line.slice(i + 1, end);
      cur += c === "'" ? part : expand(part, env);
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < line.length && !/[\s'"]/.test(line[j])) j++;
    cur += expand(line.slice(i, j), env);
    i = j;
  }
  if (inWord) out.push(cur);
  return out;
}

interface Answer {
  method: string;
  url: URL;
  status: number;
  headers: Headers;
  body: Buffer;
  json: unknown;
}

/** The part of curl the pages use: -X, -H, -d (POST, form-encoded unless a Content-Type is given), -s, -D, -o, one URL. */
async function curl(args: string[]): Promise<Answer> {
  let method: string | undefined;
  let data: string | undefined;
  let url: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-X') method = args[++i];
    else if (a === '-H') {
      const h = args[++i];
      const colon = h.indexOf(':');
      headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
    } else if (a === '-d') data = args[++i];
    else if (a === '-o' || a === '-D' || a === '-sD') i++;
    else if (a === '-s') continue;
    else if (a.startsWith('-')) throw new Error(`curl option ${a} is not one the pages use`);
    else if (url) throw new Error(`two URLs: ${url} and ${a}`);
    else url = a;
  }
  if (!url) throw new Error('no URL');
  if (data !== undefined && !headers['content-type']) headers['content-type'] = 'application/x-www-form-urlencoded';
  const m = method ?? (data === undefined ? 'GET' : 'POST');
  const res = await fetch(url, { method: m, headers, body: data });
  const body = Buffer.from(await res.arrayBuffer());
  const json = /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(body.toString('utf8')) : undefined;
  return { method: m, url: new URL(url), status: res.status, headers: res.headers, body, json };
}

interface PageRun {
  answers: Answer[];
  documented: Set<string>;
  used: Set<string>;
}

/**
 * Runs every `sh` block of a page, in order: variable lines name what the page asks the
 * reader to set, curl lines are run and must answer 2xx, or the status their `# → NNN`
 * comment names.
 */
async function runPage(file: string, env: Record<string, string>, after: (a: Answer) => void): Promise<PageRun> {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].replace(/\\\n\s*/g, ' '));
  const run: PageRun = { answers: [], documented: new Set(), used: new Set() };
  for (const block of blocks) {
    for (const raw of block.split('\n')) {
      const expected = /#\s*→\s*(\d{3})\s*$/.exec(raw)?.[1];
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (!line) continue;
      const assignment = /^([A-Z_]+)=/.exec(line);
      if (assignment) {
        run.documented.add(assignment[1]);
        continue;
      }
      if (!line.startsWith('curl ')) throw new Error(`${file}: a line the test cannot run: ${line}`);
      for (const m of line.matchAll(/\$\{?([A-Z_]+)\}?/g)) run.used.add(m[1]);
      const answer = await curl(words(line, env).slice(1));
      if (expected ? answer.status !== Number(expected) : answer.status >= 300) throw new Error(`${file}: ${line}\n→ ${answer.status} ${answer.body.toString('utf8')}`);
      run.answers.push(answer);
      after(answer);
    }
  }
  return run;
}

/**
 * The integrator pages (issue 22) show curl commands; this runs each of them, in
 * order, against a server with the demo county, with the variables the page
 * asks the reader to set, and follows the bank page's steps for verifying a
 * signed export. A renamed path, field or header in the API fails here.
 */
describe('the curl examples of docs/integrators-*.md, against the server (e2e)', () => {
  let t: DemoApp;
  let facts: DemoFacts;
  let base: string;

  beforeAll(async () => {
    t = await startDemoApp('integrator_docs');
    ({ facts, base } = t);
  }, 120_000);
  afterAll(() => t.close());

  it('docs/integrators-banks.md: the lookup, the signing keys, the export verified as the page says, a loan, the rate limit headers, a 404', async () => {
    const env: Record<string, string> = {
      JIFEN: base,
      KEY: facts.keys.bank!,
      BANK_ID: facts.tour.bankId,
      ID_NUMBER: facts.tour.idNumber,
      VILLAGE: facts.tour.villageCode,
    };
    const run = await runPage('docs/integrators-banks.md', env, (a) => {
      if (a.url.pathname === '/v1/bank/grades') env.HOUSEHOLD_REF = (a.json as { householdRef: string }).householdRef;
    });
    expect(run.answers.map((a) => `${a.method} ${a.url.pathname} ${a.status}`)).toEqual([
      'GET /v1/bank/grades 200',
      'GET /v1/bank/grades/export 200',
      'GET /v1/bank/signing-keys 200',
      'POST /v1/bank/loans 201',
      'GET /v1/bank/grades 200',
      'GET /v1/bank/grades 404',
    ]);
    // Each read spends one of the key's 60: the headers say so.
    const [lookup, , , loan, headers, unknown] = run.answers;
    expect(lookup.headers.get('ratelimit-limit')).toBe('60');
    const remaining = [lookup, loan, headers].map((a) => Number(a.headers.get('ratelimit-remaining')));
    expect(remaining[0]).toBeLessThan(60);
    expect(remaining[1]).toBeLessThan(remaining[0]);
    expect(remaining[2]).toBeLessThan(remaining[1]);
    expect(Number(headers.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    expect((unknown.json as { code: string }).code).toBe('not-found');
    expect([...run.used].filter((v) => !run.documented.has(v) && v !== 'HOUSEHOLD_REF')).toEqual([]);

    // "Verify it before you lend on it", step by step.
    const exp = run.answers[1];
    const digest = exp.headers.get('x-export-digest')!;
    expect(createHash('sha256').update(exp.body).digest('hex')).toBe(digest); // 1.
    const keys = (run.answers[2].json as { items: { keyId: string; publicKeyPem: string }[] }).items;
    const key = keys.find((k) => k.keyId === exp.headers.get('x-export-key-id')); // 2.
    expect(key).toBeDefined();
    const message = Buffer.from(`${digest}\n${exp.headers.get('x-export-run-id')}\n${env.BANK_ID}`, 'utf8'); // 3.
    expect(verify(null, message, createPublicKey(key!.publicKeyPem), Buffer.from(exp.headers.get('x-export-signature')!, 'base64'))).toBe(true);
    expect(exp.body.toString('utf8').split('\n').length).toBeGreaterThan(2);
  }, 60_000);

  it('docs/integrators-shops.md: the catalogue, a redemption by 户号 and PIN, a retry with the same key, a refusal, a hold completed, the day in pages, the statements', async () => {
    const admin = facts.keys.admin!;
    const household = (await t.http().get(`/v1/households/${facts.tour.householdId}`).set('Authorization', `Bearer ${admin}`)).body as { no: string };
    const env: Record<string, string> = {
      JIFEN: base,
      KEY: facts.keys.shopkeeper!,
      SHOP: facts.tour.shopId,
      HOUSEHOLD_NO: household.no,
      PIN: facts.tour.pin,
      TODAY: shanghaiToday(),
      RETRY_KEY: randomUUID(),
    };
    const run = await runPage('docs/integrators-shops.md', env, (a) => {
      if (a.method === 'POST' && a.url.pathname === '/v1/redemptions' && a.status === 201) env.REDEMPTION_ID = (a.json as { id: string }).id;
      if (a.method === 'GET' && a.url.pathname === '/v1/redemptions') env.NEXT_CURSOR = (a.json as { nextCursor: string | null }).nextCursor ?? '';
    });
    const [items, redeemed, first, retry, refused, held, completed, page1, page2] = run.answers;
    expect(run.answers.map((a) => `${a.method} ${a.url.pathname} ${a.status}`)).toEqual([
      `GET /v1/shops/${facts.tour.shopId}/items 200`,
      'POST /v1/redemptions 201',
      'POST /v1/redemptions 201',
      'POST /v1/redemptions 201',
      'POST /v1/redemptions 422',
      'POST /v1/redemptions 201',
      `POST /v1/redemptions/${(held.json as { id: string }).id}/complete 200`,
      'GET /v1/redemptions 200',
      'GET /v1/redemptions 200',
      'GET /v1/settlements 200',
    ]);
    expect((items.json as { items: { sku: string }[] }).items.map((i) => i.sku)).toContain('SOAP');
    // The retry answers what the first answered: the same redemption, not a second one.
    expect(retry.json).toEqual(first.json);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((refused.json as { code: string }).code).toBe('out-of-stock');
    expect([...run.used].filter((v) => !run.documented.has(v) && !['REDEMPTION_ID', 'NEXT_CURSOR'].includes(v))).toEqual([]);
    expect((redeemed.json as { status: string }).status).toBe('completed');
    expect((held.json as { status: string }).status).toBe('held');
    expect((completed.json as { status: string }).status).toBe('completed');
    // The day in pages of one: the second page follows the first's cursor.
    const [one, two] = [page1.json, page2.json] as { items: { id: string }[]; nextCursor: string | null }[];
    expect(one.items).toHaveLength(1);
    expect(one.nextCursor).not.toBeNull();
    expect(two.items).toHaveLength(1);
    expect(two.items[0].id).not.toBe(one.items[0].id);
  }, 60_000);
});
