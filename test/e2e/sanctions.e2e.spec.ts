import { DataSource } from 'typeorm';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, importAndApprove, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';
import { SanctionsService } from '../../src/sanctions/sanctions.service';

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

describe('sanctions and eligibility (e2e)', () => {
  let t: TestApp;
  let c: County;

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    const admin = bearer(c.keys.admin);
    const set = await t.http().post('/v1/rulesets').set(admin).send({
      regionCode: c.county, asset: 'CONDUCT', name: '测试红黄榜', effectiveFrom: '2026-01-01',
      items: [
        { code: 'R01', name: '好人好事', direction: 'credit', points: '10', noticeDays: 0 },
        { code: 'Y01', name: '乱扔垃圾', direction: 'debit', points: '5', noticeDays: 0 },
      ],
      sanctions: [
        { code: 'S01', benefitCodes: ['REDEEM', 'SUBSIDY'], when: { deductedAtLeast: '5', windowDays: 30 } },
        { code: 'S02', benefitCodes: ['LOAN'], when: { balanceBelow: '-1' }, liftWhen: { balanceAtLeast: '0' } },
      ],
    });
    expect(set.status).toBe(201);
    await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(admin);
  });
  afterAll(async () => t.close());

  const record = async (hh: string, ruleCode: string) => {
    const rec = await t.http().post('/v1/records').set(bearer(c.keys.clerk)).send({ holder: { type: 'household', id: hh }, ruleCode, occurredOn: today() });
    const ok = await t.http().post(`/v1/records/${rec.body.id}/approve`).set(bearer(c.keys.reviewer)).send({});
    expect(ok.body.status).toBe('posted');
    return rec.body.id as string;
  };
  const eligible = async (hh: string, benefit: string) =>
    (await t.http().get(`/v1/households/${hh}/eligibility?benefit=${benefit}`).set(bearer(c.keys.auditor))).body;

  it('a deduction starts a sanction that suspends its benefits; voiding it lifts the sanction', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    expect(await eligible(hh, 'REDEEM')).toEqual({ eligible: true, reasons: [] });
    const y = await record(hh, 'Y01');
    const household = await t.http().get(`/v1/households/${hh}`).set(bearer(c.keys.clerk));
    expect(household.body.sanctions.map((s: any) => s.code).sort()).toEqual(['S01', 'S02']);
    expect(await eligible(hh, 'REDEEM')).toMatchObject({ eligible: false, reasons: [expect.stringMatching(/^S01/)] });
    expect((await eligible(hh, 'LOAN')).eligible).toBe(false);
    expect((await eligible(hh, 'HOUSING')).eligible).toBe(true);

    await t.http().post(`/v1/records/${y}/void`).set(bearer(c.keys.reviewer)).send({ reason: '误录' });
    // S01's condition no longer holds; S02 lifts because the balance is back at 0.
    expect((await t.http().get(`/v1/households/${hh}`).set(bearer(c.keys.clerk))).body.sanctions).toEqual([]);
    expect((await eligible(hh, 'REDEEM')).eligible).toBe(true);
  });

  it('an approved import that takes a household below the floor starts the balance sanction (its balances are written before the rules read them)', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const other = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    // The import writes the balance rows of the accounts it moved once, at its end: the rules must read them after that.
    const lines = [`household,${other},R01,1,${today()},好人`, `household,${hh},Y01,1,${today()},乱扔`, `household,${other},R01,1,${today()},好人`, `household,${hh},R01,1,${today()},好人`, `household,${hh},Y01,1,${today()},乱扔`, `household,${hh},Y01,1,${today()},乱扔`];
    const { entered, approved } = await importAndApprove(t, ['holderType,holderId,ruleCode,quantity,occurredOn,note', ...lines].join('\n') + '\n', c.keys.clerk, c.keys.reviewer);
    expect(entered.status).toBe(201);
    expect(entered.body).toMatchObject({ accepted: 6 });
    expect(approved!.body).toMatchObject({ approved: 6, posted: 6 });
    const balances = (await t.http().get(`/v1/holders/household/${hh}/balances`).set(bearer(c.keys.clerk))).body.balances;
    expect(balances.find((b: any) => b.asset === 'CONDUCT').balance).toMatch(/^-5(\.0+)?$/); // 0 − 5 + 10 − 5 − 5
    const household = await t.http().get(`/v1/households/${hh}`).set(bearer(c.keys.clerk));
    expect(household.body.sanctions.map((s: any) => s.code).sort()).toEqual(['S01', 'S02']);
    expect((await eligible(hh, 'LOAN')).eligible).toBe(false);
    expect((await eligible(other, 'LOAN')).eligible).toBe(true);
  });

  it('liftWhen is honoured: the balance sanction lifts when red points bring the balance back', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    await record(hh, 'Y01');
    expect((await eligible(hh, 'LOAN')).eligible).toBe(false);
    await record(hh, 'R01');
    expect((await eligible(hh, 'LOAN')).eligible).toBe(true);
    expect((await eligible(hh, 'REDEEM')).eligible).toBe(false); // S01 counts deductions in 30 days, not the balance
  });

  it('an admin transfer re-evaluates at once; a deduction that ages out of its window lifts in the nightly run', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    await record(hh, 'Y01'); // balance −5: S01 (deductions) and S02 (balance)
    const codes = async () => ((await t.http().get(`/v1/households/${hh}`).set(bearer(c.keys.clerk))).body.sanctions as any[]).map((s) => s.code).sort();
    expect(await codes()).toEqual(['S01', 'S02']);
    const restored = await t.http().post('/v1/transfers').set(bearer(c.keys.admin)).set('Idempotency-Key', newIdempotencyKey())
      .send({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: hh }, amount: '5', memo: '申诉后调整' });
    expect(restored.status).toBe(201);
    expect(await codes()).toEqual(['S01']); // balance 0: S02 lifted without waiting for a record

    // Run now: the deduction is still inside its 30 days.
    const now = await t.http().post('/v1/jobs/evaluate-sanctions').set(bearer(c.keys.admin));
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ activated: 0, lifted: 0 });
    expect(await codes()).toEqual(['S01']);
    // Thirty-one days on, the deduction is out of the window.
    const later = new Date(Date.now() + 8 * 3600_000 + 31 * 86400_000).toISOString().slice(0, 10);
    const r = await t.app.get(SanctionsService).reevaluateAll(later, c.tenantId);
    expect(r.lifted).toBeGreaterThanOrEqual(1);
    expect(await codes()).toEqual([]);
    expect((await eligible(hh, 'REDEEM')).eligible).toBe(true);
    const [lifted] = await t.app.get(DataSource).query(`SELECT lifted_reason FROM sanctions WHERE household_id = $1 AND code = 'S01'`, [hh]);
    expect(lifted.lifted_reason).toBe('条件不再成立');
  });

  it('eligibility is scoped and validated', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    expect((await t.http().get(`/v1/households/${hh}/eligibility?benefit=REDEEM`).set(bearer(c.otherVillageKeys.clerk))).status).toBe(404);
    expect((await t.http().get(`/v1/households/${hh}/eligibility`).set(bearer(c.keys.clerk))).status).toBe(400);
    expect((await t.http().get(`/v1/households/${hh}/eligibility?benefit=REDEEM`).set(bearer(c.keys.shopkeeper))).status).toBe(403);
  });
});

