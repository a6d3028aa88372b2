import { readFileSync } from 'fs';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { RecordsService } from '../../src/records/records.service';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

const HEADER = 'holderType,holderId,ruleCode,quantity,occurredOn,note';

/** Imports approved on entry: entered in one transaction, posted after in short ones, resumable (issue 16). */
describe('import approved on entry: enter, then post (e2e)', () => {
  let t: TestApp;
  let c: County;
  let db: DataSource;
  const approve = (body: string) =>
    t.http().post(`/v1/records/import?approve=true&approvalRef=${encodeURIComponent('评议会纪要')}`).set(bearer(c.keys.reviewer)).set('Content-Type', 'text/csv').send(Buffer.from(body));
  const balance = async (id: string, asset: string) =>
    (await t.http().get(`/v1/holders/household/${id}/balances`).set(bearer(c.keys.admin))).body.balances.find((b: any) => b.asset === asset)?.balance;

  beforeAll(async () => {
    t = await startTestApp({ jobs: false });
    c = await makeCounty(t);
    db = t.app.get(DataSource);
    const dir = path.join(__dirname, '..', '..', 'config', 'programs');
    for (const file of ['kaizhou-guanmian-conduct.json', 'xinzhongyi-xiaoshan.json']) {
      const program = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({ ...program, regionCode: c.county, effectiveFrom: '2026-01-01' });
      expect(set.status).toBe(201);
      expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin))).status).toBe(200);
    }
  });
  afterAll(async () => t.close());

  it('posts after entry; a posting that never ran is finished by the notice job, each record once', async () => {
    const households = await Promise.all(Array.from({ length: 3 }, (_, i) => makeHousehold(t, c.keys.clerk, c.villages[0], `分批${i}`)));
    const before = await Promise.all(households.map((h) => balance(h, 'CONDUCT')));
    const records = t.app.get(RecordsService);
    // The posting stops before it starts, as a process killed between entry and posting would.
    const spy = jest.spyOn(records, 'postApproved').mockImplementationOnce(async () => {
      throw new Error('the process stopped');
    });
    const csv = [HEADER, ...households.map((h) => `household,${h},R07,1,2026-03-05,评议`)].join('\n');
    const res = await approve(csv);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ accepted: 3, posted: 0, pendingPosting: 3 });
    const statuses = await db.query(`SELECT status, count(*)::int AS n FROM records WHERE tenant_id = $1 AND import_id = $2 GROUP BY status`, [c.tenantId, res.body.importId]);
    expect(statuses).toEqual([{ status: 'approved', n: 3 }]);
    spy.mockRestore();
    // The notice job (every minute) picks them up; run it twice: nothing posts twice.
    expect((await t.http().post('/v1/jobs/post-records').set(bearer(c.keys.admin))).body.posted).toBe(3);
    expect((await t.http().post('/v1/jobs/post-records').set(bearer(c.keys.admin))).body.posted).toBe(0);
    const after = await Promise.all(households.map((h) => balance(h, 'CONDUCT')));
    after.forEach((b, i) => expect(Number(b) - Number(before[i])).toBeCloseTo(1, 2));
    const verify = await t.http().get('/v1/ledger/verify').set(bearer(c.keys.admin));
    expect(verify.body).toMatchObject({ balanced: true, balancesMatchEntries: true });
  });

  it('a deduction that would take a holder below zero in an asset that cannot go negative is refused at entry, so nothing is entered', async () => {
    // A village set of XIAOSHAN with a credit and a debit item, both without notice.
    const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({
      regionCode: c.villages[1], asset: 'XIAOSHAN', name: '红旗村孝善细则', effectiveFrom: '2026-01-01',
      items: [{ code: 'X91', name: '孝敬父母', direction: 'credit', points: '5', noticeDays: 0 }, { code: 'X92', name: '不赡养老人', direction: 'debit', points: '3', noticeDays: 0 }],
    });
    expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin))).status).toBe(200);
    const hh = await makeHousehold(t, c.keys.admin, c.villages[1], '孝善户');
    const asAdmin = (body: string) =>
      t.http().post(`/v1/records/import?approve=true&approvalRef=${encodeURIComponent('评议会纪要')}`).set(bearer(c.keys.admin)).set('Content-Type', 'text/csv').send(Buffer.from(body));
    const count = async () => (await db.query(`SELECT count(*)::int AS n FROM records WHERE tenant_id = $1 AND holder_id = $2`, [c.tenantId, hh]))[0].n;
    const res = await asAdmin([HEADER, `household,${hh},X92,1,2026-03-05,扣分`].join('\n'));
    expect(res.status).toBe(422);
    expect(res.body.rejected).toEqual([{ line: 2, errors: [expect.stringMatching(/XIAOSHAN 0 is less than the 3/)] }]);
    expect(await count()).toBe(0);
    // A credit earlier in the same file makes room for it; a second deduction in the file would not fit.
    const tight = await asAdmin([HEADER, `household,${hh},X91,1,2026-03-04,加分`, `household,${hh},X92,1,2026-03-05,扣分`, `household,${hh},X92,1,2026-03-06,扣分`].join('\n'));
    expect(tight.status).toBe(422);
    expect(tight.body.rejected.map((r: any) => r.line)).toEqual([4]);
    const ok = await asAdmin([HEADER, `household,${hh},X91,1,2026-03-04,加分`, `household,${hh},X92,1,2026-03-05,扣分`].join('\n'));
    expect([ok.status, ok.body.rejected, ok.body.posted]).toEqual([201, [], 2]);
    expect(await balance(hh, 'XIAOSHAN')).toBe('2.00');
  });

  it('a record the ledger refuses at posting (the balance was spent meanwhile) stays approved, says why, and is tried again tomorrow', async () => {
    const hh = await makeHousehold(t, c.keys.admin, c.villages[1], '先花户');
    const transfer = (from: unknown, to: unknown) =>
      t.http().post('/v1/transfers').set(bearer(c.keys.admin)).set('Idempotency-Key', newIdempotencyKey()).send({ asset: 'XIAOSHAN', from, to, amount: '3', memo: '调整' });
    expect((await transfer('issuer', { type: 'household', id: hh })).status).toBe(201);
    const records = t.app.get(RecordsService);
    const real = records.postApproved.bind(records);
    // Between entry and posting, the 3 points go elsewhere.
    const spy = jest.spyOn(records, 'postApproved').mockImplementationOnce(async (...args) => {
      expect((await transfer({ type: 'household', id: hh }, 'issuer')).status).toBe(201);
      return real(...args);
    });
    const res = await t.http().post(`/v1/records/import?approve=true&approvalRef=${encodeURIComponent('评议会纪要')}`).set(bearer(c.keys.admin)).set('Content-Type', 'text/csv')
      .send(Buffer.from([HEADER, `household,${hh},X92,1,2026-03-05,扣分`].join('\n')));
    spy.mockRestore();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ accepted: 1, posted: 0, rejected: [{ line: 2, errors: [expect.stringMatching(/not posted yet: .*retried from tomorrow/)] }] });
    const [r] = await db.query(`SELECT id, status, to_char(post_after, 'YYYY-MM-DD') AS post_after FROM records WHERE tenant_id = $1 AND import_id = $2`, [c.tenantId, res.body.importId]);
    expect(r.status).toBe('approved');
    const shown = await t.http().get(`/v1/records/${r.id}`).set(bearer(c.keys.admin));
    expect(shown.body.history.map((h: any) => h.to)).toEqual(['submitted', 'approved', 'approved']);
    expect(shown.body.history[2].reason).toMatch(/posting refused, tried again tomorrow/);
    // Today's job leaves it; tomorrow's tries again.
    expect(await records.postDueRecords(undefined, c.tenantId)).toBe(0);
    expect(r.post_after > (await db.query(`SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD') AS d`))[0].d).toBe(true);
  });
});
