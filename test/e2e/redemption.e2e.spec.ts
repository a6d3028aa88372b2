import { DataSource } from 'typeorm';
import { RedemptionsService } from '../../src/redemption/redemptions.service';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, issueKey, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

const PIN = '123456'; // what makeHousehold sets

describe('redemption at shops, funds and settlement (e2e)', () => {
  let t: TestApp;
  let c: County;
  let admin: Record<string, string>;
  let shopkeeper: Record<string, string>;

  const post = (url: string, body: object, auth = shopkeeper, key: string | null = newIdempotencyKey()) => {
    const req = t.http().post(url).set(auth);
    return (key ? req.set('Idempotency-Key', key) : req).send(body);
  };
  const give = async (hh: string, amount: string, asset = 'CONDUCT') => {
    const res = await post('/v1/transfers', { asset, from: 'issuer', to: { type: 'household', id: hh }, amount, memo: '红榜' }, admin);
    expect(res.status).toBe(201);
  };
  const balance = async (hh: string, asset = 'CONDUCT') =>
    (await t.http().get(`/v1/holders/household/${hh}/balances`).set(admin)).body.balances.find((b: any) => b.asset === asset) as { balance: string; available: string };
  const stock = async (sku: string) => ((await t.http().get(`/v1/shops/${c.shopId}/items`).set(shopkeeper)).body.items as any[]).find((i) => i.sku === sku)?.stock;
  const addItem = async (sku: string, price: string, qty: number) => {
    const res = await post(`/v1/shops/${c.shopId}/items`, { sku, name: `商品${sku}`, asset: 'CONDUCT', price, stock: qty }, shopkeeper, null);
    expect(res.status).toBe(201);
  };
  const redeem = (hh: string, body: object, query = '', key = newIdempotencyKey()) =>
    post(`/v1/redemptions${query}`, { shopId: c.shopId, holder: { type: 'household', id: hh }, pin: PIN, ...body }, shopkeeper, key);

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    admin = bearer(c.keys.admin);
    shopkeeper = bearer(c.keys.shopkeeper);
    const set = await t.http().post('/v1/rulesets').set(admin).send({
      regionCode: c.county, asset: 'CONDUCT', name: '兑换测试', effectiveFrom: '2026-01-01', redeemFloor: '10',
      items: [{ code: 'Y01', name: '乱扔垃圾', direction: 'debit', points: '5', noticeDays: 0 }],
      sanctions: [{ code: 'S01', benefitCodes: ['REDEEM'], when: { deductedAtLeast: '5', windowDays: 30 } }],
    });
    expect(set.status).toBe(201);
    expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(admin)).status).toBe(200);
    // The fund has to pay for what the shop takes.
    expect((await post(`/v1/funds/${c.fundId}/donations`, { donor: '县慈善会', amount: '10000.00' }, admin)).status).toBe(201);
  });
  afterAll(async () => t.close());

  describe('shops and items', () => {
    it('a shopkeeper stocks its own shop only, with assets the shop accepts', async () => {
      await addItem('OIL-5L', '20', 3);
      expect(await stock('OIL-5L')).toBe(3);
      expect((await post(`/v1/shops/${c.shopId}/items`, { sku: 'OIL-5L', name: 'x', asset: 'CONDUCT', price: '1', stock: 1 }, shopkeeper, null)).status).toBe(409);
      expect((await post(`/v1/shops/${c.shopId}/items`, { sku: 'XS', name: 'x', asset: 'XIAOSHAN', price: '1', stock: 1 }, shopkeeper, null)).status).toBe(422);
      const other = await post('/v1/shops', { name: '白泉村爱心商家', regionCode: c.townships[1], acceptedAssets: ['CONDUCT'], rates: { CONDUCT: '1' }, fundId: c.fundId }, admin, null);
      expect(other.status).toBe(201);
      expect((await t.http().get(`/v1/shops/${other.body.id}`).set(shopkeeper)).status).toBe(404);
      expect((await post(`/v1/shops/${other.body.id}/items`, { sku: 'A', name: 'x', asset: 'CONDUCT', price: '1', stock: 1 }, shopkeeper, null)).status).toBe(404);
      const restock = await post(`/v1/shops/${c.shopId}/items/OIL-5L/stock`, { change: 2 }, shopkeeper, null);
      expect(restock.body.stock).toBe(5);
      expect((await post(`/v1/shops/${c.shopId}/items/OIL-5L/stock`, { change: -9 }, shopkeeper, null)).status).toBe(422);
    });

    it('refuses a shop whose rates do not match its assets, or a fund of another region', async () => {
      const bad = await post('/v1/shops', { name: 'x', regionCode: c.villages[0], acceptedAssets: ['CONDUCT', 'XIAOSHAN'], rates: { CONDUCT: 'abc', YIBI: '1' }, fundId: c.fundId }, admin, null);
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['acceptedAssets', 'rates.CONDUCT', 'rates.XIAOSHAN', 'rates.YIBI']);
      const villageFund = await post('/v1/funds', { name: '泉秀村孝善基金', regionCode: c.villages[0] }, admin, null);
      const elsewhere = await post('/v1/shops', { name: 'x', regionCode: c.villages[2], acceptedAssets: ['CONDUCT'], rates: { CONDUCT: '1' }, fundId: villageFund.body.id }, admin, null);
      expect(elsewhere.status).toBe(422);
    });
  });

  describe('redemption', () => {
    it('a basket, one step: points to the shop, stock taken, and the shop never sees the balance', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      await give(hh, '100');
      await addItem('SOAP', '5', 10);
      const res = await redeem(hh, { lines: [{ sku: 'SOAP', quantity: 2 }] });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'completed', asset: 'CONDUCT', amount: '10.00', lines: [{ sku: 'SOAP', quantity: 2, unitPrice: '5.00', amount: '10.00' }] });
      expect(JSON.stringify(res.body)).not.toMatch(/balance|available/i);
      expect((await balance(hh)).balance).toBe('90.00');
      expect(await stock('SOAP')).toBe(8);
      // A replay answers the same and spends nothing more; the key with another body is 409.
      const key = newIdempotencyKey();
      const first = await redeem(hh, { asset: 'CONDUCT', amount: '1' }, '', key);
      const again = await redeem(hh, { asset: 'CONDUCT', amount: '1' }, '', key);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(first.body.id);
      expect((await balance(hh)).balance).toBe('89.00');
      expect((await redeem(hh, { asset: 'CONDUCT', amount: '2' }, '', key)).status).toBe(409);
    });

    it('refuses with 422 and a reason: not enough above the floor, not accepted, out of stock, sanctioned; 404 outside the shop region', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      await give(hh, '30');
      // redeemFloor 10: 20 points are spendable, not 21.
      const tooMuch = await redeem(hh, { asset: 'CONDUCT', amount: '21' });
      expect(tooMuch.status).toBe(422);
      expect(tooMuch.body).toMatchObject({ code: 'insufficient-points', detail: '积分不足' });
      const { requestId: _id, ...shown } = tooMuch.body; // a request id may contain any digits
      expect(JSON.stringify(shown)).not.toMatch(/30|20\b/);
      expect((await redeem(hh, { asset: 'CONDUCT', amount: '20' })).status).toBe(201);
      await give(hh, '50', 'XIAOSHAN');
      expect((await redeem(hh, { asset: 'XIAOSHAN', amount: '1' })).body.code).toBe('asset-not-accepted');
      await addItem('LAST', '1', 0);
      await give(hh, '20');
      expect((await redeem(hh, { lines: [{ sku: 'LAST', quantity: 1 }] })).body.code).toBe('out-of-stock');
      expect((await redeem(hh, { lines: [{ sku: 'NOPE', quantity: 1 }] })).status).toBe(404);
      // A yellow item starts S01, which suspends REDEEM.
      const rec = await t.http().post('/v1/records').set(bearer(c.keys.clerk)).send({ holder: { type: 'household', id: hh }, ruleCode: 'Y01', occurredOn: new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10) });
      expect((await t.http().post(`/v1/records/${rec.body.id}/approve`).set(bearer(c.keys.reviewer))).body.status).toBe('posted');
      expect((await redeem(hh, { asset: 'CONDUCT', amount: '1' })).body.code).toBe('sanctioned');
      const away = await makeHousehold(t, c.otherVillageKeys.clerk, c.villages[2]);
      expect((await redeem(away, { asset: 'CONDUCT', amount: '1' })).status).toBe(404);
      expect((await redeem(hh, { lines: [{ sku: 'SOAP', quantity: 1 }], asset: 'CONDUCT', amount: '1' })).status).toBe(400);
    });

    it('five wrong PINs lock redemptions for 15 minutes (429), the lock is kept, and a clerk setting a new PIN clears it', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      await give(hh, '50');
      for (let i = 1; i <= 4; i++) {
        const wrong = await redeem(hh, { asset: 'CONDUCT', amount: '1', pin: '000000' });
        expect(wrong.status).toBe(422);
        expect(wrong.body.code).toBe('pin-incorrect');
      }
      const fifth = await redeem(hh, { asset: 'CONDUCT', amount: '1', pin: '000000' });
      expect(fifth.status).toBe(429);
      expect(Number(fifth.headers['retry-after'])).toBe(900);
      const right = await redeem(hh, { asset: 'CONDUCT', amount: '1' });
      expect(right.status).toBe(429);
      const [lock] = await t.app.get(DataSource).query(`SELECT shop_id, locked_until > now() + interval '14 minutes' AS long_enough FROM pin_lockouts WHERE holder_id = $1`, [hh]);
      expect(lock).toEqual({ shop_id: c.shopId, long_enough: true });
      expect((await balance(hh)).balance).toBe('50.00');
      const reset = await t.http().put(`/v1/holders/household/${hh}/pin`).set(bearer(c.keys.clerk)).send({ pin: '246810' });
      expect(reset.status).toBe(200);
      expect((await redeem(hh, { asset: 'CONDUCT', amount: '1', pin: '246810' })).status).toBe(201);
      expect((await t.http().put(`/v1/holders/household/${hh}/pin`).set(bearer(c.otherVillageKeys.clerk)).send({ pin: '111111' })).status).toBe(404);
    });

    it('a hold reserves points and stock; it is completed, cancelled, or expires and gives both back', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      await give(hh, '100');
      await addItem('RICE', '10', 5);
      const held = await redeem(hh, { lines: [{ sku: 'RICE', quantity: 2 }] }, '?hold=true');
      expect(held.status).toBe(201);
      expect(held.body).toMatchObject({ status: 'held', amount: '20.00', expiresAt: expect.any(String) });
      expect(await balance(hh)).toMatchObject({ balance: '100.00', available: '80.00' });
      expect(await stock('RICE')).toBe(3);
      const done = await post(`/v1/redemptions/${held.body.id}/complete`, {});
      expect(done.status).toBe(200);
      expect(done.body.status).toBe('completed');
      expect(await balance(hh)).toMatchObject({ balance: '80.00', available: '80.00' });

      const second = await redeem(hh, { lines: [{ sku: 'RICE', quantity: 1 }] }, '?hold=true');
      const cancelled = await post(`/v1/redemptions/${second.body.id}/cancel`, {}, shopkeeper, null);
      expect(cancelled.body.status).toBe('cancelled');
      expect(await stock('RICE')).toBe(3);
      expect(await balance(hh)).toMatchObject({ available: '80.00' });
      expect((await post(`/v1/redemptions/${second.body.id}/complete`, {})).status).toBe(409);

      const third = await redeem(hh, { lines: [{ sku: 'RICE', quantity: 3 }] }, '?hold=true&holdMinutes=1');
      expect(await stock('RICE')).toBe(0);
      const expired = await t.app.get(RedemptionsService).expireHeld(new Date(Date.now() + 61_000));
      expect(expired).toBeGreaterThanOrEqual(1);
      expect((await t.http().get(`/v1/redemptions/${third.body.id}`).set(shopkeeper)).body.status).toBe('expired');
      expect(await stock('RICE')).toBe(3);
      expect(await balance(hh)).toMatchObject({ balance: '80.00', available: '80.00' });
      expect(await t.app.get(RedemptionsService).expireHeld(new Date(Date.now() + 61_000))).toBe(0); // idempotent
    });

    it('a refund reverses the redemption and returns its stock, once', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      await give(hh, '40');
      await addItem('TOWEL', '4', 2);
      const r = await redeem(hh, { lines: [{ sku: 'TOWEL', quantity: 1 }] });
      const refunded = await post(`/v1/redemptions/${r.body.id}/refund`, { reason: '商品破损' });
      expect(refunded.status).toBe(200);
      expect(refunded.body).toMatchObject({ status: 'refunded', refundTransactionId: expect.any(String) });
      expect((await balance(hh)).balance).toBe('40.00');
      expect(await stock('TOWEL')).toBe(2);
      expect((await post(`/v1/redemptions/${r.body.id}/refund`, { reason: '再退' })).status).toBe(409);
    });
  });

  describe('concurrency', () => {
    it('20 concurrent redemptions against a balance that covers 10: exactly 10 succeed', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      await give(hh, '110'); // floor 10: 100 spendable, 10 redemptions of 10
      const results = await Promise.all(Array.from({ length: 20 }, () => redeem(hh, { asset: 'CONDUCT', amount: '10' })));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(10);
      expect(statuses.filter((s) => s === 422)).toHaveLength(10);
      expect((await balance(hh)).balance).toBe('10.00');
    });

    it('concurrent purchases of the last item in stock: exactly one succeeds', async () => {
      await addItem('LAST-ONE', '1', 1);
      const buyers = await Promise.all(Array.from({ length: 6 }, () => makeHousehold(t, c.keys.clerk, c.villages[0])));
      for (const b of buyers) await give(b, '20');
      const results = await Promise.all(buyers.map((b) => redeem(b, { lines: [{ sku: 'LAST-ONE', quantity: 1 }] })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 422).every((r) => r.body.code === 'out-of-stock')).toBe(true);
      expect(await stock('LAST-ONE')).toBe(0);
    });
  });

  describe('funds and settlement', () => {
    it('donations are idempotent; on a household\'s behalf they earn XIAOSHAN at the fund rate', async () => {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      const fund = await post('/v1/funds', { name: '泉秀村孝善基金', regionCode: c.villages[0], conversionRate: '2' }, admin, null);
      const clerk = bearer(c.keys.clerk);
      const key = newIdempotencyKey();
      const gift = { donor: '在外务工的儿子', amount: '200.00', holder: { type: 'household', id: hh } };
      const first = await post(`/v1/funds/${fund.body.id}/donations`, gift, clerk, key);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ amount: '200.00', points: '400.00', householdId: hh });
      const again = await post(`/v1/funds/${fund.body.id}/donations`, gift, clerk, key);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(first.body.id);
      expect((await post(`/v1/funds/${fund.body.id}/donations`, { ...gift, amount: '300.00' }, clerk, key)).status).toBe(409);
      expect((await balance(hh, 'XIAOSHAN')).balance).toBe('400.00');
      expect((await t.http().get(`/v1/funds/${fund.body.id}`).set(clerk)).body.balance).toBe('200.00');
      // Without a household: CNY only. The county fund is beyond a village clerk's reach.
      expect((await post(`/v1/funds/${fund.body.id}/donations`, { donor: '乡贤', amount: '50.00' }, clerk)).body.points).toBeNull();
      expect((await post(`/v1/funds/${c.fundId}/donations`, { donor: 'x', amount: '1.00' }, clerk)).status).toBe(404);
      const away = await makeHousehold(t, c.otherVillageKeys.clerk, c.villages[2]);
      expect((await post(`/v1/funds/${fund.body.id}/donations`, { donor: 'x', amount: '1.00', holder: { type: 'household', id: away } }, clerk)).status).toBe(404);
    });

    it('amounts are shown at their asset\'s scale: a whole-point asset settles as whole points, CNY to the fen', async () => {
      expect((await t.http().post('/v1/assets').set(admin).send({ code: 'STAMP', name: '集章', holderType: 'household', scale: 0, redeemable: true })).status).toBe(201);
      const fund = await post('/v1/funds', { name: '集章基金', regionCode: c.townships[0] }, admin, null);
      await post(`/v1/funds/${fund.body.id}/donations`, { donor: '乡贤', amount: '100.00' }, admin);
      const shop = await post('/v1/shops', { name: '集章小店', regionCode: c.villages[0], acceptedAssets: ['STAMP'], rates: { STAMP: '0.5' }, fundId: fund.body.id }, admin, null);
      const stampKeeper = bearer(await issueKey(t, c.tenantId, 'shopkeeper', { shopId: shop.body.id }));
      expect((await post(`/v1/shops/${shop.body.id}/items`, { sku: 'PEN', name: '笔', asset: 'STAMP', price: '3', stock: 5 }, stampKeeper, null)).status).toBe(201);
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
      await give(hh, '10', 'STAMP');
      const bought = await post('/v1/redemptions', { shopId: shop.body.id, holder: { type: 'household', id: hh }, pin: PIN, lines: [{ sku: 'PEN', quantity: 1 }] }, stampKeeper);
      expect([bought.status, bought.body.amount]).toEqual([201, '3']);
      const settled = await post('/v1/settlements', { shopId: shop.body.id, through: new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10) }, admin);
      expect(settled.status).toBe(201);
      expect(settled.body).toMatchObject({ points: '3', amountCny: '1.50', byAsset: [{ asset: 'STAMP', points: '3', amountCny: '1.50' }] });
      expect(settled.body.lines[0]).toMatchObject({ points: '3', amountCny: '1.50' });
      const view = await t.http().get(`/v1/funds/${fund.body.id}`).set(admin);
      expect(view.body).toMatchObject({ balance: '98.50', outstanding: [{ asset: 'STAMP', points: '7', valueCny: '3.50' }], outstandingPoints: '7' });
    });

    it('a fund shows its balance, what it backs and its coverage, flagged below the threshold (also in metrics)', async () => {
      const fund = await post('/v1/funds', { name: '小基金', regionCode: c.townships[0], coverageAlertBelow: '1.5' }, admin, null);
      const shop = await post('/v1/shops', { name: '小商店', regionCode: c.villages[1], acceptedAssets: ['CONDUCT'], rates: { CONDUCT: '0.5' }, fundId: fund.body.id }, admin, null);
      expect(shop.status).toBe(201);
      const hh = await makeHousehold(t, c.keys.admin, c.villages[1]);
      await give(hh, '100'); // backs 100 points × 0.5 = 50.00 CNY
      await post(`/v1/funds/${fund.body.id}/donations`, { donor: '乡贤', amount: '60.00' }, admin);
      const view = await t.http().get(`/v1/funds/${fund.body.id}`).set(admin);
      expect(view.body).toMatchObject({ balance: '60.00', outstandingPoints: '100.00', outstandingCny: '50.00', coverageRatio: '1.2000', belowAlert: true });
      expect(view.body.alert).toMatch(/低于预警线/);
      const metrics = await t.http().get('/metrics');
      expect(metrics.text).toMatch(new RegExp(`jifen_fund_coverage_alert\\{tenant="${c.tenantId}",fund="${fund.body.id}"\\} 1`));
      expect((await t.http().get(`/v1/funds/${fund.body.id}`).set(bearer(c.otherVillageKeys.clerk))).status).toBe(404);
    });

    it('a shop\'s month: redemptions, a refund, settlement to the fen, a second settlement refused, the CSV statement, payout; the ledger verifies', async () => {
      const shop = await post('/v1/shops', { name: '红旗村爱心商家', regionCode: c.villages[1], acceptedAssets: ['CONDUCT'], rates: { CONDUCT: '0.35' }, fundId: c.fundId }, admin, null);
      const hh = await makeHousehold(t, c.keys.admin, c.villages[1]);
      await give(hh, '200');
      const spend = (amount: string) =>
        post('/v1/redemptions', { shopId: shop.body.id, holder: { type: 'household', id: hh }, pin: PIN, asset: 'CONDUCT', amount }, admin);
      const amounts = ['3.33', '7.01', '12.50', '0.99'];
      const made = [];
      for (const a of amounts) made.push((await spend(a)).body);
      const refunded = await post(`/v1/redemptions/${made[3].id}/refund`, { reason: '退货' }, admin);
      expect(refunded.body.status).toBe('refunded');
      const fundBefore = (await t.http().get(`/v1/funds/${c.fundId}`).set(admin)).body.balance;
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

      const [a, b] = await Promise.all([post('/v1/settlements', { shopId: shop.body.id, through: today }, admin), post('/v1/settlements', { shopId: shop.body.id, through: today }, admin)]);
      const ok = [a, b].filter((r) => r.status === 201);
      expect(ok).toHaveLength(1);
      expect([a, b].find((r) => r.status !== 201)!.body.code).toBe('nothing-to-settle');
      const s = ok[0].body;
      // 3.33×0.35 = 1.1655 → 1.17; 7.01×0.35 = 2.4535 → 2.45; 12.50×0.35 = 4.375 → 4.38
      expect(s).toMatchObject({ redemptions: 3, points: '22.84', amountCny: '8.00', status: 'issued' });
      expect(s.lines.map((l: any) => l.amountCny)).toEqual(['1.17', '2.45', '4.38']);
      expect((await t.http().get(`/v1/funds/${c.fundId}`).set(admin)).body.balance).toBe((Number(fundBefore) - 8).toFixed(2));
      const shopBalances = (await t.http().get(`/v1/holders/shop/${shop.body.id}/balances`).set(admin)).body.balances;
      expect(Object.fromEntries(shopBalances.map((x: any) => [x.asset, x.balance]))).toMatchObject({ CONDUCT: '0.00', CNY: '8.00' });
      expect((await post(`/v1/redemptions/${made[0].id}/refund`, { reason: '结算后退货' }, admin)).status).toBe(409);

      const csv = await t.http().get(`/v1/settlements/${s.id}/statement.csv`).set(admin);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/text\/csv/);
      const rows = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
      expect(rows[0]).toMatch(/^兑换单号,/);
      expect(rows).toHaveLength(5);
      expect(rows[4]).toBe('合计,,,,,22.84,,8.00');

      const paid = await post(`/v1/settlements/${s.id}/paid`, { reference: '农商行转账 20261122-001' }, admin);
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ status: 'paid', paidReference: '农商行转账 20261122-001' });
      expect((await post(`/v1/settlements/${s.id}/paid`, { reference: 'again' }, admin)).status).toBe(409);
      const after = (await t.http().get(`/v1/holders/shop/${shop.body.id}/balances`).set(admin)).body.balances;
      expect(after.find((x: any) => x.asset === 'CNY').balance).toBe('0.00');
      const listed = await t.http().get(`/v1/settlements?shopId=${shop.body.id}`).set(admin);
      expect(listed.body.items[0]).toMatchObject({ id: s.id, status: 'paid' });

      const verify = await t.http().get('/v1/ledger/verify').set(admin);
      expect(verify.body).toMatchObject({ balanced: true, balancesMatchEntries: true });
    });

    it('a shopkeeper sees its own redemptions and statements, never another shop\'s', async () => {
      const mine = await t.http().get('/v1/redemptions').set(shopkeeper);
      expect(mine.status).toBe(200);
      expect(mine.body.items.every((r: any) => r.shopId === c.shopId)).toBe(true);
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      expect((await t.http().get(`/v1/redemptions?on=${today}`).set(shopkeeper)).body.items.length).toBeGreaterThan(0);
      const others = (await t.http().get('/v1/shops').set(admin)).body.items.filter((s: any) => s.id !== c.shopId);
      expect((await t.http().get(`/v1/redemptions?shopId=${others[0].id}`).set(shopkeeper)).status).toBe(404);
      expect((await t.http().get(`/v1/settlements?shopId=${others[0].id}`).set(shopkeeper)).status).toBe(404);
    });
  });
});
