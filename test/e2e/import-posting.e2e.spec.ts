import { readFileSync } from 'fs';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { RecordsService } from '../../src/records/records.service';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { approveImport, County, importAndApprove, importCsv, issueKey, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

const HEADER = 'holderType,holderId,ruleCode,quantity,occurredOn,note';

/**
 * Imports: entered `submitted` in one transaction by one key, approved as a whole
 * by another (issue 18), posted after in short transactions, resumable (issue 16).
 */
describe('import, then approval by another reviewer, then posting (e2e)', () => {
  let t: TestApp;
  let c: County;
  let db: DataSource;
  /** A reviewer of the whole county (c.keys.reviewer sees villages[0] only). */
  let countyReviewer: string;
  const balance = async (id: string, asset: string) =>
    (await t.http().get(`/v1/holders/household/${id}/balances`).set(bearer(c.keys.admin))).body.balances.find((b: any) => b.asset === asset)?.balance;

  beforeAll(async () => {
    t = await startTestApp({ jobs: false });
    c = await makeCounty(t);
    db = t.app.get(DataSource);
    countyReviewer = await issueKey(t, c.tenantId, 'reviewer');
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
    const { entered, approved } = await importAndApprove(t, csv, c.keys.clerk, c.keys.reviewer);
    expect([entered.status, entered.body.accepted]).toEqual([201, 3]);
    expect(approved!.status).toBe(200);
    expect(approved!.body).toMatchObject({ importId: entered.body.importId, approved: 3, inNotice: 0, posted: 0, pendingPosting: 3 });
    const statuses = await db.query(`SELECT status, count(*)::int AS n FROM records WHERE tenant_id = $1 AND import_id = $2 GROUP BY status`, [c.tenantId, entered.body.importId]);
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

  it('approving a large import refreshes the table\'s statistics before posting it (without, 200,000 lines took 211 s to post: every chunk read the whole import)', async () => {
    const h = await makeHousehold(t, c.keys.clerk, c.villages[0], '大批捐款户');
    const analyses = async () => (await db.query(`SELECT analyze_count::int AS n FROM pg_stat_user_tables WHERE relname = 'records'`))[0].n as number;
    const before = await analyses();
    const csv = [HEADER, ...Array.from({ length: 6_000 }, (_, i) => `household,${h},X05,1,2026-03-05,捐款${i}`)].join('\n');
    const { entered, approved } = await importAndApprove(t, csv, c.keys.clerk, c.keys.reviewer);
    expect([entered.status, approved!.status, approved!.body.posted]).toEqual([201, 200, 6_000]);
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 100)); // the statistics views lag behind on PostgreSQL 14
      after = await analyses();
    }
    expect(after).toBeGreaterThan(before);
  }, 60_000);

  it('a deduction that would take a holder below zero in an asset that cannot go negative is refused at entry, so nothing is entered', async () => {
    // A village set of XIAOSHAN with a credit and a debit item, both without notice.
    const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({
      regionCode: c.villages[1], asset: 'XIAOSHAN', name: '红旗村孝善细则', effectiveFrom: '2026-01-01',
      items: [{ code: 'X91', name: '孝敬父母', direction: 'credit', points: '5', noticeDays: 0 }, { code: 'X92', name: '不赡养老人', direction: 'debit', points: '3', noticeDays: 0 }],
    });
    expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin))).status).toBe(200);
    const hh = await makeHousehold(t, c.keys.admin, c.villages[1], '孝善户');
    const asAdmin = (body: string) => importCsv(t, c.keys.admin, body);
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
    expect([ok.status, ok.body.rejected]).toEqual([201, []]);
    const approved = await approveImport(t, countyReviewer, ok.body.importId);
    expect([approved.status, approved.body.posted, approved.body.refused]).toEqual([200, 2, []]);
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
    const { entered, approved } = await importAndApprove(t, [HEADER, `household,${hh},X92,1,2026-03-05,扣分`].join('\n'), c.keys.admin, countyReviewer);
    spy.mockRestore();
    expect([entered.status, entered.body.accepted]).toEqual([201, 1]);
    expect(approved!.body).toMatchObject({ approved: 1, posted: 0, refused: [{ line: 2, error: expect.stringMatching(/retried from tomorrow/) }] });
    const [r] = await db.query(`SELECT id, status, to_char(post_after, 'YYYY-MM-DD') AS post_after FROM records WHERE tenant_id = $1 AND import_id = $2`, [c.tenantId, entered.body.importId]);
    expect(r.status).toBe('approved');
    const shown = await t.http().get(`/v1/records/${r.id}`).set(bearer(c.keys.admin));
    expect(shown.body.history.map((h: any) => h.to)).toEqual(['submitted', 'approved', 'approved']);
    expect(shown.body.history[2].reason).toMatch(/posting refused, tried again tomorrow/);
    // Today's job leaves it; tomorrow's tries again.
    expect(await records.postDueRecords(undefined, c.tenantId)).toBe(0);
    expect(r.post_after > (await db.query(`SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD') AS d`))[0].d).toBe(true);
  });

  describe('four eyes on imports (issue 18)', () => {
    const fileFor = (hh: string) => [HEADER, `household,${hh},R07,1,2026-03-05,评议`].join('\n');

    it('the import enters records submitted; the importer cannot approve it (422), another reviewer can, once (409 after)', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '四眼户');
      const entered = await importCsv(t, c.keys.reviewer, fileFor(hh));
      expect(entered.status).toBe(201);
      const [row] = await db.query(`SELECT status, approved_by FROM records WHERE tenant_id = $1 AND import_id = $2`, [c.tenantId, entered.body.importId]);
      expect(row).toEqual({ status: 'submitted', approved_by: null });
      const self = await approveImport(t, c.keys.reviewer, entered.body.importId);
      expect([self.status, self.body.code]).toEqual([422, 'maker-checker']);
      const other = await approveImport(t, countyReviewer, entered.body.importId);
      expect([other.status, other.body.approved, other.body.posted]).toEqual([200, 1, 1]);
      const again = await approveImport(t, c.keys.admin, entered.body.importId);
      expect([again.status, again.body.code]).toEqual([409, 'import-approved']);
      const [imp] = await db.query(`SELECT entered_by, approved_by, approval_ref FROM record_imports WHERE tenant_id = $1 AND id = $2`, [c.tenantId, entered.body.importId]);
      expect(imp.approved_by).not.toBe(imp.entered_by);
      expect(imp.approval_ref).toBe('评议会纪要');
      const shown = await t.http().get(`/v1/records/${(await db.query(`SELECT id FROM records WHERE tenant_id = $1 AND import_id = $2`, [c.tenantId, entered.body.importId]))[0].id}`).set(bearer(c.keys.admin));
      expect(shown.body.history.map((h: any) => h.to)).toEqual(['submitted', 'approved', 'posted']);
      expect(shown.body.history[1].reason).toMatch(/approved with import .*评议会纪要/);
    });

    it('the database refuses an approval by the importer even past the service', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '库检户');
      const entered = await importCsv(t, c.keys.clerk, fileFor(hh));
      const err = await db
        .query(`UPDATE record_imports SET approved_by = entered_by, approved_at = now() WHERE tenant_id = $1 AND id = $2`, [c.tenantId, entered.body.importId])
        .catch((e) => e);
      expect(err.code ?? err.driverError?.code).toBe('23514');
    });

    it('approve=true on the import is refused with 422, naming the two-step way; nothing is entered', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '旧法户');
      const res = await importCsv(t, c.keys.reviewer, fileFor(hh), `?approve=true&approvalRef=${encodeURIComponent('评议会')}`);
      expect([res.status, res.body.code]).toEqual([422, 'approve-on-entry-removed']);
      expect(res.body.detail).toMatch(/POST \/v1\/records\/imports\/\{importId\}\/approve/);
      expect((await db.query(`SELECT count(*)::int AS n FROM records WHERE tenant_id = $1 AND holder_id = $2`, [c.tenantId, hh]))[0].n).toBe(0);
    });

    it('GET /v1/records/imports?pending=true is the reviewers\' queue: in scope only, saying whose import it is, gone once approved', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '队列户');
      const entered = await importCsv(t, c.keys.clerk, [HEADER, `household,${hh},R07,1,2026-03-05,评议`, `household,${hh},R07,1,2026-03-06,评议`].join('\n'));
      const queue = async (key: string) => (await t.http().get('/v1/records/imports?pending=true').set(bearer(key))).body.items as any[];
      const mine = (await queue(c.keys.clerk)).find((i) => i.id === entered.body.importId);
      expect(mine).toMatchObject({ records: 2, submitted: 2, posted: 0, enteredByMe: true, approvedAt: null });
      expect((await queue(c.keys.reviewer)).find((i) => i.id === entered.body.importId)).toMatchObject({ enteredByMe: false });
      expect((await queue(c.otherVillageKeys.reviewer)).map((i) => i.id)).not.toContain(entered.body.importId);
      expect((await approveImport(t, c.keys.reviewer, entered.body.importId)).status).toBe(200);
      expect((await queue(c.keys.reviewer)).map((i) => i.id)).not.toContain(entered.body.importId);
      const all = (await t.http().get('/v1/records/imports').set(bearer(c.keys.reviewer))).body.items as any[];
      expect(all.find((i) => i.id === entered.body.importId)).toMatchObject({ submitted: 0, posted: 2, approvalRef: '评议会纪要' });
    });

    it('a reviewer of another village does not see the import (404); a clerk may not approve (403)', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '他村户');
      const entered = await importCsv(t, c.keys.clerk, fileFor(hh));
      expect((await approveImport(t, c.otherVillageKeys.reviewer, entered.body.importId)).status).toBe(404);
      expect((await approveImport(t, c.otherVillageKeys.clerk, entered.body.importId)).status).toBe(403);
      expect((await approveImport(t, countyReviewer, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    });
  });
});
