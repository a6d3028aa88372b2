import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { DemoFacts, DemoLoader } from '../../src/demo/demo-loader';
import { shanghaiToday } from '../../src/platform/util/business-date';
import { brokenBody, brokenCsv, Doc, FuzzRequest, hostilePathValue, hostileQueryValue, jsonMutation, Operation, operations, structuralMutations, valueOf } from '../helpers/fuzz-requests';
import { rawRequest } from '../helpers/raw-http';
import { asAdmin, bearer, startAppOnOwnDatabase, TestApp } from '../helpers/test-app';

/**
 * The project's own fuzz test (issue 16). It walks the live OpenAPI document
 * and, for every operation, sends generated malformed requests: missing and
 * mistyped fields at any depth, wrong nesting, pollution keys, bad dates, huge
 * strings and arrays, broken JSON, wrong content types, hostile query and path
 * values, and for CSV uploads broken files. For each it asserts: no 5xx, no
 * connection reset (supertest throws on one), and, when the request is refused
 * (4xx), no table's row count changed.
 *
 * `npm test` runs a small sample with a fixed seed; FUZZ_RUNS=n runs n requests
 * per operation, FUZZ_SEED=s another seed. The fixture is the demo county (at a
 * tenth of its size) in a database of its own, with the background jobs off, so
 * that nothing but the requests changes a row.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);

jest.setTimeout(Math.max(300_000, RUNS * 120 * 1000));

/** Tables a refused request may legitimately write: failed PIN attempts and their lockout, the bank's access log (every read is logged, 404s too) and its rate-limit bucket (every bank request takes a token). */
const MAY_CHANGE_ON_REFUSAL = new Set(['pin_guards', 'pin_lockouts', 'bank_access_log', 'bank_rate_buckets', 'sign_in_failures']);