describe('liftWhen keeps a sanction until the balance is back (e2e)', () => {
  let t: TestApp;
  let c: County;
  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    const admin = bearer(c.keys.admin);
    const set = await t.http().post('/v1/rulesets').set(admin).send({
      regionCode: c.county, asset: 'CONDUCT', name: '需恢复积分', effectiveFrom: '2026-01-01',
      items: [
        { code: 'R01', name: '好人好事', direction: 'credit', points: '3', noticeDays: 0 },
        { code: 'Y01', name: '乱扔垃圾', direction: 'debit', points: '5', noticeDays: 0 },
      ],
      sanctions: [{ code: 'S09', benefitCodes: ['REDEEM'], when: { deductedAtLeast: '5', windowDays: 30 }, liftWhen: { balanceAtLeast: '2' } }],
    });
    await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(admin);
  });
  afterAll(async () => t.close());

  it('the condition gone is not enough while the balance is below liftWhen', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const post = async (ruleCode: string) => {
      const rec = await t.http().post('/v1/records').set(bearer(c.keys.clerk)).send({ holder: { type: 'household', id: hh }, ruleCode, occurredOn: today() });
      await t.http().post(`/v1/records/${rec.body.id}/approve`).set(bearer(c.keys.reviewer)).send({});
      return rec.body.id as string;
    };
    const redeem = async () => (await t.http().get(`/v1/households/${hh}/eligibility?benefit=REDEEM`).set(bearer(c.keys.clerk))).body.eligible;
    const y = await post('Y01'); // balance −5, deducted 5: sanctioned
    expect(await redeem()).toBe(false);
    await t.http().post(`/v1/records/${y}/void`).set(bearer(c.keys.reviewer)).send({ reason: '误录' }); // deducted 0, but balance 0 < 2
    expect(await redeem()).toBe(false);
    await post('R01'); // balance 3 ≥ 2
    expect(await redeem()).toBe(true);
  });
});
