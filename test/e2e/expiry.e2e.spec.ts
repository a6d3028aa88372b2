import { DataSource } from 'typeorm';
import { LedgerExpiry } from '../../src/ledger/ledger.expiry';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

const DAY = 86400_000;
const shanghaiDate = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);

/**
 * Lots get their date from the moment they are posted, so the test moves the
 * process clock (Date only; timers stay real) back to post older lots.
 */
describe('points expiry by FIFO lots (e2e)', () => {
  let t: TestApp;
  let c: County;
  let admin: Record<string, string>;
  const realNow = Date.now();
  const today = shanghaiDate(realNow);
  const at = (daysAgo: number) => jest.setSystemTime(new Date(realNow - daysAgo * DAY));
  const transfer = (body: object) => t.http().post('/v1/transfers').set(admin).set('Idempotency-Key', newIdempotencyKey()).send(body);
  const balances = async (hh: string) => (await t.http().get(`/v1/holders/household/${hh}/balances`).set(admin)).body.balances.find((b: any) => b.asset === 'LOYAL');

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    admin = bearer(c.keys.admin);
    const asset = await t.http().post('/v1/assets').set(admin).send({ code: 'LOYAL', name: '积分（300天有效）', holderType: 'household', scale: 2, redeemable: true, expiry: { policy: 'days', days: 300 } });
    expect(asset.status).toBe(201);
    // A second asset, so its issuer account's clock is not held up by the first test's postings.
    const other = await t.http().post('/v1/assets').set(admin).send({ code: 'LOYAL_B', name: '积分B', holderType: 'household', scale: 2, redeemable: true, expiry: { policy: 'days', days: 300 } });
    expect(other.status).toBe(201);
  });
  afterAll(async () => {
    jest.useRealTimers();
    await t.close();
  });

  it('spends the oldest lot first, expires what is left of due lots once, and shows what expires soon', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const other = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      at(310); // lot 1: 10 points, expires 10 days ago
      expect((await transfer({ asset: 'LOYAL', from: 'issuer', to: { type: 'household', id: hh }, amount: '10', memo: '第一批' })).status).toBe(201);
      at(280); // lot 2: 5 points, expires in 20 days
      expect((await transfer({ asset: 'LOYAL', from: 'issuer', to: { type: 'household', id: hh }, amount: '5', memo: '第二批' })).status).toBe(201);
      at(200); // 4 spent: taken from lot 1
      expect((await transfer({ asset: 'LOYAL', from: { type: 'household', id: hh }, to: { type: 'household', id: other }, amount: '4', memo: '转赠' })).status).toBe(201);
    } finally {
      jest.useRealTimers();
    }
    const lot2Expires = shanghaiDate(realNow - 280 * DAY + 300 * DAY);
    const lot1Expires = shanghaiDate(realNow - 310 * DAY + 300 * DAY);
    // Before the job: 6 of lot 1 are due already, 5 of lot 2 fall due within 30 days.
    expect((await balances(hh)).expiringSoon).toEqual([
      { expiresOn: lot1Expires, amount: '6.00' },
      { expiresOn: lot2Expires, amount: '5.00' },
    ]);

    const run = await t.http().post('/v1/jobs/expire').set(admin).send({ asOf: today });
    expect(run.body).toMatchObject({ asOf: today });
    expect(run.status).toBe(200);
    expect(run.body.expired).toEqual(expect.arrayContaining([{ holder: { type: 'household', id: hh }, asset: 'LOYAL', amount: '6.00' }]));
    // other's 4 points came today-200 → still valid until today+100.
    expect(run.body.expired.find((e: any) => e.holder.id === other)).toBeUndefined();
    expect(await balances(hh)).toMatchObject({ balance: '5.00', expiringSoon: [{ expiresOn: lot2Expires, amount: '5.00' }] });

    // Idempotent: a second run expires nothing more.
    const again = await t.http().post('/v1/jobs/expire').set(admin).send({ asOf: today });
    expect(again.body.expired.find((e: any) => e.holder.id === hh)).toBeUndefined();
    const [expiry] = await t.app.get(DataSource).query(
      `SELECT balance::text AS balance FROM accounts WHERE tenant_id = $1 AND holder_type = 'system' AND holder_id = 'expiry' AND asset_code = 'LOYAL'`,
      [c.tenantId],
    );
    expect(Number(expiry.balance)).toBe(6);
    // Assets without a policy carry no expiringSoon.
    const conduct = (await t.http().get(`/v1/holders/household/${hh}/balances`).set(admin)).body.balances.find((b: any) => b.asset === 'CONDUCT');
    expect(conduct.expiringSoon).toBeUndefined();
  });

  it('does not expire points reserved by a pending hold; refuses a future asOf; reports progress', async () => {
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      at(301);
      expect((await transfer({ asset: 'LOYAL_B', from: 'issuer', to: { type: 'household', id: hh }, amount: '8', memo: '旧积分' })).status).toBe(201);
    } finally {
      jest.useRealTimers();
    }
    const expiry = t.app.get(LedgerExpiry);
    const { LedgerHolds } = await import('../../src/ledger/ledger-holds.service');
    const Decimal = (await import('decimal.js')).default;
    const hold = await t.app.get(LedgerHolds).hold({ tenantId: c.tenantId, asset: 'LOYAL_B', from: { type: 'household', id: hh }, to: 'issuer', amount: new Decimal(3), kind: 'redeem', memo: '预留', actor: 'test' });
    const seen: [number, number][] = [];
    const r = await expiry.expire(c.tenantId, today, (done, total) => seen.push([done, total]));
    expect(r.expired.find((e) => e.holder.id === hh)?.amount).toBe('5.00');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1][0]).toBe(seen[seen.length - 1][1]);
    await t.app.get(LedgerHolds).cancelHold(c.tenantId, hold.id);
    const r2 = await expiry.expire(c.tenantId, today);
    expect(r2.expired.find((e) => e.holder.id === hh)?.amount).toBe('3.00');
    const future = shanghaiDate(realNow + 2 * DAY);
    expect((await t.http().post('/v1/jobs/expire').set(admin).send({ asOf: future })).status).toBe(422);
    const verify = await t.http().get('/v1/ledger/verify').set(admin);
    expect(verify.body).toMatchObject({ balanced: true, balancesMatchEntries: true });
  });

  it('yearEnd: what was earned last year expires on 1 January; this year\'s points wait for the next', async () => {
    const annual = await t.http().post('/v1/assets').set(admin).send({ code: 'ANNUAL', name: '年度积分', holderType: 'household', scale: 2, redeemable: true, expiry: { policy: 'yearEnd' } });
    expect(annual.status).toBe(201);
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    const thisYear = Number(today.slice(0, 4));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      jest.setSystemTime(new Date(`${thisYear - 1}-06-15T04:00:00Z`));
      expect((await transfer({ asset: 'ANNUAL', from: 'issuer', to: { type: 'household', id: hh }, amount: '7', memo: '去年' })).status).toBe(201);
    } finally {
      jest.useRealTimers();
    }
    expect((await transfer({ asset: 'ANNUAL', from: 'issuer', to: { type: 'household', id: hh }, amount: '2', memo: '今年' })).status).toBe(201);
    const run = await t.app.get(LedgerExpiry).expire(c.tenantId, today);
    expect(run.expired.filter((e) => e.holder.id === hh)).toEqual([{ holder: { type: 'household', id: hh }, asset: 'ANNUAL', amount: '7.00' }]);
    const nextJanuary = `${thisYear + 1}-01-01`;
    const soon = nextJanuary <= shanghaiDate(realNow + 30 * DAY) ? [{ expiresOn: nextJanuary, amount: '2.00' }] : [];
    const b = (await t.http().get(`/v1/holders/household/${hh}/balances`).set(admin)).body.balances.find((x: any) => x.asset === 'ANNUAL');
    expect(b).toMatchObject({ balance: '2.00', expiringSoon: soon });
  });
});
