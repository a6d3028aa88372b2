import { DataSource } from 'typeorm';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, newIdempotencyKey } from '../helpers/fixtures';

/** Idempotency-Key on POSTs that do not move value (API.md: accepted on every POST). */
describe('Idempotency-Key on every POST (e2e)', () => {
  let t: TestApp;
  let c: County;
  const households = async () =>
    Number((await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM households WHERE tenant_id = $1`, [c.tenantId]))[0].n);

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
  });
  afterAll(async () => t.close());

  it('a replay returns the first answer and creates nothing more; another body is 409', async () => {
    const key = newIdempotencyKey();
    const body = { villageCode: c.villages[0], headName: '周大福' };
    const before = await households();
    const first = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).set('Idempotency-Key', key).send(body);
    const again = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await households()).toBe(before + 1);
    const other = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).set('Idempotency-Key', key).send({ ...body, headName: '周小福' });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency-key-reused');
  });

  it('concurrent twins create once', async () => {
    const key = newIdempotencyKey();
    const body = { villageCode: c.villages[0], headName: '吴双' };
    const before = await households();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => t.http().post('/v1/households').set(bearer(c.keys.clerk)).set('Idempotency-Key', key).send(body)),
    );
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.every((a) => a.status === 201)).toBe(true);
    expect(await households()).toBe(before + 1);
  });

  it('a failed request keeps nothing: the key works once the input is fixed', async () => {
    const key = newIdempotencyKey();
    const bad = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).set('Idempotency-Key', key).send({ villageCode: c.villages[2], headName: 'x' });
    expect(bad.status).toBe(404);
    const invalid = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).set('Idempotency-Key', key).send({ villageCode: 'nope', headName: 'x' });
    expect(invalid.status).toBe(400);
    const good = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).set('Idempotency-Key', key).send({ villageCode: c.villages[0], headName: 'x' });
    expect(good.status).toBe(201);
  });

  it('an API key issuance is replayed without its secret', async () => {
    const key = newIdempotencyKey();
    const body = { tenantId: c.tenantId, name: '复核员', role: 'reviewer', scopeRegionCode: c.villages[0] };
    const first = await t.http().post('/v1/api-keys').set(bearer(c.keys.admin)).set('Idempotency-Key', key).send(body);
    const again = await t.http().post('/v1/api-keys').set(bearer(c.keys.admin)).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(201);
    expect(first.body.apiKey).toEqual(expect.any(String));
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.apiKey).toBeUndefined();
    const stored = await t.app.get(DataSource).query(`SELECT response::text AS r FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, [c.tenantId, key]);
    expect(stored[0].r).not.toContain(first.body.apiKey);
  });

  it('a malformed key is 400', async () => {
    const res = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).set('Idempotency-Key', 'with space').send({ villageCode: c.villages[0], headName: 'x' });
    expect(res.status).toBe(400);
  });

  it('an empty key is no key: the request succeeds once per call (it answered 500 after writing, found by FUZZ_RUNS=2000)', async () => {
    const body = { villageCode: c.villages[0], headName: '空键户' };
    const before = await households();
    for (let i = 0; i < 2; i++) {
      const res = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).set('Idempotency-Key', '').send(body);
      expect(res.status).toBe(201);
    }
    expect(await households()).toBe(before + 2);
    // Where the key is required (value moves), empty is as absent: 400.
    const transfer = await t.http().post('/v1/transfers').set(bearer(c.keys.admin)).set('Idempotency-Key', '')
      .send({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: (await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send(body)).body.id }, amount: '1', memo: 'x' });
    expect(transfer.status).toBe(400);
  });
});
