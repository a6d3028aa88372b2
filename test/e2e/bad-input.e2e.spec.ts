import * as http from 'http';
import type { AddressInfo } from 'net';
import { DataSource } from 'typeorm';
import { rawRequest } from '../helpers/raw-http';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

/**
 * The cases a new user hit (issue 16): each once gave a 5xx or killed the
 * process. Every one must now be a 4xx with problem+json, and the service
 * must go on serving.
 */
describe('bad input is the caller\'s, never a 5xx (e2e)', () => {
  let t: TestApp;
  let c: County;
  let hh: string;
  let base: string;

  /** A raw HTTP request on a real socket, so that a crash shows as a reset rather than a supertest error. */
  const raw = (method: string, path: string, headers: Record<string, string>, body: Buffer | string) => rawRequest(base, method, path, headers, body);

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    c = await makeCounty(t);
    hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
  });
  afterAll(async () => t.close());

  const expectProblem = (res: { status: number; headers: Record<string, string>; body: any }, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  };

  describe('CSV import', () => {
    const csvHeader = 'holderType,holderId,ruleCode,quantity,occurredOn,note';
    for (const [name, body] of [
      ['an unbalanced quote at the end', `${csvHeader}\nhousehold,HH,R01,1,2026-03-05,"unclosed`],
      ['an unbalanced quote mid-file', `${csvHeader}\nhousehold,HH,R01,1,2026-03-05,"unclosed\nhousehold,HH,R01,1,2026-03-05,ok\n`],
      ['a quote inside an unquoted field', `${csvHeader}\nhousehold,HH,R01,1,2026-03-05,a"b"c\n`],
      ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x22, 0x00, 0x0a, 0x22, 0x22, 0x22, 0xc3, 0x28])],
    ] as const) {
      it(`${name}: 400 or 422, and the service keeps serving`, async () => {
        const payload = typeof body === 'string' ? body.replaceAll('HH', hh) : body;
        const res = await raw('POST', '/v1/records/import', { ...bearer(c.keys.clerk), 'Content-Type': 'text/csv' }, payload);
        expect([400, 422]).toContain(res.status);
        const answer = res.body;
        // A broken file is a problem (400, naming the line); a readable one is the import's report (422, line by line).
        if (res.status === 400) expect(answer).toMatchObject({ status: 400, code: 'malformed-csv' });
        else expect(answer.rejected[0].line).toBe(2);
        expect((await t.http().get('/health')).status).toBe(200);
      });
    }

    it('a client that aborts its upload halfway does not stop the service, and nothing is written', async () => {
      const ds = t.app.get(DataSource);
      const before = (await ds.query(`SELECT count(*)::int AS n FROM records WHERE tenant_id = $1`, [c.tenantId]))[0].n;
      await new Promise<void>((resolve) => {
        const req = http.request(`${base}/v1/records/import`, { method: 'POST', headers: { ...bearer(c.keys.clerk), 'Content-Type': 'text/csv', 'Content-Length': '100000' } });
        req.on('error', () => resolve());
        req.write(`${csvHeader}\nhousehold,${hh},R01,1,2026-03-05,half`);
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200);
      });
      await new Promise((r) => setTimeout(r, 300));
      expect((await t.http().get('/health')).status).toBe(200);
      expect((await ds.query(`SELECT count(*)::int AS n FROM records WHERE tenant_id = $1`, [c.tenantId]))[0].n).toBe(before);
    });
  });

  describe('missing or smuggled nested objects', () => {
    const cases: [string, string, () => Record<string, unknown>, Record<string, string>?][] = [
      ['POST /v1/records without holder', '/v1/records', () => ({ ruleCode: 'R01', occurredOn: '2026-03-05' })],
      ['POST /v1/redemptions?hold=true without holder', '/v1/redemptions?hold=true', () => ({ shopId: c.shopId, pin: '123456', asset: 'CONDUCT', amount: '1' })],
      ['POST /v1/service-orders without requester', '/v1/service-orders', () => ({ menuCode: 'M01', regionCode: c.villages[0] })],
    ];
    const keyFor = (path: string) => (path.startsWith('/v1/redemptions') ? c.keys.shopkeeper : c.keys.clerk);
    for (const [name, path, body] of cases) {
      const field = path.includes('service-orders') ? 'requester' : 'holder';
      const nested = field === 'requester' ? { type: 'household', id: '00000000-0000-4000-8000-000000000000' } : { type: 'household', id: '00000000-0000-4000-8000-000000000000' };
      it(`${name}: 400`, async () => {
        const res = await t.http().post(path).set(bearer(keyFor(path))).set('Idempotency-Key', newIdempotencyKey()).send(body());
        expectProblem(res, 400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      });
      it(`${name}, ${field} as null, an array or a string: 400`, async () => {
        for (const v of [null, [nested], 'x', 7]) {
          const res = await t.http().post(path).set(bearer(keyFor(path))).set('Idempotency-Key', newIdempotencyKey()).send({ ...body(), [field]: v });
          expectProblem(res, 400);
        }
      });
      for (const smuggle of [`{"__proto__":{"${field}":${JSON.stringify(nested)}}}`, `{"constructor":{"prototype":{"${field}":${JSON.stringify(nested)}}}}`]) {
        it(`${name}, ${field} smuggled in ${smuggle.slice(2, 15)}: 400`, async () => {
          const json = `${JSON.stringify(body()).slice(0, -1)},${smuggle.slice(1)}`;
          const res = await t.http().post(path).set(bearer(keyFor(path))).set('Idempotency-Key', newIdempotencyKey()).set('Content-Type', 'application/json').send(json);
          expectProblem(res, 400);
        });
      }
    }

    it('a pollution key spelled with unicode escapes is refused too', async () => {
      const json = `{"\\u005f_proto__":{"holder":{"type":"household","id":"${hh}"}},"ruleCode":"R01","occurredOn":"2026-03-05"}`;
      const res = await t.http().post('/v1/records').set(bearer(c.keys.clerk)).set('Content-Type', 'application/json').send(json);
      expectProblem(res, 400);
    });

    it('a string value that merely mentions constructor or __proto__ is fine', async () => {
      const res = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '__proto__ constructor' });
      expect(res.status).toBe(201);
    });
  });

  describe('text that is not text', () => {
    it('half a surrogate pair in a name: 400 not-text, and no bank written (it was written, then refused, in FUZZ_RUNS=2000)', async () => {
      const db = t.app.get(DataSource);
      const count = async () => (await db.query(`SELECT count(*)::int AS n FROM banks WHERE tenant_id = $1`, [c.tenantId]))[0].n;
      const before = await count();
      const res = await raw('POST', '/v1/banks', { ...bearer(c.keys.admin), 'Content-Type': 'application/json', 'Idempotency-Key': 'lone-surrogate' }, '{"name":"\\ud800 银行"}');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('not-text');
      expect(await count()).toBe(before);
      const pair = await raw('POST', '/v1/banks', { ...bearer(c.keys.admin), 'Content-Type': 'application/json' }, '{"name":"\\ud83c\\udfe6 银行"}');
      expect([pair.status, pair.body.name]).toEqual([201, '🏦 银行']);
    });
  });

  describe('content types', () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      it(`a ${type.split(';')[0]} body to a JSON endpoint: 415`, async () => {
        const res = await t.http().post('/v1/records').set(bearer(c.keys.clerk)).set('Content-Type', type).send('holder=x');
        expectProblem(res, 415);
      });
    }
    it('a JSON body to the CSV import: 415 (it names text/csv)', async () => {
      const res = await t.http().post('/v1/records/import').set(bearer(c.keys.clerk)).send({ a: 1 });
      expectProblem(res, 415);
    });
    it('no body at all where none is needed is fine', async () => {
      const res = await t.http().get('/v1/assets').set(bearer(c.keys.clerk)).set('Content-Type', 'text/plain');
      expect(res.status).toBe(200);
    });
  });

  describe('rates', () => {
    for (const rate of ['0', '0.0', '0.000000']) {
      it(`POST /v1/funds with conversionRate "${rate}": 400`, async () => {
        const res = await t.http().post('/v1/funds').set(bearer(c.keys.admin)).send({ name: '零汇率基金', regionCode: c.county, conversionRate: rate });
        expectProblem(res, 400);
        expect(res.body.errors[0].field).toBe('conversionRate');
      });
    }
  });

  describe('calendar dates', () => {
    for (const asOf of ['2026-02-30', '2025-02-29', '2026-04-31', '2026-00-10', '2026-13-01', '26-01-01', '2026-1-1', '2026-01-01T00:00:00Z']) {
      it(`POST /v1/jobs/expire with asOf "${asOf}": 400`, async () => {
        const res = await t.http().post('/v1/jobs/expire').set(bearer(c.keys.admin)).send({ asOf });
        expectProblem(res, 400);
        expect(res.body.errors[0].field).toBe('asOf');
      });
    }
    it('a leap day is a date', async () => {
      const res = await t.http().post('/v1/jobs/expire').set(bearer(c.keys.admin)).send({ asOf: '2024-02-29' });
      expect(res.status).toBe(200);
    });
  });
});
