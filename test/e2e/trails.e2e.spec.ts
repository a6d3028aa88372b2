import { DataSource } from 'typeorm';
import { asAdmin, bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, newIdNumber } from '../helpers/fixtures';

/**
 * The trails a bank lends on cannot be edited, not even by the role that owns
 * the tables (the one the service connects as): record history, the bank
 * access log, the consent history and the API-key log refuse UPDATE, DELETE
 * and TRUNCATE in the database itself.
 */
describe('append-only trails (e2e)', () => {
  let t: TestApp;
  let c: County;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    db = t.app.get(DataSource);
    // One row in each trail, made the ordinary way.
    const hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '赵大爷');
    const consent = await t.http().post('/v1/consents').set(bearer(c.keys.clerk)).send({ householdId: hh, bankId: c.bankId, scope: 'credit-grade', expiresOn: '2099-12-31', documentRef: '授权书' });
    expect(consent.status).toBe(201);
    expect((await t.http().delete(`/v1/consents/${consent.body.id}`).set(bearer(c.keys.clerk))).status).toBe(200);
    expect((await t.http().get(`/v1/bank/grades?idNumber=${newIdNumber()}`).set(bearer(c.keys.bank))).status).toBe(404); // logged
    const key = await t.http().post('/v1/api-keys').set(asAdmin).send({ tenantId: c.tenantId, name: '临时', role: 'auditor' });
    expect((await t.http().delete(`/v1/api-keys/${key.body.id}`).set(bearer(c.keys.admin))).status).toBe(200);
    const rs = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin))
      .send({ regionCode: c.county, asset: 'CONDUCT', name: '红黄榜', effectiveFrom: '2026-01-01', items: [{ code: 'R01', name: '孝老爱亲', direction: 'credit', points: '1' }] });
    expect((await t.http().post(`/v1/rulesets/${rs.body.id}/activate`).set(bearer(c.keys.admin))).status).toBe(200);
    expect((await t.http().post('/v1/records').set(bearer(c.keys.clerk)).send({ holder: { type: 'household', id: hh }, ruleCode: 'R01', occurredOn: '2026-01-02' })).status).toBe(201);
  });
  afterAll(async () => t.close());

  const TRAILS = ['record_history', 'bank_access_log', 'consent_events', 'api_key_events'];

  it('the service connects as the tables\' owner (so the refusals below are the database\'s, not a missing grant)', async () => {
    const owners: { tablename: string; owner: boolean }[] = await db.query(
      `SELECT tablename, tableowner = current_user AS owner FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY($1)`,
      [TRAILS],
    );
    expect(owners.map((o) => o.tablename).sort()).toEqual([...TRAILS].sort());
    expect(owners.every((o) => o.owner)).toBe(true);
  });

  for (const table of TRAILS) {
    describe(table, () => {
      it('has rows written by the service', async () => {
        const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [c.tenantId]);
        expect(n).toBeGreaterThan(0);
      });
      it.each([
        ['UPDATE', `UPDATE ${table} SET tenant_id = tenant_id WHERE tenant_id = $1`],
        ['DELETE', `DELETE FROM ${table} WHERE tenant_id = $1`],
        ['TRUNCATE', `TRUNCATE ${table} CASCADE`],
      ])('refuses %s', async (op, sql) => {
        await expect(db.query(sql, op === 'TRUNCATE' ? [] : [c.tenantId])).rejects.toThrow(/append-only|never deleted/);
        const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [c.tenantId]);
        expect(n).toBeGreaterThan(0);
      });
    });
  }

  it('the API-key log says who created and revoked which key', async () => {
    const log = await t.http().get(`/v1/api-keys/events?tenantId=${c.tenantId}`).set(bearer(c.keys.auditor));
    expect(log.status).toBe(200);
    const [revoked, created] = log.body.items;
    expect(revoked).toMatchObject({ event: 'revoked', role: 'auditor', actor: { type: 'key', id: expect.any(String), name: 'admin key' } });
    expect(created).toMatchObject({ event: 'created', role: 'auditor', actor: { type: 'platform', id: 'platform', name: '平台管理员' }, keyId: revoked.keyId });
    expect((await t.http().get(`/v1/api-keys/events?tenantId=${c.tenantId}`).set(bearer(c.keys.clerk))).status).toBe(403);
  });
});
