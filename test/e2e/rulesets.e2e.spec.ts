import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty } from '../helpers/fixtures';

const PROGRAMS = path.join(__dirname, '..', '..', 'config', 'programs');

describe('rule sets (e2e)', () => {
  let t: TestApp;
  let c: County;
  let admin: Record<string, string>;
  const create = (body: object) => t.http().post('/v1/rulesets').set(admin).send(body);
  const item = (code: string, points = '5', extra: object = {}) => ({ code, name: `条目${code}`, direction: 'credit', points, ...extra });

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    admin = bearer(c.keys.admin);
  });
  afterAll(async () => t.close());

  it.each(readdirSync(PROGRAMS).filter((f) => f.endsWith('.json')))('the shipped program %s is a valid rule set', async (file) => {
    const doc = JSON.parse(readFileSync(path.join(PROGRAMS, file), 'utf8'));
    const res = await create({ ...doc, regionCode: c.county });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'draft', version: expect.any(Number), asset: doc.asset });
    expect(res.body.items).toHaveLength(doc.items.length);
  });

  it('the Kaizhou program has ten red and ten yellow items and a deduction sanction', () => {
    const doc = JSON.parse(readFileSync(path.join(PROGRAMS, 'kaizhou-guanmian-conduct.json'), 'utf8'));
    expect(doc.items.filter((i: any) => i.direction === 'credit')).toHaveLength(10);
    expect(doc.items.filter((i: any) => i.direction === 'debit')).toHaveLength(10);
    expect(doc.sanctions[0].when.deductedAtLeast).toEqual(expect.any(String));
  });

  it('reports every problem of a bad document with its field path, and writes nothing', async () => {
    const before = (await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM rule_sets WHERE tenant_id = $1`, [c.tenantId]))[0].n;
    const shape = await create({
      regionCode: c.county, asset: 'CONDUCT', name: 'bad', effectiveFrom: '2026-13-01',
      items: [item('R01'), { ...item('R02'), points: 5, direction: 'up' }, item('R03', '1', { caps: [{ period: 'week' }] })],
      sanctions: [{ code: 'S01', benefitCodes: [], when: {} }],
    });
    expect(shape.status).toBe(400);
    const fields = shape.body.errors.map((e: any) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['effectiveFrom', 'items[1].points', 'items[1].direction', 'items[2].caps[0].period', 'sanctions[0].benefitCodes']));

    const meaning = await create({
      regionCode: c.county, asset: 'CONDUCT', name: 'bad', effectiveFrom: '2026-01-01',
      items: [item('R01', '1.234'), item('R01'), item('R02', '1', { caps: [{ period: 'day' }, { period: 'day', maxCount: 1 }] })],
      sanctions: [{ code: 'S01', benefitCodes: ['REDEEM'], when: { deductedAtLeast: '10', windowDays: 30, balanceBelow: '0' } }],
    });
    expect(meaning.status).toBe(400);
    expect(meaning.body.errors.map((e: any) => e.field)).toEqual(
      expect.arrayContaining(['items[0].points', 'items[1].code', 'items[2].caps[0]', 'items[2].caps', 'sanctions[0].when']),
    );
    const unknown = await create({ regionCode: c.county, asset: 'NOPE', name: 'x', effectiveFrom: '2026-01-01', items: [item('R01')] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].field).toBe('asset');
    const after = (await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM rule_sets WHERE tenant_id = $1`, [c.tenantId]))[0].n;
    expect(after).toBe(before);
  });

  it('versions, activation retiring the previous set from the new start, and the applicable set by date', async () => {
    const other = await makeCounty(t);
    const a = bearer(other.keys.admin);
    const v1 = await t.http().post('/v1/rulesets').set(a).send({ regionCode: other.county, asset: 'CONDUCT', name: 'v1', effectiveFrom: '2026-01-01', items: [item('R01', '5')] });
    const v2 = await t.http().post('/v1/rulesets').set(a).send({ regionCode: other.county, asset: 'CONDUCT', name: 'v2', effectiveFrom: '2026-07-01', items: [item('R01', '6')] });
    expect([v1.body.version, v2.body.version]).toEqual([1, 2]);
    const early = await t.http().post(`/v1/rulesets/${v2.body.id}/activate`).set(a);
    expect(early.status).toBe(200);
    const late = await t.http().post(`/v1/rulesets/${v1.body.id}/activate`).set(a);
    expect(late.status).toBe(422); // v1 would start before the active v2
    expect((await t.http().post(`/v1/rulesets/${v2.body.id}/activate`).set(a)).status).toBe(409);

    const v3 = await t.http().post('/v1/rulesets').set(a).send({ regionCode: other.county, asset: 'CONDUCT', name: 'v3', effectiveFrom: '2026-10-01', items: [item('R01', '7')] });
    expect((await t.http().post(`/v1/rulesets/${v3.body.id}/activate`).set(a)).body).toMatchObject({ status: 'active', effectiveTo: null });
    const v2now = await t.http().get(`/v1/rulesets/${v2.body.id}`).set(a);
    expect(v2now.body).toMatchObject({ status: 'retired', effectiveFrom: '2026-07-01', effectiveTo: '2026-10-01' });

    const at = async (date: string) => (await t.http().get(`/v1/rulesets/applicable?villageCode=${other.villages[0]}&asset=CONDUCT&date=${date}`).set(bearer(other.keys.clerk)));
    expect((await at('2026-08-15')).body.name).toBe('v2');
    expect((await at('2026-10-01')).body.name).toBe('v3');
    expect((await at('2026-03-01')).status).toBe(404); // v1 never activated

    // A village set extends the county's: its own items override by code and add.
    const village = await t.http().post('/v1/rulesets').set(a).send({
      regionCode: other.villages[0], asset: 'CONDUCT', name: '泉秀村细则', effectiveFrom: '2026-11-01', extends: v3.body.id,
      items: [item('R01', '8'), item('R11', '2')],
    });
    expect(village.status).toBe(201);
    expect((await t.http().post(`/v1/rulesets/${village.body.id}/activate`).set(a)).status).toBe(200);
    const applied = await at('2026-11-02');
    expect(applied.body.name).toBe('泉秀村细则');
    expect(applied.body.effectiveItems.map((i: any) => [i.code, i.points])).toEqual([['R01', '8'], ['R11', '2']]);
    expect((await at('2026-10-15')).body.name).toBe('v3'); // before the village set starts
    // another village of the county still gets the county set
    const sibling = await t.http().get(`/v1/rulesets/applicable?villageCode=${other.villages[1]}&asset=CONDUCT&date=2026-11-02`).set(a);
    expect(sibling.body.name).toBe('v3');

    // An activated set is frozen in the database too.
    await expect(
      t.app.get(DataSource).query(`UPDATE rule_sets SET name = 'edited' WHERE tenant_id = $1 AND id = $2`, [other.tenantId, v3.body.id]),
    ).rejects.toThrow(/cannot be edited/);

    // Scope: a clerk of another village sees the county sets but not this village's set.
    const farClerk = bearer(other.otherVillageKeys.clerk);
    expect((await t.http().get(`/v1/rulesets/${village.body.id}`).set(farClerk)).status).toBe(404);
    expect((await t.http().get(`/v1/rulesets/${v3.body.id}`).set(farClerk)).status).toBe(200);
    const listed = await t.http().get('/v1/rulesets?asset=CONDUCT').set(farClerk);
    expect(listed.body.items.map((s: any) => s.name)).toEqual(['v3', 'v2', 'v1']);
    expect((await t.http().get(`/v1/rulesets/applicable?villageCode=${other.villages[0]}&asset=CONDUCT`).set(farClerk)).status).toBe(404);
  });

  it('refuses extending a set of another asset or of a region that is not above', async () => {
    const county = await create({ regionCode: c.county, asset: 'YIBI', name: 'y', effectiveFrom: '2026-01-01', items: [item('V01', '1', { unit: 'hour' })] });
    const wrongAsset = await create({ regionCode: c.villages[0], asset: 'CONDUCT', name: 'x', effectiveFrom: '2026-01-01', extends: county.body.id, items: [] });
    expect(wrongAsset.status).toBe(400);
    expect(wrongAsset.body.errors.map((e: any) => e.field)).toContain('extends');
    const village = await create({ regionCode: c.villages[0], asset: 'YIBI', name: 'v', effectiveFrom: '2026-01-01', items: [item('V01', '2', { unit: 'hour' })] });
    const sideways = await create({ regionCode: c.villages[1], asset: 'YIBI', name: 's', effectiveFrom: '2026-01-01', extends: village.body.id, items: [] });
    expect(sideways.status).toBe(400);
    const draftParent = await create({ regionCode: c.villages[0], asset: 'YIBI', name: 'child', effectiveFrom: '2026-02-01', extends: county.body.id, items: [] });
    expect(draftParent.status).toBe(201);
    expect((await t.http().post(`/v1/rulesets/${draftParent.body.id}/activate`).set(admin)).status).toBe(422);
  });
});
