import { asAdmin, bearer, nextCountyCode, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty } from '../helpers/fixtures';

const PROBLEM = /application\/problem\+json/;

describe('platform bootstrap: tenants, regions, API keys (e2e)', () => {
  let t: TestApp;
  let c: County;

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
  });
  afterAll(async () => t.close());

  describe('tenants', () => {
    it('creates a tenant with its county region, and refuses a second one for the county', async () => {
      const code = await nextCountyCode();
      const res = await t.http().post('/v1/tenants').set(asAdmin).send({ regionCode: code, name: '开州区新时代文明实践中心' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), regionCode: code, name: '开州区新时代文明实践中心' });

      const again = await t.http().post('/v1/tenants').set(asAdmin).send({ regionCode: code, name: 'dup' });
      expect(again.status).toBe(409);
      expect(again.headers['content-type']).toMatch(PROBLEM);
      expect(again.body).toMatchObject({ status: 409, code: 'tenant-exists', type: 'urn:jifen:problem:tenant-exists' });

      const regions = await t.http().get(`/v1/regions?under=${code}`).set(asAdmin);
      expect(regions.status).toBe(200);
      expect(regions.body.items).toEqual([{ code, name: '开州区新时代文明实践中心', level: 'county', parentCode: null, tenantId: res.body.id }]);
    });

    it('lists tenants with keyset pagination for the platform admin', async () => {
      const first = await t.http().get('/v1/tenants?limit=1').set(asAdmin);
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.http().get(`/v1/tenants?limit=1&cursor=${first.body.nextCursor}`).set(asAdmin);
      expect(second.status).toBe(200);
      expect(second.body.items[0].regionCode > first.body.items[0].regionCode).toBe(true);
    });

    it('shows a tenant admin only its own tenant', async () => {
      const res = await t.http().get('/v1/tenants').set(bearer(c.keys.admin));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [{ id: c.tenantId, regionCode: c.county, name: `测试县${c.county}` }], nextCursor: null });
    });

    it('rejects a bad cursor with 400', async () => {
      const res = await t.http().get('/v1/tenants?cursor=not-a-cursor').set(asAdmin);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('cursor');
    });
  });

  describe('regions', () => {
    it('derives the level from the parent', async () => {
      const res = await t.http().get(`/v1/regions?under=${c.townships[0]}`).set(bearer(c.keys.admin));
      expect(res.status).toBe(200);
      expect(res.body.items.map((r: any) => [r.code, r.level])).toEqual([
        [c.townships[0], 'township'],
        [c.villages[0], 'village'],
        [c.villages[1], 'village'],
      ]);
    });

    it('refuses a code that does not nest in its parent, a child of a village, and duplicates', async () => {
      const wrongPrefix = await t.http().post('/v1/regions').set(asAdmin).send({ code: '999999101', name: 'x', parentCode: c.county });
      expect(wrongPrefix.status).toBe(422);
      expect(wrongPrefix.body.code).toBe('region-code-mismatch');

      const wrongLevel = await t.http().post('/v1/regions').set(asAdmin).send({ code: `${c.county}101003`, name: 'x', parentCode: c.county });
      expect(wrongLevel.status).toBe(422);

      const underVillage = await t.http().post('/v1/regions').set(asAdmin).send({ code: `${c.villages[0]}`.slice(0, 9), name: 'x', parentCode: c.villages[0] });
      expect(underVillage.status).toBe(400); // parentCode must be 6 or 9 digits

      const dup = await t.http().post('/v1/regions').set(bearer(c.keys.admin)).send({ code: c.villages[0], name: '泉秀村', parentCode: c.townships[0] });
      expect(dup.status).toBe(409);
    });

    it('returns 404 for a parent in another tenant, for a tenant admin', async () => {
      const other = await makeCounty(t);
      const res = await t.http().post('/v1/regions').set(bearer(c.keys.admin)).send({ code: `${other.county}103`, name: 'x', parentCode: other.county });
      expect(res.status).toBe(404);
      // nothing was written in the other tenant
      const list = await t.http().get(`/v1/regions?under=${other.county}`).set(asAdmin);
      expect(list.body.items.map((r: any) => r.code)).not.toContain(`${other.county}103`);
    });

    it('lists only the scoped subtree for a village clerk, and hides other villages', async () => {
      const mine = await t.http().get('/v1/regions').set(bearer(c.keys.clerk));
      expect(mine.status).toBe(200);
      expect(mine.body.items.map((r: any) => r.code)).toEqual([c.villages[0]]);
      const wide = await t.http().get(`/v1/regions?under=${c.county}`).set(bearer(c.keys.clerk));
      expect(wide.body.items.map((r: any) => r.code)).toEqual([c.villages[0]]);
      const other = await t.http().get(`/v1/regions?under=${c.villages[2]}`).set(bearer(c.keys.clerk));
      expect(other.status).toBe(404);
    });
  });

  describe('API keys', () => {
    it('issues a key once, stores only its hash, and the key authenticates', async () => {
      const res = await t.http().post('/v1/api-keys').set(asAdmin).send({ tenantId: c.tenantId, name: '泉秀村 文书', role: 'clerk', scopeRegionCode: c.villages[0] });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ id: expect.any(String), role: 'clerk', scopeRegionCode: c.villages[0] });
      expect(res.body.apiKey).toMatch(/^jf_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
      const stored = await t.app.get(require('typeorm').DataSource).query('SELECT secret_hash FROM api_keys WHERE id = $1', [res.body.id]);
      expect(stored[0].secret_hash).toHaveLength(32);
      expect(stored[0].secret_hash.toString('utf8')).not.toContain(res.body.apiKey.slice(36));
      const listed = await t.http().get(`/v1/api-keys?tenantId=${c.tenantId}`).set(bearer(c.keys.admin));
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain(res.body.apiKey);
      expect(listed.body.items.find((k: any) => k.id === res.body.id)).toMatchObject({ role: 'clerk', revokedAt: null });
      const use = await t.http().get('/v1/regions').set(bearer(res.body.apiKey));
      expect(use.status).toBe(200);
    });

    it('a revoked key gets 401', async () => {
      const res = await t.http().post('/v1/api-keys').set(bearer(c.keys.admin)).send({ tenantId: c.tenantId, name: 'temp', role: 'auditor' });
      expect(res.status).toBe(201);
      expect((await t.http().get('/v1/tenants').set(bearer(res.body.apiKey))).status).toBe(200);
      const revoked = await t.http().delete(`/v1/api-keys/${res.body.id}`).set(bearer(c.keys.admin));
      expect(revoked.status).toBe(200);
      expect(revoked.body.revokedAt).toEqual(expect.any(String));
      expect((await t.http().get('/v1/tenants').set(bearer(res.body.apiKey))).status).toBe(401);
    });

    it('defaults the scope to the county and validates role-specific fields', async () => {
      const res = await t.http().post('/v1/api-keys').set(asAdmin).send({ tenantId: c.tenantId, name: 'county clerk', role: 'clerk' });
      expect(res.status).toBe(201);
      expect(res.body.scopeRegionCode).toBe(c.county);

      const noShop = await t.http().post('/v1/api-keys').set(asAdmin).send({ tenantId: c.tenantId, name: 'x', role: 'shopkeeper' });
      expect(noShop.status).toBe(400);
      expect(noShop.body.errors.map((e: any) => e.field)).toEqual(['shopId']);

      const bankWithShop = await t.http().post('/v1/api-keys').set(asAdmin).send({ tenantId: c.tenantId, name: 'x', role: 'bank', shopId: '00000000-0000-4000-8000-000000000009' });
      expect(bankWithShop.status).toBe(400);
      expect(bankWithShop.body.errors.map((e: any) => e.field).sort()).toEqual(['bankId', 'shopId']);

      const badRole = await t.http().post('/v1/api-keys').set(asAdmin).send({ tenantId: c.tenantId, name: 'x', role: 'mayor' });
      expect(badRole.status).toBe(400);

      const unknownRegion = await t.http().post('/v1/api-keys').set(asAdmin).send({ tenantId: c.tenantId, name: 'x', role: 'clerk', scopeRegionCode: `${c.county}109009` });
      expect(unknownRegion.status).toBe(404);
    });

    it('a tenant admin cannot issue keys for another tenant (404), and the platform can', async () => {
      const other = await makeCounty(t);
      const res = await t.http().post('/v1/api-keys').set(bearer(c.keys.admin)).send({ tenantId: other.tenantId, name: 'x', role: 'admin' });
      expect(res.status).toBe(404);
      const list = await t.http().get(`/v1/api-keys?tenantId=${other.tenantId}`).set(bearer(c.keys.admin));
      expect(list.status).toBe(404);
      const revokeOther = await t.http().get(`/v1/api-keys?tenantId=${other.tenantId}`).set(asAdmin);
      expect(revokeOther.status).toBe(200);
      const otherKeyId = revokeOther.body.items[0].id;
      expect((await t.http().delete(`/v1/api-keys/${otherKeyId}`).set(bearer(c.keys.admin))).status).toBe(404);
    });

    it('returns 404 for an unknown tenant', async () => {
      const res = await t.http().post('/v1/api-keys').set(asAdmin).send({ tenantId: '00000000-0000-4000-8000-00000000abcd', name: 'x', role: 'admin' });
      expect(res.status).toBe(404);
    });
  });

  describe('authentication', () => {
    it.each([
      ['no header', {}],
      ['unknown key', bearer('jf_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')],
      ['garbage', bearer('hello')],
      ['basic auth', { Authorization: 'Basic Zm9vOmJhcg==' }],
    ])('%s → 401 problem+json', async (_, headers) => {
      const res = await t.http().get('/v1/tenants').set(headers as Record<string, string>);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized', type: expect.any(String), detail: expect.any(String) });
    });

    it('a key with a valid id but wrong secret is refused', async () => {
      const good = c.keys.clerk;
      const forged = good.slice(0, 36) + (good[36] === 'A' ? 'B' : 'A') + good.slice(37);
      expect((await t.http().get('/v1/regions').set(bearer(forged))).status).toBe(401);
    });
  });
});
