import { readFileSync } from 'fs';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold } from '../helpers/fixtures';

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

describe('conduct records workflow (e2e)', () => {
  let t: TestApp;
  let c: County;
  let hh: string;
  let clerk: Record<string, string>;
  let reviewer: Record<string, string>;
  let admin: Record<string, string>;

  const submit = (body: object, auth = clerk) => t.http().post('/v1/records').set(auth).send({ holder: { type: 'household', id: hh }, occurredOn: today(), ...body });
  const act = (id: string, action: string, body: object = {}, auth = reviewer) => t.http().post(`/v1/records/${id}/${action}`).set(auth).send(body);
  const balance = async () => {
    const res = await t.http().get(`/v1/holders/household/${hh}/balances`).set(admin);
    return res.body.balances.find((b: any) => b.asset === 'CONDUCT').balance;
  };

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    clerk = bearer(c.keys.clerk);
    reviewer = bearer(c.keys.reviewer);
    admin = bearer(c.keys.admin);
    const program = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'programs', 'kaizhou-guanmian-conduct.json'), 'utf8'));
    const set = await t.http().post('/v1/rulesets').set(admin).send({ ...program, regionCode: c.county, effectiveFrom: '2026-01-01' });
    expect(set.status).toBe(201);
    expect((await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(admin)).status).toBe(200);
    hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '陈家');
  });
  afterAll(async () => t.close());

  it('submitted → in notice → objected → dismissed → posted, with history, and the posting carries the rule set version', async () => {
    const rec = await submit({ ruleCode: 'R01', note: '照顾卧床母亲' });
    expect(rec.status).toBe(201);
    expect(rec.body).toMatchObject({ status: 'submitted', points: '5.00', capped: false, ruleSetVersion: 1, asset: 'CONDUCT', direction: 'credit' });
    const approved = await act(rec.body.id, 'approve');
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('in_notice');
    expect(approved.body.noticeEndsOn > today()).toBe(true);
    expect((await act(rec.body.id, 'objections', { reason: '并未照顾', raisedBy: '邻居李某' }, clerk)).body.status).toBe('objected');
    const resolved = await act(rec.body.id, 'resolve', { outcome: 'dismissed', reason: '经核实属实' });
    expect(resolved.body).toMatchObject({ status: 'posted', transactionId: expect.any(String) });
    expect(await balance()).toBe('105.00'); // 100 opening points + 5
    const shown = await t.http().get(`/v1/records/${rec.body.id}`).set(reviewer);
    expect(shown.body.history.map((h: any) => h.to)).toEqual(['submitted', 'in_notice', 'objected', 'posted']);
    const tx = await t.http().get(`/v1/transactions/${resolved.body.transactionId}`).set(admin);
    expect(tx.body).toMatchObject({ kind: 'issue', source: { type: 'record', id: rec.body.id }, metadata: { ruleCode: 'R01', ruleSetVersion: 1 } });
  });

  it('an upheld objection rejects; objections only during notice; reject needs a reason', async () => {
    const rec = await submit({ ruleCode: 'R02' });
    expect((await act(rec.body.id, 'objections', { reason: 'x', raisedBy: 'y' }, clerk)).status).toBe(409);
    expect((await act(rec.body.id, 'reject', {})).status).toBe(400);
    await act(rec.body.id, 'approve');
    await act(rec.body.id, 'objections', { reason: '虚报', raisedBy: '村民' }, clerk);
    expect((await act(rec.body.id, 'resolve', { outcome: 'upheld', reason: '查无此事' })).body.status).toBe('rejected');
    const other = await submit({ ruleCode: 'R02' });
    expect((await act(other.body.id, 'reject', { reason: '重复录入' })).body.status).toBe('rejected');
  });

  it('maker ≠ checker, evidence where required, no future dates, unknown rules', async () => {
    const own = await submit({ ruleCode: 'R02' }, admin);
    const selfApprove = await act(own.body.id, 'approve', {}, admin);
    expect(selfApprove.status).toBe(422);
    expect(selfApprove.body.code).toBe('maker-checker');
    expect((await submit({ ruleCode: 'R03' })).body.code).toBe('evidence-required');
    expect((await submit({ ruleCode: 'R03', evidence: ['photo-001.jpg'] })).status).toBe(201);
    expect((await submit({ ruleCode: 'R01', occurredOn: '2099-01-01' })).status).toBe(422);
    expect((await submit({ ruleCode: 'R99' })).body.code).toBe('no-such-rule');
    expect((await submit({ ruleCode: 'R01', occurredOn: '2025-06-01' })).body.code).toBe('no-such-rule'); // before the set's start
  });

  it('caps: a record is valued at what the monthly cap allows, then refused', async () => {
    const first = await submit({ ruleCode: 'R05', quantity: '15' });
    expect(first.body).toMatchObject({ points: '15.00', capped: false });
    const second = await submit({ ruleCode: 'R05', quantity: '10' });
    expect(second.body).toMatchObject({ points: '5.00', uncappedPoints: '10.00', capped: true, cappedBy: { period: 'month', maxPoints: '20' } });
    const third = await submit({ ruleCode: 'R05', quantity: '1' });
    expect(third.status).toBe(422);
    expect(third.body.code).toBe('cap-reached');
    // notice 0: approval posts at once
    expect((await act(first.body.id, 'approve')).body.status).toBe('posted');
  });

  it('a yellow item deducts after notice, posted by the notice job; voiding reverses it', async () => {
    const before = await balance();
    const rec = await submit({ ruleCode: 'Y03', note: '乱堆柴草' });
    expect(rec.body.direction).toBe('debit');
    await act(rec.body.id, 'approve');
    // The notice ends (moved into the past), and the job posts it.
    await t.app.get(DataSource).query(`UPDATE records SET notice_ends_on = $3 WHERE tenant_id = $1 AND id = $2`, [c.tenantId, rec.body.id, '2026-01-02']);
    const job = await t.http().post('/v1/jobs/post-records').set(admin);
    expect(job.status).toBe(200);
    const posted = await t.http().get(`/v1/records/${rec.body.id}`).set(clerk);
    expect(posted.body.status).toBe('posted');
    expect(Number(await balance())).toBeCloseTo(Number(before) - 2, 2);
    expect((await t.http().post('/v1/jobs/post-records').set(admin)).body.posted).toBe(0); // idempotent

    const voided = await act(rec.body.id, 'void', { reason: '误录' });
    expect(voided.body).toMatchObject({ status: 'voided', reversalTransactionId: expect.any(String) });
    expect(await balance()).toBe(before);
    expect((await act(rec.body.id, 'void', { reason: 'again' })).status).toBe(409);
  });

  it('scope: another village neither sees nor touches these records', async () => {
    const rec = await submit({ ruleCode: 'R02' });
    const far = bearer(c.otherVillageKeys.reviewer);
    expect((await t.http().get(`/v1/records/${rec.body.id}`).set(far)).status).toBe(404);
    expect((await act(rec.body.id, 'approve', {}, far)).status).toBe(404);
    const list = await t.http().get('/v1/records').set(bearer(c.otherVillageKeys.clerk));
    expect(list.body.items).toEqual([]);
    const mine = await t.http().get(`/v1/records?holderId=${hh}&status=submitted`).set(clerk);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect((await t.http().post('/v1/records').set(bearer(c.otherVillageKeys.clerk)).send({ holder: { type: 'household', id: hh }, ruleCode: 'R01', occurredOn: today() })).status).toBe(404);
  });

  it('a household enrolling under a set with openingPoints starts with them', async () => {
    // The Kaizhou program grants 100 on enrolment.
    const fresh = await makeHousehold(t, c.keys.admin, c.villages[1], '新户');
    const res = await t.http().get(`/v1/holders/household/${fresh}/entries`).set(admin);
    expect(res.body.items).toEqual([expect.objectContaining({ amount: '100.00', balanceAfter: '100.00', kind: 'issue', memo: '开户初始积分' })]);
  });

  it('simulate: a draft set valued against what was posted, writing nothing', async () => {
    const program = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'programs', 'kaizhou-guanmian-conduct.json'), 'utf8'));
    program.items.find((i: any) => i.code === 'R01').points = '8';
    const draft = await t.http().post('/v1/rulesets').set(admin).send({ ...program, regionCode: c.county, effectiveFrom: '2027-01-01', name: '草案：孝老爱亲加到8分' });
    expect(draft.status).toBe(201);
    const txCount = async () => (await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1`, [c.tenantId]))[0].n;
    const before = await txCount();
    const sim = await t.http().post(`/v1/rulesets/${draft.body.id}/simulate`).set(reviewer).send({ from: '2026-01-01', to: today() });
    expect(sim.status).toBe(200);
    const mine = sim.body.holders.find((h: any) => h.holder.id === hh);
    // posted for this household: R01 5 and R05 15 (rejected, voided and unposted records do not count)
    expect(mine).toEqual({ holder: { type: 'household', id: hh }, records: 2, posted: '20.00', simulated: '23.00', difference: '3.00' });
    expect(sim.body.totals.difference).toBe('3.00');
    expect(await txCount()).toBe(before);
    expect((await t.http().post(`/v1/rulesets/${draft.body.id}/simulate`).set(reviewer).send({ from: '2026-05-01', to: '2026-04-01' })).status).toBe(422);
    expect((await t.http().post(`/v1/rulesets/${draft.body.id}/simulate`).set(clerk).send({ from: '2026-01-01', to: '2026-02-01' })).status).toBe(403);
  });

  it('the database refuses records and history that point nowhere, and deletions', async () => {
    const db = t.app.get(DataSource);
    const [{ id }]: { id: string }[] = await db.query(`SELECT id FROM records WHERE tenant_id = $1 AND status = 'posted' ORDER BY created_at LIMIT 1`, [c.tenantId]);
    const rec = { body: { id } };
    const copy = (set: string) =>
      db.query(
        `INSERT INTO records (tenant_id, id, holder_type, holder_id, region_code, rule_set_id, rule_set_version, rule_code, rule_name, asset_code, direction,
                              quantity, points, uncapped_points, capped, occurred_on, status, notice_days, entered_by, transaction_id)
         SELECT tenant_id, gen_random_uuid(), holder_type, holder_id, region_code, rule_set_id, rule_set_version, rule_code, rule_name, asset_code, direction,
                quantity, points, uncapped_points, capped, occurred_on, status, notice_days, entered_by, transaction_id
           FROM records WHERE tenant_id = $1 AND id = $2 AND ${set}`,
        [c.tenantId, rec.body.id],
      );
    await expect(copy('true')).resolves.toBeDefined(); // a faithful copy passes the checks
    await expect(db.query(`UPDATE records SET region_code = '999999999999' WHERE tenant_id = $1 AND id = $2`, [c.tenantId, rec.body.id])).rejects.toThrow(/missing region 999999999999/);
    await expect(db.query(`UPDATE records SET rule_set_id = gen_random_uuid() WHERE tenant_id = $1 AND id = $2`, [c.tenantId, rec.body.id])).rejects.toThrow(/missing rule set/);
    await expect(
      db.query(`UPDATE records SET transaction_id = gen_random_uuid() WHERE tenant_id = $1 AND id = $2`, [c.tenantId, rec.body.id]),
    ).rejects.toThrow(/missing ledger transaction/);
    await expect(
      db.query(`INSERT INTO record_history (tenant_id, record_id, to_status, actor) VALUES ($1, gen_random_uuid(), 'submitted', 'x')`, [c.tenantId]),
    ).rejects.toThrow(/history of record .* which does not exist/);
    await expect(db.query(`DELETE FROM records WHERE tenant_id = $1 AND id = $2`, [c.tenantId, rec.body.id])).rejects.toThrow(/never deleted/);
    await expect(db.query(`DELETE FROM record_history WHERE tenant_id = $1 AND record_id = $2`, [c.tenantId, rec.body.id])).rejects.toThrow(/never deleted/);
    await expect(db.query(`DELETE FROM rule_sets WHERE tenant_id = $1`, [c.tenantId])).rejects.toThrow(/cannot be deleted/);
    expect((await t.http().get(`/v1/records/${rec.body.id}`).set(reviewer)).body).toMatchObject({ status: 'posted', transactionId: expect.any(String) });
  });

  it('leaves the ledger verifiable', async () => {
    const res = await t.http().get('/v1/ledger/verify').set(admin);
    expect(res.body).toMatchObject({ balanced: true, balancesMatchEntries: true, chainIntact: true });
  });
});
