import { Clock } from '../../src/platform/util/clock';
import { readFileSync } from 'fs';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, makePerson } from '../helpers/fixtures';

const program = (file: string) => JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'programs', file), 'utf8'));
const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
const monthStart = () => `${today().slice(0, 8)}01`;

/**
 * One month in 泉秀村, end to end over HTTP: the county adopts the shipped programs,
 * the clerk enters and imports records, the reviewer approves, the notice board
 * draws an objection, a cap is hit, a yellow-list streak triggers a sanction, a
 * wrong record is voided, volunteers earn 益币, and the ledger still verifies.
 */
describe('a month in a village (e2e)', () => {
  let t: TestApp;
  let c: County;

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
  });
  afterAll(async () => t.close());

  it('walks the month', async () => {
    const admin = bearer(c.keys.admin);
    const clerk = bearer(c.keys.clerk);
    const reviewer = bearer(c.keys.reviewer);
    const organizer = bearer(c.keys.organizer);
    const day = (n: number) => `${today().slice(0, 8)}${String(Math.min(n, Number(today().slice(8)))).padStart(2, '0')}`;

    // The county adopts 红黄双十条 and 益币.
    for (const file of ['kaizhou-guanmian-conduct.json', 'renqiu-yibi.json']) {
      const set = await t.http().post('/v1/rulesets').set(admin).send({ ...program(file), regionCode: c.county, effectiveFrom: monthStart() });
      expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(admin)).status).toBe(200);
    }
    // Households enrol with 100 opening points.
    const wang = await makeHousehold(t, c.keys.clerk, c.villages[0], '王德明');
    const li = await makeHousehold(t, c.keys.clerk, c.villages[0], '李秀英');
    const balance = async (hh: string) =>
      (await t.http().get(`/v1/holders/household/${hh}/balances`).set(admin)).body.balances.find((b: any) => b.asset === 'CONDUCT').balance;
    expect(await balance(wang)).toBe('100.00');

    // Records: one entered by hand, the rest imported from the month's spreadsheet.
    const r01 = await t.http().post('/v1/records').set(clerk).send({ holder: { type: 'household', id: wang }, ruleCode: 'R01', occurredOn: day(2) });
    const csv = [
      'holderType,holderId,ruleCode,quantity,occurredOn,note',
      `household,${wang},R07,2,${day(3)},村民大会`,
      `household,${wang},R07,2,${day(4)},义务劳动`,
      `household,${wang},R07,1,${day(5)},又一次`,
      `household,${li},Y01,1,${day(6)},办无事酒`,
      `household,${li},Y04,1,${day(7)},赌博`,
    ].join('\n');
    const imported = await t.http().post('/v1/records/import?partial=true').set(clerk).set('Content-Type', 'text/csv').send(Buffer.from(csv));
    expect(imported.status).toBe(201);
    // R07 caps at 4 points a month: the third meeting is refused; Y01/Y04 need evidence.
    expect(imported.body.accepted).toBe(2);
    expect(imported.body.rejected.map((r: any) => r.line)).toEqual([4, 5, 6]);
    const withEvidence = async (ruleCode: string, n: number) =>
      (await t.http().post('/v1/records').set(clerk).send({ holder: { type: 'household', id: li }, ruleCode, occurredOn: day(n), evidence: [`photo-${ruleCode}.jpg`] })).body.id;
    const y01 = await withEvidence('Y01', 6);
    const y04 = await withEvidence('Y04', 7);

    // Review: everything submitted is approved by the reviewer (not the clerk).
    const submitted = (await t.http().get('/v1/records?status=submitted&limit=500').set(reviewer)).body.items;
    expect(submitted).toHaveLength(5);
    for (const r of submitted) expect((await t.http().post(`/v1/records/${r.id}/approve`).set(reviewer)).status).toBe(200);

    // On the notice board, a neighbour objects to Wang's R01; the reviewer dismisses it.
    await t.http().post(`/v1/records/${r01.body.id}/objections`).set(clerk).send({ reason: '不属实', raisedBy: '张某' });
    expect((await t.http().post(`/v1/records/${r01.body.id}/resolve`).set(reviewer).send({ outcome: 'dismissed', reason: '走访核实' })).body.status).toBe('posted');

    // The notice period ends for the rest; the job posts them.
    await t.app.get(DataSource).query(`UPDATE records SET notice_ends_on = $2 WHERE tenant_id = $1 AND status = 'in_notice'`, [c.tenantId, '2026-01-01']);
    await t.http().post('/v1/jobs/post-records').set(admin);
    // Wang: 100 + 5 (R01) + 4 (R07, posted at approval: no notice); Li: 100 − 10 − 10.
    expect(await balance(wang)).toBe('109.00');
    expect(await balance(li)).toBe('80.00');

    // Li's 20 points of deductions suspend redemption (S01).
    const before = (await t.http().get(`/v1/households/${li}/eligibility?benefit=REDEEM`).set(clerk)).body;
    expect(before.eligible).toBe(false);

    // The gambling record was a mistake: voided, the points come back; the deductions no
    // longer reach 20 and the balance (90) is at least 60, so S01 lifts.
    expect((await t.http().post(`/v1/records/${y04}/void`).set(reviewer).send({ reason: '认定有误' })).body.status).toBe('voided');
    expect(await balance(li)).toBe('90.00');
    expect((await t.http().get(`/v1/households/${li}/eligibility?benefit=REDEEM`).set(clerk)).body.eligible).toBe(true);
    void y01;

    // Volunteers: Saturday at the nursing home.
    const volunteer = await makePerson(t, c.keys.clerk, c.villages[0], '王小明');
    const act = await t.http().post('/v1/activities').set(organizer).send({
      title: '敬老院助老', category: '助老', regionCode: c.villages[0], startsAt: `${day(9)}T01:00:00Z`, endsAt: `${day(9)}T04:00:00Z`,
    });
    const code = (await t.http().post(`/v1/activities/${act.body.id}/approve`).set(reviewer)).body.signInCode;
    // Checked in and out on the organizer's phone with the code shown at the nursing home (the server's clock says when).
    const clock = jest.spyOn(t.app.get(Clock), 'now');
    clock.mockReturnValue(new Date(`${day(9)}T00:50:00Z`));
    expect((await t.http().post(`/v1/activities/${act.body.id}/check-ins`).set(organizer).send({ personId: volunteer, code })).status).toBe(201);
    clock.mockReturnValue(new Date(`${day(9)}T04:05:00Z`));
    expect((await t.http().post(`/v1/activities/${act.body.id}/check-outs`).set(organizer).send({ personId: volunteer, code })).status).toBe(201);
    clock.mockRestore();
    const att = await t.http().post(`/v1/activities/${act.body.id}/attendance`).set(organizer).send({ entries: [{ personId: volunteer, hours: '3', kind: 'signed' }] });
    expect((await t.http().post(`/v1/service-records/${att.body.items[0].id}/verify`).set(reviewer)).body.credited).toBe('3.00');

    // And the books balance.
    const verify = await t.http().get('/v1/ledger/verify').set(bearer(c.keys.auditor));
    expect(verify.body).toMatchObject({ balanced: true, balancesMatchEntries: true, chainIntact: true });
  });
});
