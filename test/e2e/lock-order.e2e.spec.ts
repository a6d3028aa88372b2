import Decimal from 'decimal.js';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, newIdempotencyKey } from '../helpers/fixtures';

const PIN = '123456'; // what makeHousehold sets
const OPERATIONS = 200;
const CONNECTIONS = 8;

/**
 * Issue 17: every path that moves points takes its locks in the ledger's one
 * order (accounts by id, under the writer), so redemptions, baskets, holds,
 * refunds and transfers on the same accounts, run at once, never deadlock: no
 * 40P01 or 40001 is retried (jifen_db_retries_total stays absent) and no answer
 * is a 5xx. With accounts locked FOR UPDATE instead of FOR NO KEY UPDATE, a
 * hold's foreign-key check on the shop's account joined that order out of turn:
 * this test then saw deadlocks retried, one 500, and 56 s instead of 4.
 */
describe('one lock order under concurrent redemptions, refunds and transfers (e2e)', () => {
  let t: TestApp;
  let c: County;
  let admin: Record<string, string>;
  let shopkeeper: Record<string, string>;
  const households: string[] = [];

  const post = (url: string, body: object, auth: Record<string, string>) => t.http().post(url).set(auth).set('Idempotency-Key', newIdempotencyKey()).send(body);
  const balanceOf = async (type: string, id: string) =>
    ((await t.http().get(`/v1/holders/${type}/${id}/balances`).set(admin)).body.balances as { asset: string; balance: string }[]).find((b) => b.asset === 'CONDUCT')?.balance ?? '0';

  beforeAll(async () => {
    t = await startTestApp({ dbPoolSize: CONNECTIONS, dbBatchPoolSize: 2 });
    c = await makeCounty(t);
    admin = bearer(c.keys.admin);
    shopkeeper = bearer(c.keys.shopkeeper);
    // A redeem floor, so every redemption carries a spend guard into the writer.
    const set = await t.http().post('/v1/rulesets').set(admin).send({
      regionCode: c.county, asset: 'CONDUCT', name: '锁序测试', effectiveFrom: '2026-01-01', redeemFloor: '10',
      items: [{ code: 'R01', name: '孝老爱亲', direction: 'credit', points: '5', noticeDays: 0 }],
    });
    expect(set.status).toBe(201);
    expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(admin)).status).toBe(200);
    // The shop's account is opened first, so it sorts before the households' (account order is id order):
    // a path that locked a household's account before the ledger's own locks would deadlock with refunds.
    const first = await makeHousehold(t, c.keys.clerk, c.villages[0], '赵先');
    expect((await post('/v1/transfers', { asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: first }, amount: '20', memo: '红榜' }, admin)).status).toBe(201);
    expect((await post('/v1/redemptions', { shopId: c.shopId, holder: { type: 'household', id: first }, pin: PIN, asset: 'CONDUCT', amount: '5' }, shopkeeper)).status).toBe(201);
    for (const name of ['王甲', '李乙', '张丙']) {
      const hh = await makeHousehold(t, c.keys.clerk, c.villages[0], name);
      households.push(hh);
      expect((await post('/v1/transfers', { asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: hh }, amount: '1000', memo: '红榜' }, admin)).status).toBe(201);
    }
    expect((await t.http().post(`/v1/shops/${c.shopId}/items`).set(shopkeeper).send({ sku: 'RICE', name: '大米', asset: 'CONDUCT', price: '3', stock: 10000 })).status).toBe(201);
  });
  afterAll(async () => t.close());

  it(`runs ${OPERATIONS} operations over ${CONNECTIONS} connections with no retry and no 5xx`, async () => {
    const completed: string[] = [];
    const statuses = new Map<number, number>();
    const kinds = new Map<string, number>();
    let next = 0;
    const one = async (i: number): Promise<number> => {
      const a = households[i % households.length];
      const b = households[(i + 1) % households.length];
      const holder = { type: 'household', id: a };
      switch (i % 6) {
        case 0:
          kinds.set('transfer', (kinds.get('transfer') ?? 0) + 1);
          return (await post('/v1/transfers', { asset: 'CONDUCT', from: { type: 'household', id: a }, to: { type: 'household', id: b }, amount: '1', memo: '互助' }, admin)).status;
        case 1:
        case 2: {
          kinds.set('redemption', (kinds.get('redemption') ?? 0) + 1);
          const res = await post('/v1/redemptions', { shopId: c.shopId, holder, pin: PIN, asset: 'CONDUCT', amount: '2' }, shopkeeper);
          if (res.status === 201 && res.body.status === 'completed') completed.push(res.body.id);
          return res.status;
        }
        case 3: {
          kinds.set('basket', (kinds.get('basket') ?? 0) + 1);
          const res = await post('/v1/redemptions', { shopId: c.shopId, holder, pin: PIN, lines: [{ sku: 'RICE', quantity: 1 }] }, shopkeeper);
          if (res.status === 201 && res.body.status === 'completed') completed.push(res.body.id);
          return res.status;
        }
        case 4: {
          kinds.set('hold-and-complete', (kinds.get('hold-and-complete') ?? 0) + 1);
          const held = await post('/v1/redemptions?hold=true', { shopId: c.shopId, holder, pin: PIN, asset: 'CONDUCT', amount: '1' }, shopkeeper);
          if (held.status !== 201) return held.status;
          const done = await post(`/v1/redemptions/${held.body.id}/complete`, {}, shopkeeper);
          if (done.status === 200) completed.push(held.body.id);
          return done.status;
        }
        default: {
          const id = completed.shift();
          if (!id) return one(i + 1);
          kinds.set('refund', (kinds.get('refund') ?? 0) + 1);
          return (await post(`/v1/redemptions/${id}/refund`, { reason: '退货' }, shopkeeper)).status;
        }
      }
    };
    const worker = async () => {
      while (next < OPERATIONS) {
        const status = await one(next++);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));

    expect([...statuses.values()].reduce((s, n) => s + n, 0)).toBe(OPERATIONS);
    // Every kind ran, and every one of them got through (balances are ample).
    expect([...kinds.keys()].sort()).toEqual(['basket', 'hold-and-complete', 'redemption', 'refund', 'transfer']);
    expect([...statuses].filter(([status]) => status !== 200 && status !== 201)).toEqual([]);

    const metrics = (await t.http().get('/metrics')).text;
    expect(metrics).toMatch(/# TYPE jifen_db_retries_total counter/);
    expect(metrics.split('\n').filter((l) => l.startsWith('jifen_db_retries_total{'))).toEqual([]);

    // Nothing lost: the households' and the shop's points still add up to what was issued.
    const held = await Promise.all([...households.map((h) => balanceOf('household', h)), balanceOf('shop', c.shopId)]);
    expect(held.reduce((s, b) => s.plus(b), new Decimal(0)).toFixed()).toBe('3005');
  });
});
