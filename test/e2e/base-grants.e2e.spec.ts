import { DataSource } from 'typeorm';
import { LedgerPosting } from '../../src/ledger/ledger-posting.service';
import { BaseGrantsService } from '../../src/records/base-grants.service';
import { shanghaiToday } from '../../src/platform/util/business-date';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold } from '../helpers/fixtures';

/**
 * 基础分 (issue 21): a rule set's baseGrant gives every household of its
 * region enrolled by the month's first day its base points once that month,
 * effective on the first day; running it twice, or twice at once, grants once.
 */
describe('base grants (e2e)', () => {
  let t: TestApp;
  let c: County;
  const today = shanghaiToday();
  const month = today.slice(0, 7);
  const firstDay = `${month}-01`;
  const balance = async (hh: string) =>
    (await t.http().get(`/v1/holders/household/${hh}/balances`).set(bearer(c.keys.admin))).body.balances.find((b: any) => b.asset === 'CONDUCT')?.balance;
  const run = (period = month) => t.http().post('/v1/jobs/base-grants').set(bearer(c.keys.admin)).send({ period });

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({
      regionCode: c.villages[0], asset: 'CONDUCT', name: '每月基础分 100', effectiveFrom: '2026-01-01', baseGrant: { points: '100', period: 'month' },
      items: [{ code: 'Y01', name: '乱扔垃圾', direction: 'debit', points: '5', noticeDays: 0 }],
    });
    expect(set.status).toBe(201);
    expect(set.body.baseGrant).toEqual({ points: '100', period: 'month' });
    expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin))).status).toBe(200);
  });
  afterAll(async () => t.close());

  it('grants each household enrolled by the first day once, effective on the first day; twice, or twice at once, grants nothing twice', async () => {
    const households: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: `户主${i}`, enrolledOn: '2025-06-01' });
      households.push(res.body.id);
    }
    const late = today > firstDay ? await makeHousehold(t, c.keys.clerk, c.villages[0], '月中入户') : null;
    const elsewhere = (await t.http().post('/v1/households').set(bearer(c.keys.admin)).send({ villageCode: c.villages[1], headName: '外村', enrolledOn: '2025-06-01' })).body.id;

    const [first, second] = await Promise.all([run(), run()]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body.granted + second.body.granted).toBe(3);
    for (const hh of households) expect(await balance(hh)).toBe('100.00');
    if (late) expect(await balance(late)).toBe('0.00');
    expect(await balance(elsewhere)).toBe('0.00');
    const entries = await t.http().get(`/v1/holders/household/${households[0]}/entries`).set(bearer(c.keys.admin));
    expect(entries.body.items).toHaveLength(1);
    expect(entries.body.items[0]).toMatchObject({ amount: '100.00', effectiveOn: firstDay, memo: `${month} 基础分` });

    const again = await run();
    expect(again.body).toMatchObject({ period: month, granted: 0 });
    for (const hh of households) expect(await balance(hh)).toBe('100.00');
    const [{ n }] = await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM base_grants WHERE tenant_id = $1 AND period = $2 AND transaction_id IS NOT NULL`, [c.tenantId, month]);
    expect(n).toBe(3);
  });

  it('a month not begun is 422, a malformed one 400; an earlier month is granted effective on its own first day', async () => {
    const next = new Date(Date.parse(`${firstDay}T00:00:00Z`) + 40 * 86400_000).toISOString().slice(0, 7);
    expect((await run(next)).status).toBe(422);
    expect((await run('2026-13')).status).toBe(400);
    const hh = (await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '老住户', enrolledOn: '2025-06-01' })).body.id;
    const previous = new Date(Date.parse(`${firstDay}T00:00:00Z`) - 86400_000).toISOString().slice(0, 7);
    const r = await run(previous);
    expect(r.status).toBe(200);
    expect(r.body.granted).toBeGreaterThanOrEqual(1);
    const asOf = await t.http().get(`/v1/holders/household/${hh}/balances?asOf=${previous}-01`).set(bearer(c.keys.admin));
    expect(asOf.body.balances.find((b: any) => b.asset === 'CONDUCT').balance).toBe('100.00');
  });
  it('a run that stops halfway (a crash between chunks) is finished by the next run, granting nobody twice', async () => {
    const village = c.villages[2];
    const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({
      regionCode: village, asset: 'CONDUCT', name: '白泉村基础分', effectiveFrom: '2026-01-01', baseGrant: { points: '50', period: 'month' },
      items: [{ code: 'Y01', name: '乱扔垃圾', direction: 'debit', points: '5', noticeDays: 0 }],
    });
    await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin));
    const households: string[] = [];
    for (let i = 0; i < 5; i++) households.push((await t.http().post('/v1/households').set(bearer(c.keys.admin)).send({ villageCode: village, headName: `白泉${i}`, enrolledOn: '2025-06-01' })).body.id);
    const grants = t.app.get(BaseGrantsService);
    grants.chunk = 2;
    const posting = t.app.get(LedgerPosting);
    const real = posting.postMany.bind(posting);
    let calls = 0;
    // The process dies while posting this village's second chunk (other villages' grants go through).
    const crash = jest.spyOn(posting, 'postMany').mockImplementation(async (m, reqs) => {
      if (reqs[0]?.entries[1]?.account.regionCode === village && ++calls === 2) throw new Error('the process died here');
      return real(m, reqs);
    });
    try {
      await expect(grants.grant(month, c.tenantId)).rejects.toThrow('the process died here');
    } finally {
      crash.mockRestore();
      grants.chunk = 500;
    }
    const granted = async () => (await Promise.all(households.map(balance))).filter((b) => b === '50.00').length;
    expect(await granted()).toBe(2); // the first chunk committed; the second rolled back
    const rerun = await run();
    expect(rerun.body.granted).toBe(3);
    expect(await granted()).toBe(5);
    expect((await run()).body.granted).toBe(0);
  });
});
