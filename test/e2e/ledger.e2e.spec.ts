import { DataSource } from 'typeorm';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, makePerson, newIdempotencyKey, newIdNumber } from '../helpers/fixtures';

const PROBLEM = /application\/problem\+json/;

describe('ledger over HTTP (e2e)', () => {
  let t: TestApp;
  let c: County;
  let admin: Record<string, string>;
  let hh: string; // household in villages[0]
  let hh2: string; // household in villages[0]
  let farHh: string; // household in villages[2]
  let person: string;

  const transfer = (body: object, key = newIdempotencyKey(), auth = admin) =>
    t.http().post('/v1/transfers').set(auth).set('Idempotency-Key', key).send(body);
  const issue = (to: object, amount: string, asset = 'CONDUCT') => transfer({ asset, from: 'issuer', to, amount, memo: '红榜: 孝老爱亲' });
  const balances = async (type: string, id: string, asOf?: string) => {
    const res = await t.http().get(`/v1/holders/${type}/${id}/balances${asOf ? `?asOf=${asOf}` : ''}`).set(admin);
    expect(res.status).toBe(200);
    return Object.fromEntries(res.body.balances.map((b: any) => [b.asset, b]));
  };
  const countTransactions = async () =>
    Number((await t.app.get(DataSource).query('SELECT count(*) AS n FROM ledger_transactions WHERE tenant_id = $1', [c.tenantId]))[0].n);

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    admin = bearer(c.keys.admin);
    hh = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    hh2 = await makeHousehold(t, c.keys.clerk, c.villages[0], '张三');
    farHh = await makeHousehold(t, c.otherVillageKeys.clerk, c.villages[2], '欧阳修文');
    person = await makePerson(t, c.keys.clerk, c.villages[0]);
  });
  afterAll(async () => t.close());

  describe('assets', () => {
    it('every tenant starts with CONDUCT, YIBI, XIAOSHAN and CNY', async () => {
      const res = await t.http().get('/v1/assets').set(bearer(c.keys.clerk));
      expect(res.status).toBe(200);
      expect(res.body.items.map((a: any) => [a.code, a.holderType, a.scale])).toEqual([
        ['CONDUCT', 'household', 2],
        ['YIBI', 'person', 2],
        ['XIAOSHAN', 'household', 2],
        ['CNY', 'fund', 2],
      ]);
    });

    it('creates an asset, refuses a duplicate and a bad expiry', async () => {
      const body = { code: 'GREEN', name: '绿色积分', holderType: 'household', scale: 0, redeemable: true, expiry: { policy: 'days', days: 365 } };
      const res = await t.http().post('/v1/assets').set(admin).send(body);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ code: 'GREEN', scale: 0, expiry: { policy: 'days', days: 365 } });
      expect((await t.http().post('/v1/assets').set(admin).send(body)).status).toBe(409);
      const bad = await t.http().post('/v1/assets').set(admin).send({ ...body, code: 'GREEN2', expiry: { policy: 'days' } });
      expect(bad.status).toBe(400);
      expect((await t.http().post('/v1/assets').set(bearer(c.keys.clerk)).send({ ...body, code: 'X3' })).status).toBe(403);
    });
  });

  describe('holders', () => {
    it('stores ID numbers encrypted and shows them masked', async () => {
      const idNumber = newIdNumber();
      const res = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '刘备', headIdNumber: idNumber, phone: '13800001234', pin: '2468' });
      expect(res.status).toBe(201);
      expect(res.body.headIdNumber).toBe(`${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}`);
      expect(res.body.phone).toBe('138****1234');
      const [row] = await t.app.get(DataSource).query('SELECT * FROM households WHERE tenant_id = $1 AND id = $2', [c.tenantId, res.body.id]);
      expect(JSON.stringify(row)).not.toContain(idNumber);
      expect(row.pin_hash).toMatch(/^scrypt\$/);
      const dup = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '刘备', headIdNumber: idNumber });
      expect(dup.status).toBe(409);
      const bad = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '刘备', headIdNumber: '510101199001011230' + '' });
      expect([201, 400]).toContain(bad.status); // valid only if the check digit happens to be 0
    });

    it('lists members and refuses other villages', async () => {
      const member = await t.http().post('/v1/people').set(bearer(c.keys.clerk)).send({ regionCode: c.villages[0], name: '王小红', householdId: hh });
      expect(member.status).toBe(201);
      const res = await t.http().get(`/v1/households/${hh}`).set(bearer(c.keys.reviewer));
      expect(res.status).toBe(200);
      expect(res.body.members.map((m: any) => m.name)).toEqual(['王小红']);
      expect((await t.http().get(`/v1/households/${farHh}`).set(bearer(c.keys.clerk))).status).toBe(404);
      expect((await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[2], headName: 'x' })).status).toBe(404);
      expect((await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: 'x', pin: '12' })).status).toBe(400);
    });
  });

  describe('transfers', () => {
    it('issues points and shows balances and running entries', async () => {
      const res = await issue({ type: 'household', id: hh }, '10.50');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'issue', memo: '红榜: 孝老爱亲', reversalOf: null, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(res.body.entries).toEqual([
        { account: 'issuer', asset: 'CONDUCT', amount: '10.50', direction: 'debit', balanceAfter: expect.any(String) },
        { account: { type: 'household', id: hh }, asset: 'CONDUCT', amount: '10.50', direction: 'credit', balanceAfter: '10.50' },
      ]);
      const b = await balances('household', hh);
      expect(b.CONDUCT).toEqual({ asset: 'CONDUCT', balance: '10.50', pending: '0.00', available: '10.50' });
      expect(b.XIAOSHAN.balance).toBe('0.00');

      await issue({ type: 'household', id: hh }, '2');
      const entries = await t.http().get(`/v1/holders/household/${hh}/entries?asset=CONDUCT`).set(bearer(c.keys.clerk));
      expect(entries.status).toBe(200);
      expect(entries.body.items.map((e: any) => [e.amount, e.balanceAfter, e.kind])).toEqual([
        ['2.00', '12.50', 'issue'],
        ['10.50', '10.50', 'issue'],
      ]);
      const page = await t.http().get(`/v1/holders/household/${hh}/entries?limit=1`).set(admin);
      expect(page.body.items).toHaveLength(1);
      const next = await t.http().get(`/v1/holders/household/${hh}/entries?limit=1&cursor=${page.body.nextCursor}`).set(admin);
      expect(next.body.items[0].balanceAfter).toBe('10.50');
    });

    it('answers balances as of a past business day', async () => {
      const yesterday = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10);
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      expect((await balances('household', hh, yesterday)).CONDUCT.balance).toBe('0.00');
      expect((await balances('household', hh, today)).CONDUCT.balance).toBe('12.50');
      expect((await t.http().get(`/v1/holders/household/${hh}/balances?asOf=2026-13-01`).set(admin)).status).toBe(400);
      expect((await t.http().get(`/v1/holders/household/${hh}/balances?asOf=2026-02-30`).set(admin)).status).toBe(400);
    });

    it('moves points between households; a spend cannot overdraw (422), a penalty can go below zero', async () => {
      const move = await transfer({ asset: 'CONDUCT', from: { type: 'household', id: hh }, to: { type: 'household', id: hh2 }, amount: '2.50', memo: '互助' });
      expect(move.status).toBe(201);
      expect(move.body.kind).toBe('transfer');
      const over = await transfer({ asset: 'CONDUCT', from: { type: 'household', id: hh2 }, to: { type: 'household', id: hh }, amount: '2.51', memo: 'too much' });
      expect(over.status).toBe(422);
      expect(over.body.code).toBe('insufficient-funds');
      const penalty = await transfer({ asset: 'CONDUCT', from: { type: 'household', id: hh2 }, to: 'issuer', amount: '5', memo: '黄榜: 乱扔垃圾' });
      expect(penalty.status).toBe(201);
      expect(penalty.body.kind).toBe('penalty');
      expect((await balances('household', hh2)).CONDUCT.balance).toBe('-2.50');
    });

    it('a non-negative asset refuses a deduction past zero', async () => {
      await issue({ type: 'person', id: person }, '3', 'YIBI');
      const res = await transfer({ asset: 'YIBI', from: { type: 'person', id: person }, to: 'issuer', amount: '3.01', memo: 'x' });
      expect(res.status).toBe(422);
      expect((await balances('person', person)).YIBI.balance).toBe('3.00');
    });

    it('replays an idempotent request and refuses the key with another body', async () => {
      const key = newIdempotencyKey();
      const body = { asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: hh2 }, amount: '1.00', memo: 'once' };
      const before = await countTransactions();
      const first = await transfer(body, key);
      const again = await transfer(body, key);
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(await countTransactions()).toBe(before + 1);
      const other = await transfer({ ...body, amount: '2.00' }, key);
      expect(other.status).toBe(409);
      expect(other.body.code).toBe('idempotency-key-reused');
    });

    it('requires an Idempotency-Key', async () => {
      const res = await t.http().post('/v1/transfers').set(admin).send({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: hh }, amount: '1', memo: 'x' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('Idempotency-Key');
    });

    it.each([
      ['a JSON number', { amount: 5 }, 400],
      ['a non-decimal string', { amount: 'five' }, 400],
      ['an exponent', { amount: '1e3' }, 400],
      ['too many decimals', { amount: '1.234' }, 400],
      ['zero', { amount: '0' }, 400],
      ['negative', { amount: '-1' }, 400],
      ['an unknown asset', { asset: 'NOPE' }, 404],
      ['a malformed holder', { to: { type: 'household' } }, 400],
      ['an unknown holder', { to: { type: 'household', id: '00000000-0000-4000-8000-000000000001' } }, 404],
      ['a person holding household points', { to: { type: 'person', id: 'PERSON' } }, 422],
      ['issuer to issuer', { from: 'issuer', to: 'issuer' }, 422],
      ['an unknown field', { extra: 1 }, 400],
      ['a NUL character in the memo', { memo: 'a\u0000b' }, 400],
      ['a NUL character in metadata', { metadata: { note: 'a\u0000b' } }, 400],
      ['an over-long memo', { memo: '长'.repeat(501) }, 400],
    ])('refuses %s and writes nothing', async (_, patch, status) => {
      const before = await countTransactions();
      const body: any = { asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: hh }, amount: '1.00', memo: 'bad', ...patch };
      if (body.to?.id === 'PERSON') body.to.id = person;
      const res = await transfer(body);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(await countTransactions()).toBe(before);
    });

    it('a household of another tenant is 404', async () => {
      const other = await makeCounty(t);
      const theirs = await makeHousehold(t, other.keys.clerk, other.villages[0]);
      const res = await transfer({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: theirs }, amount: '1', memo: 'x' });
      expect(res.status).toBe(404);
      expect((await t.http().get(`/v1/holders/household/${theirs}/balances`).set(admin)).status).toBe(404);
    });
  });

  describe('transactions and reversals', () => {
    it('shows a transaction, reverses it once, and refuses reversing the reversal', async () => {
      const posted = await issue({ type: 'household', id: farHh }, '4.00');
      const id = posted.body.id;
      const shown = await t.http().get(`/v1/transactions/${id}`).set(bearer(c.keys.auditor));
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ id, kind: 'issue', hash: posted.body.hash });
      expect(shown.body.entries).toHaveLength(2);
      // a clerk of another village cannot see it
      expect((await t.http().get(`/v1/transactions/${id}`).set(bearer(c.keys.clerk))).status).toBe(404);
      expect((await t.http().get(`/v1/transactions/${id}`).set(bearer(c.otherVillageKeys.clerk))).status).toBe(200);

      const rev = await t.http().post(`/v1/transactions/${id}/reverse`).set(admin).send({ reason: '录入错误' });
      expect(rev.status).toBe(201);
      expect(rev.body).toMatchObject({ kind: 'reversal', reversalOf: id, memo: '录入错误' });
      expect((await balances('household', farHh)).CONDUCT.balance).toBe('0.00');
      const again = await t.http().post(`/v1/transactions/${id}/reverse`).set(admin).send({ reason: 'again' });
      expect(again.status).toBe(409);
      const ofReversal = await t.http().post(`/v1/transactions/${rev.body.id}/reverse`).set(admin).send({ reason: 'x' });
      expect(ofReversal.status).toBe(422);
      expect((await t.http().post('/v1/transactions/00000000-0000-4000-8000-000000000000/reverse').set(admin).send({ reason: 'x' })).status).toBe(404);
    });
  });

  describe('verify', () => {
    it('reports a balanced, matching, intact ledger for the tenant', async () => {
      const res = await t.http().get('/v1/ledger/verify').set(bearer(c.keys.auditor));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ balanced: true, balancesMatchEntries: true, chainIntact: true });
      expect(res.body.checkedTransactions).toBeGreaterThan(5);
    });
  });
});
