import * as ExcelJS from 'exceljs';
import { DataSource } from 'typeorm';
import { featuresSql } from '../../src/grades/grades.service';
import { addDays, shanghaiToday } from '../../src/platform/util/business-date';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, issueKey, makeCounty, newIdNumber } from '../helpers/fixtures';

/**
 * Go-live migration (issue 20): a village's paper ledger comes in with its
 * real dates. 20 households, opening balances as of a year ago, the paper's
 * control totals; a second admin approves; balances as of past days show it;
 * a total that does not match writes nothing; the drafter cannot approve.
 */
describe('go-live migration (e2e)', () => {
  let t: TestApp;
  let c: County;
  let admin2: string;
  const households: { id: string; no: string }[] = [];
  const today = shanghaiToday();
  const yearAgo = addDays(today, -365);

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    admin2 = await issueKey(t, c.tenantId, 'admin');
    for (let i = 0; i < 20; i++) {
      const res = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: `户主${i}`, enrolledOn: addDays(today, -800) });
      households.push({ id: res.body.id, no: res.body.no });
    }
  });
  afterAll(async () => t.close());

  const csv = (lines: string[]) => Buffer.from(['户号,积分种类,余额,截至日期', ...lines].join('\r\n'));
  const upload = (id: string, body: Buffer, key = c.keys.admin) =>
    t.http().post(`/v1/migrations/${id}/opening-balances`).set(bearer(key)).set('Content-Type', 'text/csv').send(body);
  const balance = async (hh: string, asOf?: string) =>
    (await t.http().get(`/v1/holders/household/${hh}/balances${asOf ? `?asOf=${asOf}` : ''}`).set(bearer(c.keys.admin))).body.balances.find((b: any) => b.asset === 'CONDUCT').balance;
  const draft = async (name: string) => {
    const res = await t.http().post('/v1/migrations').set(bearer(c.keys.admin)).send({ name, reference: '积分台账第 1–3 册' });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('draft');
    return res.body.id as string;
  };

  it('checks the upload line by line and keeps nothing of a file with a bad line', async () => {
    const id = await draft('有错的台账');
    const bad = await upload(id, csv([`${households[0].no},CONDUCT,12.5,${yearAgo}`, `${c.villages[0]}-0999,CONDUCT,1,${yearAgo}`, `${households[1].no},CONDUCT,1.234,${yearAgo}`, `${households[2].no},CONDUCT,3,${today}`, `${households[3].no},CNY,3,${yearAgo}`]));
    expect(bad.status).toBe(422);
    expect(bad.body.rejected.map((r: any) => r.line)).toEqual([3, 4, 5, 6]);
    expect(bad.body.rejected[2].errors[0]).toContain('今天以前');
    expect((await t.http().get(`/v1/migrations/${id}`).set(bearer(c.keys.auditor))).body.counts.openingBalances).toBe(0);
    expect((await upload(id, Buffer.from('x,y\n'))).status).toBe(400);
  });

  it('a second admin applies it: every household\'s opening balance is effective a year ago; the totals reconcile', async () => {
    const id = await draft('泉秀村积分台账');
    const lines = households.map((h, i) => `${h.no},CONDUCT,${10 + i},${yearAgo}`);
    const up = await upload(id, csv(lines));
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ accepted: 20, rejected: [] });
    const total = households.reduce((s, _h, i) => s + 10 + i, 0);
    // A total that does not match: nothing is written, and the answer names the village and the difference.
    await t.http().post(`/v1/migrations/${id}/control-totals`).set(bearer(c.keys.admin)).send({ totals: [{ villageCode: c.villages[0], asset: 'CONDUCT', balance: String(total + 1) }] });
    const before = await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1`, [c.tenantId]);
    const off = await t.http().post(`/v1/migrations/${id}/approve`).set(bearer(admin2));
    expect(off.status).toBe(422);
    expect(off.body.code).toBe('control-totals-differ');
    expect(off.body.errors[0]).toEqual({ field: `${c.villages[0]} CONDUCT`, messages: [`申报 ${total + 1}.00，计算 ${total}.00，相差 -1.00`] });
    expect(await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1`, [c.tenantId])).toEqual(before);
    expect(await balance(households[3].id)).toBe('0.00');

    // A trial application, by the drafter: what the villages would hold, nothing written.
    const trial = await t.http().post(`/v1/migrations/${id}/approve?dryRun=true`).set(bearer(c.keys.admin));
    expect(trial.status).toBe(200);
    expect(trial.body).toMatchObject({ status: 'draft', dryRun: true, transactions: 20 });
    expect(trial.body.reconciliation[0]).toMatchObject({ computed: `${total}.00`, matches: false });
    expect(await balance(households[3].id)).toBe('0.00');
    expect(await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1`, [c.tenantId])).toEqual(before);
    const declared = await t.http().post(`/v1/migrations/${id}/control-totals`).set(bearer(c.keys.admin)).send({ totals: [{ villageCode: c.villages[0], asset: 'CONDUCT', balance: String(total) }] });
    expect(declared.body.reconciliation).toEqual([{ villageCode: c.villages[0], asset: 'CONDUCT', declared: `${total}.00`, computed: `${total}.00`, difference: '0.00', matches: true }]);
    // The drafter does not approve their own migration.
    const self = await t.http().post(`/v1/migrations/${id}/approve`).set(bearer(c.keys.admin));
    expect(self.status).toBe(422);
    expect(self.body.code).toBe('maker-checker');
    const applied = await t.http().post(`/v1/migrations/${id}/approve`).set(bearer(admin2));
    expect(applied.status).toBe(200);
    expect(applied.body).toEqual({ id, status: 'applied', transactions: 20 });
    expect((await t.http().post(`/v1/migrations/${id}/approve`).set(bearer(admin2))).status).toBe(409);
    expect((await upload(id, csv(lines))).status).toBe(409);

    // As of several days: nothing before the paper's day, the opening balance from it on.
    expect(await balance(households[3].id, addDays(yearAgo, -1))).toBe('0.00');
    expect(await balance(households[3].id, yearAgo)).toBe('13.00');
    expect(await balance(households[3].id, addDays(today, -30))).toBe('13.00');
    expect(await balance(households[3].id)).toBe('13.00');
    const entries = await t.http().get(`/v1/holders/household/${households[3].id}/entries`).set(bearer(c.keys.admin));
    expect(entries.body.items[0]).toMatchObject({ effectiveOn: yearAgo, amount: '13.00' });
    const got = await t.http().get(`/v1/migrations/${id}`).set(bearer(c.keys.auditor));
    expect(got.body).toMatchObject({ status: 'applied', transactions: 20, approvedBy: { type: 'key' }, counts: { openingBalances: 20 } });
    expect(got.body.reconciliation[0].matches).toBe(true);
    // The chain covers the backdated days and verifies.
    const verify = await t.http().get('/v1/ledger/verify').set(bearer(c.keys.auditor));
    expect(verify.body).toMatchObject({ balanced: true, balancesMatchEntries: true, chainIntact: true });
  });

  it('another county cannot see or touch it; a village clerk cannot draft one', async () => {
    const id = await draft('别的县看不到');
    const other = await makeCounty(t);
    expect((await t.http().get(`/v1/migrations/${id}`).set(bearer(other.keys.admin))).status).toBe(404);
    expect((await t.http().post(`/v1/migrations/${id}/approve`).set(bearer(other.keys.admin))).status).toBe(404);
    expect((await t.http().post('/v1/migrations').set(bearer(c.keys.clerk)).send({ name: 'x', reference: 'y' })).status).toBe(403);
  });

  it('brings in a village\'s paper history: 200 decisions on their days, valued by the rules of their day; balances and grades as of past days see it', async () => {
    const rs = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({
      regionCode: c.county, asset: 'CONDUCT', name: '红黄榜（纸质时期）', effectiveFrom: addDays(today, -800),
      items: [{ code: 'R01', name: '孝老爱亲', direction: 'credit', points: '2' }, { code: 'Y01', name: '乱扔垃圾', direction: 'debit', points: '1' }],
    });
    expect((await t.http().post(`/v1/rulesets/${rs.body.id}/activate`).set(bearer(c.keys.admin))).status).toBe(200);
    const id = await draft('泉秀村 2025–2026 积分台账');
    // 10 decisions per household, every 30 days from 330 days ago; every third one a deduction.
    const lines: string[] = [];
    const expected = new Map<string, { day: string; points: number }[]>();
    households.forEach((h, i) => {
      for (let k = 0; k < 10; k++) {
        const day = addDays(today, -330 + k * 30 + (i % 7));
        const debit = (i + k) % 3 === 0;
        lines.push(`${h.no},${debit ? 'Y01' : 'R01'},1,${day.replace(/-/g, '/')},纸质台账第${k + 1}页`);
        expected.set(h.id, [...(expected.get(h.id) ?? []), { day, points: debit ? -1 : 2 }]);
      }
    });
    const up = await t.http().post(`/v1/migrations/${id}/records`).set(bearer(c.keys.admin)).set('Content-Type', 'text/csv')
      .send(Buffer.from(['户号,事项代码,数量,发生日期,备注', ...lines].join('\n')));
    expect(up.status).toBe(200);
    expect(up.body.accepted).toBe(200);
    // 50 past volunteer hours of five members of households[5]'s family and neighbours, from the paper logs.
    const people: { id: string; idNumber: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const idNumber = newIdNumber();
      const res = await t.http().post('/v1/people').set(bearer(c.keys.clerk)).send({ name: `志愿者${i}`, regionCode: c.villages[0], idNumber, householdId: households[5 + (i % 2)].id });
      people.push({ id: res.body.id, idNumber });
    }
    const hourLines = Array.from({ length: 50 }, (_, k) => `${people[k % 5].idNumber},帮扶独居老人,${addDays(today, -300 + k * 5)},1.5`);
    const hoursUp = await t.http().post(`/v1/migrations/${id}/service-hours`).set(bearer(c.keys.admin)).set('Content-Type', 'text/csv')
      .send(Buffer.from(['身份证号,服务内容,服务日期,时长', ...hourLines, `110101199001011234,x,${yearAgo},1`].join('\n')));
    expect(hoursUp.status).toBe(422); // an ID number nobody has
    expect(hoursUp.body.rejected).toEqual([{ line: 52, errors: [expect.stringContaining('身份证号')] }]);
    expect((await t.http().post(`/v1/migrations/${id}/service-hours`).set(bearer(c.keys.admin)).set('Content-Type', 'text/csv')
      .send(Buffer.from(['身份证号,服务内容,服务日期,时长', ...hourLines].join('\n')))).body).toEqual({ accepted: 50, rejected: [] });
    // The county's totals: what the households held (the earlier migration) plus what the records add.
    const before = new Map<string, number>();
    for (const h of households) before.set(h.id, Number(await balance(h.id)));
    const added = [...expected.values()].flat().reduce((s, x) => s + x.points, 0);
    const total = [...before.values()].reduce((s, x) => s + x, 0) + added;
    await t.http().post(`/v1/migrations/${id}/control-totals`).set(bearer(c.keys.admin)).send({ totals: [{ villageCode: c.villages[0], asset: 'CONDUCT', balance: total.toFixed(2) }] });
    // A board published for last month: the migration reaches back before it, and lists it; it stays as published.
    const lastMonth = addDays(today, -35).slice(0, 7);
    const board = await t.http().post('/v1/boards').set(bearer(c.keys.reviewer)).send({ villageCode: c.villages[0], period: lastMonth });
    expect((await t.http().post(`/v1/boards/${board.body.id}/publish`).set(bearer(c.keys.reviewer))).status).toBe(200);
    const published = (await t.http().get(`/public/boards/${c.villages[0]}/${lastMonth}`).set('Accept', 'application/json')).body;
    expect((await t.http().get(`/v1/migrations/${id}`).set(bearer(c.keys.admin))).body.predates.boards).toEqual([{ id: board.body.id, villageCode: c.villages[0], period: lastMonth }]);
    const applied = await t.http().post(`/v1/migrations/${id}/approve`).set(bearer(admin2));
    expect(applied.status).toBe(200);
    expect(applied.body.transactions).toBe(200);
    expect((await t.http().get(`/public/boards/${c.villages[0]}/${lastMonth}`).set('Accept', 'application/json')).body).toEqual(published);

    // Balances as of several past days: the opening balance (a year ago) and the decisions effective by then.
    const h = households[5];
    const opening = 15; // households[5]'s line in the earlier migration: 10 + 5
    for (const d of [addDays(yearAgo, -1), addDays(today, -340), addDays(today, -200), addDays(today, -90), addDays(today, -1)]) {
      const want = (d >= yearAgo ? opening : 0) + expected.get(h.id)!.filter((x) => x.day <= d).reduce((s, x) => s + x.points, 0);
      expect([d, await balance(h.id, d)]).toEqual([d, want.toFixed(2)]);
    }
    // The records are posted, without notice, on their days; their history names the paper.
    const recs = await t.http().get(`/v1/records?holderId=${h.id}`).set(bearer(c.keys.admin));
    expect(recs.body.items.every((r: any) => r.status === 'posted')).toBe(true);

    // Grades: as of six months ago, conduct points and debit items count only what had happened by then.
    const sixMonths = addDays(today, -182);
    const features = async (asOf: string) =>
      (await t.app.get(DataSource).query(featuresSql({ tenantId: c.tenantId, regionCode: c.villages[0], asOf, current: false, windows: { conductNet: 365, debitItems: 365, volunteerHours: 365 } })))
        .find((r: any) => r.id === h.id);
    const inWindow = (asOf: string) => expected.get(h.id)!.filter((x) => x.day <= asOf && x.day > addDays(asOf, -365));
    const now = await features(today);
    const then = await features(sixMonths);
    // The window is the 365 days up to the day: the opening balance (exactly a year ago) has left today's, not six months ago's.
    expect(now.conductNet).toBe(String(inWindow(today).reduce((s, x) => s + x.points, 0)));
    expect(then.conductNet).toBe(String(inWindow(sixMonths).reduce((s, x) => s + x.points, 0) + opening));
    expect(then.debitItems).toBe(String(inWindow(sixMonths).filter((x) => x.points < 0).length));
    expect(now.debitItems).toBe(String(inWindow(today).filter((x) => x.points < 0).length));
    expect(Number(then.debitItems)).toBeLessThan(Number(now.debitItems));
    // The hours count for the families' grades by the day served, and credit no 益币.
    const served = (asOf: string, family: number) => hourLines.filter((_l, k) => (k % 5) % 2 === family && addDays(today, -300 + k * 5) <= asOf && addDays(today, -300 + k * 5) > addDays(asOf, -365)).length * 1.5;
    expect(Number(now.volunteerHours)).toBe(served(today, 0));
    expect(Number(then.volunteerHours)).toBe(served(sixMonths, 0));
    const coins = await t.http().get(`/v1/holders/person/${people[0].id}/balances`).set(bearer(c.keys.admin));
    expect(coins.body.balances.find((b: any) => b.asset === 'YIBI').balance).toBe('0.00');
    expect((await t.http().get(`/v1/migrations/${id}`).set(bearer(c.keys.auditor))).body.counts).toEqual({ openingBalances: 0, records: 200, serviceHours: 50 });
  });
  it('grants the opening points of a household that joined before jifen on its enrolment day, by the rules of that day; a paper balance in an .xlsx carries them instead', async () => {
    const village = c.villages[1];
    const rs = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({
      regionCode: village, asset: 'CONDUCT', name: '开户送 100 分', effectiveFrom: addDays(today, -600), openingPoints: '100',
      items: [{ code: 'R01', name: '孝老爱亲', direction: 'credit', points: '2' }],
    });
    expect(rs.status).toBe(201);
    expect((await t.http().post(`/v1/rulesets/${rs.body.id}/activate`).set(bearer(c.keys.admin))).status).toBe(200);
    const enrol = async (name: string, enrolledOn?: string) =>
      (await t.http().post('/v1/households').set(bearer(c.keys.admin)).send({ villageCode: village, headName: name, ...(enrolledOn ? { enrolledOn } : {}) }).expect(201)).body as { id: string; no: string };
    const joined = await enrol('早入户', addDays(today, -500)); // under the set: owed 100 on its day
    const before = await enrol('更早入户', addDays(today, -700)); // before the set: owed nothing
    const onPaper = await enrol('有纸质余额', addDays(today, -500)); // its paper balance includes them
    const live = await enrol('今天入户'); // enrolled today: granted at once
    expect(await balance(live.id)).toBe('100.00');
    // Enrolled on a past day, nothing is posted at enrolment: the grant waits for the migration.
    expect(await balance(joined.id)).toBe('0.00');

    const id = await draft('开户积分补记');
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('期初余额');
    sheet.addRow(['户号', '积分种类', '余额', '截至日期']);
    sheet.addRow([onPaper.no, 'CONDUCT', 130, new Date(`${yearAgo}T00:00:00Z`)]);
    sheet.getCell('D2').numFmt = 'yyyy-mm-dd';
    const up = await t.http().post(`/v1/migrations/${id}/opening-balances`).set(bearer(c.keys.admin))
      .set('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ accepted: 1, rejected: [] });
    // The draft's reconciliation already counts the grant to come: 100 (today's) + 100 (owed) + 130 (paper).
    const totals = await t.http().post(`/v1/migrations/${id}/control-totals`).set(bearer(c.keys.admin)).send({ totals: [{ villageCode: village, asset: 'CONDUCT', balance: '330' }] });
    expect(totals.body.reconciliation).toEqual([{ villageCode: village, asset: 'CONDUCT', declared: '330.00', computed: '330.00', difference: '0.00', matches: true }]);
    const applied = await t.http().post(`/v1/migrations/${id}/approve`).set(bearer(admin2));
    expect(applied.status).toBe(200);
    expect(applied.body.transactions).toBe(2);
    expect(await balance(joined.id, addDays(today, -501))).toBe('0.00');
    expect(await balance(joined.id, addDays(today, -500))).toBe('100.00');
    expect(await balance(before.id)).toBe('0.00');
    expect(await balance(onPaper.id)).toBe('130.00');
    expect(await balance(onPaper.id, addDays(yearAgo, -1))).toBe('0.00');
    const entry = (await t.http().get(`/v1/holders/household/${joined.id}/entries`).set(bearer(c.keys.admin))).body.items[0];
    expect(entry).toMatchObject({ effectiveOn: addDays(today, -500), amount: '100.00' });

    // Granted once: a later migration of the same village owes nothing more.
    const again = await draft('再次迁移');
    await t.http().post(`/v1/migrations/${again}/control-totals`).set(bearer(c.keys.admin)).send({ totals: [{ villageCode: village, asset: 'CONDUCT', balance: '330' }] });
    const second = await t.http().post(`/v1/migrations/${again}/approve`).set(bearer(admin2));
    expect(second.status).toBe(200);
    expect(second.body.transactions).toBe(0);
    expect(await balance(joined.id)).toBe('100.00');
  });
});