describe('fuzz: every operation of the OpenAPI document with malformed requests (e2e)', () => {
  let t: TestApp;
  let dir: string;
  let facts: DemoFacts;
  let doc: Doc;
  let ids: Record<string, string>;
  let countSql: string;
  let db: DataSource;
  let sent = 0;
  let keys = 0;
  let base: string;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    const started = await startAppOnOwnDatabase('fuzz');
    t = started;
    base = started.base;
    dir = mkdtempSync(path.join(tmpdir(), 'jifen-fuzz-'));
    facts = (await new DemoLoader(t.app, dir, () => undefined).load(path.join(__dirname, '..', '..', 'config'), { scale: 0.1 })).facts!;
    db = t.app.get(DataSource);
    doc = (await t.http().get('/docs-json')).body;
    const one = async (sql: string) => ((await db.query(sql, [facts.tenantId]))[0] ?? {}).id as string | undefined;
    ids = {
      household: facts.tour.householdId,
      person: facts.tour.personIds[0],
      shop: facts.tour.shopId,
      fund: facts.tour.fundId,
      bank: facts.tour.bankId,
      village: facts.tour.villageCode,
      sku: (await db.query(`SELECT sku AS id FROM shop_items WHERE tenant_id = $1 AND shop_id = $2 LIMIT 1`, [facts.tenantId, facts.tour.shopId]))[0].id,
      menuCode: (await one(`SELECT code AS id FROM service_menu WHERE tenant_id = $1 LIMIT 1`)) ?? 'M01',
      record: (await one(`SELECT id FROM records WHERE tenant_id = $1 ORDER BY status = 'submitted' DESC, created_at DESC LIMIT 1`))!,
      transaction: (await one(`SELECT id FROM ledger_transactions WHERE tenant_id = $1 LIMIT 1`))!,
      ruleset: (await one(`SELECT id FROM rule_sets WHERE tenant_id = $1 AND status = 'active' LIMIT 1`))!,
      activity: (await one(`SELECT id FROM activities WHERE tenant_id = $1 LIMIT 1`))!,
      serviceRecord: (await one(`SELECT id FROM service_records WHERE tenant_id = $1 ORDER BY status = 'submitted' DESC LIMIT 1`))!,
      redemption: (await one(`SELECT id FROM redemptions WHERE tenant_id = $1 LIMIT 1`))!,
      settlement: (await one(`SELECT id FROM settlements WHERE tenant_id = $1 LIMIT 1`))!,
      scorecard: (await one(`SELECT id FROM scorecards WHERE tenant_id = $1 LIMIT 1`))!,
      gradeRun: (await one(`SELECT id FROM grade_runs WHERE tenant_id = $1 LIMIT 1`))!,
      board: (await one(`SELECT id FROM boards WHERE tenant_id = $1 LIMIT 1`))!,
      consent: (await one(`SELECT id FROM consents WHERE tenant_id = $1 LIMIT 1`))!,
      team: (await one(`SELECT id FROM teams WHERE tenant_id = $1 LIMIT 1`))!,
      order: (await one(`SELECT id FROM service_orders WHERE tenant_id = $1 LIMIT 1`))!,
      // Not one of the keys the fuzz signs in with: a valid DELETE would revoke it.
      apiKey: (await one(`SELECT id FROM api_keys WHERE tenant_id = $1 AND name LIKE '%白泉乡%' LIMIT 1`))!,
      idNumber: facts.tour.idNumber,
    };
    const tables: string[] = (await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r: { tablename: string }) => r.tablename)
      .filter((n: string) => !MAY_CHANGE_ON_REFUSAL.has(n) && n !== 'migrations');
    countSql = `SELECT ${tables.map((n) => `(SELECT count(*) FROM "${n}")::int AS "${n}"`).join(', ')}`;
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
    const histogram = [...statuses].sort(([a], [b]) => a - b).map(([k, n]) => `${k}×${n}`).join(' ');
    process.stdout.write(`[fuzz] ${sent} requests, ${RUNS} per operation, seed ${SEED}; answers ${histogram}\n`);
  });

  const today = shanghaiToday();
  /** Real values by field or parameter name, so that requests get past validation and mutations reach deeper. */
  const hints = (name: string): fc.Arbitrary<unknown> | undefined => {
    const holder = fc.constantFrom({ type: 'household', id: ids.household }, { type: 'person', id: ids.person });
    const table: Record<string, fc.Arbitrary<unknown>> = {
      holder, requester: holder, from: fc.constantFrom<unknown>('issuer', { type: 'household', id: ids.household }), to: fc.constantFrom<unknown>('issuer', { type: 'household', id: ids.household }),
      holderId: fc.constant(ids.household), householdId: fc.constant(ids.household), personId: fc.constant(ids.person),
      shopId: fc.constant(ids.shop), fundId: fc.constant(ids.fund), bankId: fc.constant(ids.bank), teamId: fc.constant(ids.team),
      tenantId: fc.constant(facts.tenantId), activityId: fc.constant(ids.activity), scorecardId: fc.constant(ids.scorecard), householdRef: fc.constant(ids.household),
      villageCode: fc.constant(ids.village), regionCode: fc.constantFrom(ids.village, facts.county), under: fc.constant(facts.county),
      asset: fc.constantFrom('CONDUCT', 'YIBI'), ruleCode: fc.constantFrom('R01', 'Y03'), menuCode: fc.constant(ids.menuCode), sku: fc.constant(ids.sku),
      pin: fc.constant('123456'), idNumber: fc.constant(ids.idNumber),
      amount: fc.constantFrom('1', '2.50', '10'), points: fc.constantFrom('1', '5'), price: fc.constantFrom('1', '3'), quantity: fc.constantFrom('1', '2'),
      hours: fc.constantFrom('1', '1.5'), rate: fc.constant('0.0385'), conversionRate: fc.constant('1'), creditLine: fc.constant('50000'),
      occurredOn: fc.constant(today), asOf: fc.constant(today), through: fc.constant(today), effectiveFrom: fc.constant('2027-01-01'), date: fc.constant(today),
      expiresOn: fc.constant('2027-12-31'), grantedOn: fc.constant(today), on: fc.constant(today), period: fc.constantFrom('2026-10', '2026-Q4'),
      startsAt: fc.constant(new Date(Date.now() - 7200_000).toISOString()), endsAt: fc.constant(new Date(Date.now() - 3600_000).toISOString()),
    };
    return table[name];
  };

  const pathValue = (op: Operation, name: string): string => {
    if (name === 'type') return 'household';
    if (name === 'sku') return ids.sku;
    if (name === 'villageCode') return ids.village;
    if (name === 'period') return '2026-10';
    if (name === 'householdId') return ids.household;
    const seg = op.path.split('/')[op.path.startsWith('/public') ? 2 : 2];
    const byResource: Record<string, string> = {
      households: ids.household, people: ids.person, holders: ids.household, transactions: ids.transaction, rulesets: ids.ruleset, records: ids.record,
      activities: ids.activity, 'service-records': ids.serviceRecord, funds: ids.fund, shops: ids.shop, redemptions: ids.redemption, settlements: ids.settlement,
      scorecards: ids.scorecard, 'grade-runs': ids.gradeRun, boards: ids.board, consents: ids.consent, 'service-orders': ids.order, 'api-keys': ids.apiKey,
    };
    return byResource[op.path.split('/')[2]] ?? byResource[seg] ?? '00000000-0000-4000-8000-000000000000';
  };

  const authFor = (op: Operation): Record<string, string> => {
    const roles = op['x-roles'];
    if (!roles) return {}; // public
    if (!roles.length) return asAdmin; // platform only
    const role = roles.includes('admin') ? 'admin' : roles[0];
    return bearer(facts.keys[role as keyof typeof facts.keys]!);
  };

  /** A generated request for `op`: plausible, then broken in one to three ways. */
  const requestFor = (op: Operation): fc.Arbitrary<FuzzRequest> => {
    const params = op.parameters ?? [];
    const pathParams = params.filter((p) => p.in === 'path');
    const queryParams = params.filter((p) => p.in === 'query');
    const content = op.requestBody?.content ?? {};
    const jsonSchema = content['application/json']?.schema;
    const csv = 'text/csv' in content || op.path.endsWith('/import');
    const base = fc.record({
      pathValues: fc.tuple(...pathParams.map((p) => fc.oneof({ weight: 4, arbitrary: fc.constant(pathValue(op, p.name)) }, { weight: 1, arbitrary: hostilePathValue }))),
      query: fc.tuple(...queryParams.map((p) => fc.oneof(
        { weight: 3, arbitrary: valueOf(doc, p.name, p.schema, hints).map((v) => (v === undefined ? undefined : String(v))) },
        { weight: 2, arbitrary: hostileQueryValue },
        { weight: 2, arbitrary: fc.constant(undefined) },
      ))),
      extraQuery: fc.option(fc.tuple(fc.constantFrom('zzz', 'limit', 'cursor', '__proto__', 'asOf', 'tenantId'), hostileQueryValue), { nil: undefined }),
      idempotency: fc.oneof({ weight: 14, arbitrary: fc.constant('unique') }, { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(300), 'clé', 'a b') }, { weight: 1, arbitrary: fc.constant(undefined) }),
      accept: fc.constantFrom(undefined, 'text/html', 'application/xml', '*/*'),
    });
    const body: fc.Arbitrary<{ type?: string; body?: Buffer; what: string[] }> = csv
      ? brokenCsv('holderType,holderId,ruleCode,quantity,occurredOn,note', fc.constantFrom(`household,${ids.household},R01,1,${today},好`, `person,${ids.person},R01,,${today},`, `household,${ids.household},Y03,2,2026-02-30,x`))
          .map((b) => ({ type: b.type, body: b.body, what: [b.what] }))
      : jsonSchema
        ? fc.oneof(
            { weight: 6, arbitrary: fc.tuple(valueOf(doc, '$body', jsonSchema, hints), fc.oneof({ weight: 3, arbitrary: fc.array(jsonMutation, { minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.array(jsonMutation, { minLength: 2, maxLength: 3 }) })).map(([v, ms]) => {
              let b = v as never;
              let raw: string | undefined;
              const what: string[] = [];
              for (const m of ms) {
                const r = m(b);
                b = r.body as never;
                if (r.raw) raw = r.raw;
                what.push(r.what);
              }
              return { type: 'application/json', body: Buffer.from(raw ?? JSON.stringify(b)), what };
            }) },
            { weight: 1, arbitrary: fc.tuple(valueOf(doc, '$body', jsonSchema, hints)).map(([v]) => ({ type: 'application/json', body: Buffer.from(JSON.stringify(v)), what: ['as generated'] })) },
            { weight: 2, arbitrary: brokenBody.map((b) => ({ type: b.type, body: b.body, what: [b.what] })) },
          )
        : fc.oneof(
            { weight: 3, arbitrary: fc.constant({ what: ['no body'] as string[] }) },
            { weight: 1, arbitrary: brokenBody.map((b) => ({ type: b.type, body: b.body, what: [b.what] })) },
          );
    return fc.tuple(base, body).map(([b, bd]) => {
      let url = op.path;
      pathParams.forEach((p, i) => (url = url.replace(`{${p.name}}`, encodeURIComponent(b.pathValues[i]).replace(/%25/g, '%'))));
      const query: [string, string][] = [];
      queryParams.forEach((p, i) => b.query[i] !== undefined && query.push([p.name, b.query[i] as string]));
      if (b.extraQuery) query.push(b.extraQuery);
      const headers: Record<string, string> = { ...authFor(op) };
      if (b.idempotency !== undefined && op.method === 'post') headers['Idempotency-Key'] = b.idempotency === 'unique' ? `fuzz-${++keys}` : b.idempotency;
      if (b.accept) headers.Accept = b.accept;
      if (bd.type) headers['Content-Type'] = bd.type;
      return { path: url, query, headers, body: bd.body, mutations: bd.what };
    });
  };

  const counts = async (): Promise<Record<string, number>> => (await db.query(countSql))[0];

  /** Exactly these bytes on a real socket (a client library would re-encode them); a reset or a hang rejects. */
  const send = (op: Operation, r: FuzzRequest) => {
    const qs = r.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    sent++;
    return rawRequest(base, op.method.toUpperCase(), `${r.path}${qs ? `?${qs}` : ''}`, r.headers, r.body, 30_000);
  };

  const ops = () => operations(doc);

  /** Sends one request and says what is wrong with the answer, or null. */
  const check = async (op: Operation, r: FuzzRequest): Promise<string | null> => {
    const before = await counts();
    let res: { status: number; body: any };
    try {
      res = await send(op, r);
    } catch (e) {
      return `no answer (${(e as Error).message}) to ${r.mutations.join('; ')}`;
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (process.env.FUZZ_TRACE && op.path.includes(process.env.FUZZ_TRACE)) process.stdout.write(`${op.method} ${r.path} ${res.status} ${r.mutations.join('; ')} ${r.body?.toString().slice(0, 300)} → ${JSON.stringify(res.body).slice(0, 300)}\n`);
    if (res.status >= 500) return `${res.status} ${JSON.stringify(res.body).slice(0, 300)} for ${r.mutations.join('; ')} query ${JSON.stringify(r.query).slice(0, 200)} path ${r.path.slice(0, 120)}`;
    if (res.status >= 400) {
      const after = await counts();
      const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
      if (changed.length) return `${res.status} ${res.body?.code} yet ${changed.join(', ')} changed, for ${r.mutations.join('; ')}`;
    }
    return null;
  };

  it('no operation answers 5xx or writes a row when a field at any depth is missing, null, of the wrong kind or wrapped in an array', async () => {
    const failures: string[] = [];
    let cases = 0;
    for (const [i, op] of ops().entries()) {
      const schema = op.requestBody?.content['application/json']?.schema;
      if (!schema) continue;
      const params = op.parameters ?? [];
      let url = op.path;
      for (const p of params.filter((x) => x.in === 'path')) url = url.replace(`{${p.name}}`, pathValue(op, p.name));
      const [valid] = fc.sample(valueOf(doc, '$body', schema, hints), { numRuns: 1, seed: SEED + i });
      for (const m of structuralMutations(valid)) {
        cases++;
        const headers: Record<string, string> = { ...authFor(op), 'Content-Type': 'application/json' };
        if (op.method === 'post') headers['Idempotency-Key'] = `fuzz-${++keys}`;
        const problem = await check(op, { path: url, query: [], headers, body: Buffer.from(JSON.stringify(m.body)), mutations: [m.what] });
        if (problem) failures.push(`${op.method.toUpperCase()} ${op.path}: ${problem}`);
      }
    }
    expect(cases).toBeGreaterThan(300);
    expect(failures).toEqual([]);
  });

  it('the document lists the operations (the walk covers something)', () => {
    expect(ops().length).toBeGreaterThan(100);
  });

  // One property per operation, so that a failure names its operation; the list is read from the live document.
  let errorLines: unknown[][] = [];
  beforeEach(() => {
    const spy = jest.spyOn(Logger.prototype, 'error');
    errorLines = spy.mock.calls;
  });
  afterEach(() => jest.restoreAllMocks());

  it('no operation answers 5xx, drops the connection, or writes a row when it refuses', async () => {
    const failures: string[] = [];
    let why = '';
    for (const [i, op] of ops().entries()) {
      if (op.path === '/metrics' || op.path === '/health') continue; // no input to break
      try {
        await fc.assert(
          fc.asyncProperty(requestFor(op), async (r) => {
            why = (await check(op, r)) ?? '';
            if (why) throw new Error(why);
          }),
          { numRuns: RUNS, seed: SEED + i, endOnFailure: true },
        );
      } catch (e) {
        failures.push(`${op.method.toUpperCase()} ${op.path}: ${why || (e as Error).message.slice(0, 600)}`);
      }
    }
    expect(failures).toEqual([]);
    // Nothing the service logged as its own error either: a 500 that never reached a client
    // (its connection gone) is still a fault, and an error line for a client's hang-up is noise.
    expect(errorLines.map((c) => String(c[0]).slice(0, 300))).toEqual([]);
    // The service is still up and its books still balance after all of it.
    expect((await t.http().get('/health')).status).toBe(200);
    const verify = await t.http().get('/v1/ledger/verify').set(bearer(facts.keys.admin!));
    expect(verify.body).toMatchObject({ balanced: true, balancesMatchEntries: true });
  });
});
