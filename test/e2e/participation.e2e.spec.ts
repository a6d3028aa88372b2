import { shanghaiToday } from '../../src/platform/util/business-date';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold } from '../helpers/fixtures';

/** Participation for townships and the county (issue 21): which villages take part, lowest first. */
describe('participation report (e2e)', () => {
  let t: TestApp;
  let c: County;
  const today = shanghaiToday();
  const month = today.slice(0, 7);

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({
      regionCode: c.county, asset: 'CONDUCT', name: '红黄榜', effectiveFrom: '2026-01-01',
      items: [{ code: 'R01', name: '清扫公共区域', direction: 'credit', points: '2', noticeDays: 0 }],
    });
    await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin));
  });
  afterAll(async () => t.close());

  it('counts households, active households, the rate, points issued and redeemed and claims per village, lowest rate first; scoped to the caller', async () => {
    const a = await makeHousehold(t, c.keys.clerk, c.villages[0], '王一');
    await makeHousehold(t, c.keys.clerk, c.villages[0], '王二');
    await makeHousehold(t, c.keys.admin, c.villages[1], '李一');
    for (const hh of [a, a]) {
      const rec = await t.http().post('/v1/records').set(bearer(c.keys.clerk)).send({ holder: { type: 'household', id: hh }, ruleCode: 'R01', occurredOn: today });
      expect((await t.http().post(`/v1/records/${rec.body.id}/approve`).set(bearer(c.keys.reviewer))).body.status).toBe('posted');
    }
    const redeemed = await t.http().post('/v1/redemptions').set(bearer(c.keys.shopkeeper)).set('Idempotency-Key', 'participation-1')
      .send({ shopId: c.shopId, holder: { type: 'household', id: a }, pin: '123456', asset: 'CONDUCT', amount: '1' });
    expect(redeemed.status).toBe(201);

    const res = await t.http().get(`/v1/reports/participation?regionCode=${c.townships[0]}&period=${month}`).set(bearer(c.keys.auditor));
    expect(res.status).toBe(200);
    expect(res.body.villages).toEqual([
      { villageCode: c.villages[1], villageName: '红旗村', households: 1, active: 0, rate: 0, issued: '0.00', redeemed: '0.00', claims: 0, claimsApproved: 0 },
      { villageCode: c.villages[0], villageName: '泉秀村', households: 2, active: 1, rate: 0.5, issued: '4.00', redeemed: '1.00', claims: 0, claimsApproved: 0 },
    ]);
    // A village clerk sees its own village only; another township is 404 to it.
    const own = await t.http().get(`/v1/reports/participation?period=${month}`).set(bearer(c.keys.clerk));
    expect(own.body.villages.map((v: any) => v.villageCode)).toEqual([c.villages[0]]);
    expect((await t.http().get(`/v1/reports/participation?regionCode=${c.townships[1]}&period=${month}`).set(bearer(c.keys.clerk))).status).toBe(404);
    expect((await t.http().get('/v1/reports/participation?period=2026-Q1').set(bearer(c.keys.auditor))).status).toBe(400);
  });
});
