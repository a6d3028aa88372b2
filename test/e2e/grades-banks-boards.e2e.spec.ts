import { createHash, createPublicKey, verify } from 'crypto';
import { existsSync, promises as fsPromises, readFileSync } from 'fs';
import { Writable } from 'stream';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { BanksService } from '../../src/banks/banks.service';
import { featuresSql } from '../../src/grades/grades.service';
import Decimal from 'decimal.js';
import { LedgerPosting } from '../../src/ledger/ledger-posting.service';
import { UnitOfWork } from '../../src/platform/database/unit-of-work';
import { addDays } from '../../src/platform/util/business-date';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, issueKey, makeCounty, newIdempotencyKey, newIdNumber } from '../helpers/fixtures';

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

describe('credit grades, banks and boards (e2e)', () => {
  let t: TestApp;
  let c: County;
  let admin: Record<string, string>;
  let bank: Record<string, string>;
  let scorecardId: string;
  let runId: string;
  const idNumbers: Record<string, string> = {};
  const hh: Record<string, string> = {};

  const enrol = async (key: string, name: string) => {
    const idNumber = newIdNumber();
    const res = await t.http().post('/v1/households').set(bearer(key)).send({ villageCode: c.villages[0], headName: name, headIdNumber: idNumber, pin: '123456' });
    expect(res.status).toBe(201);
    idNumbers[res.body.id] = idNumber;
    return res.body.id as string;
  };
  const issue = async (household: string, asset: string, amount: string) => {
    const res = await t.http().post('/v1/transfers').set(admin).set('Idempotency-Key', newIdempotencyKey())
      .send({ asset, from: 'issuer', to: { type: 'household', id: household }, amount, memo: '测试' });
    expect(res.status).toBe(201);
  };
  const record = async (household: string, ruleCode: string) => {
    const rec = await t.http().post('/v1/records').set(bearer(c.keys.clerk)).send({ holder: { type: 'household', id: household }, ruleCode, occurredOn: today() });
    expect(rec.status).toBe(201);
    const ok = await t.http().post(`/v1/records/${rec.body.id}/approve`).set(bearer(c.keys.reviewer)).send({});
    expect(ok.body.status).toBe('posted');
    return rec.body.id as string;
  };

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    admin = bearer(c.keys.admin);
    bank = bearer(c.keys.bank);
    const set = await t.http().post('/v1/rulesets').set(admin).send({
      regionCode: c.county, asset: 'CONDUCT', name: '测试', effectiveFrom: '2026-01-01',
      items: [
        { code: 'R01', name: '孝老爱亲', direction: 'credit', points: '5', noticeDays: 0 },
        { code: 'R02', name: '庭院整洁', direction: 'credit', points: '3', noticeDays: 0 },
        { code: 'Y01', name: '乱倒垃圾', direction: 'debit', points: '2', noticeDays: 0 },
      ],
      sanctions: [{ code: 'S01', benefitCodes: ['REDEEM'], when: { deductedAtLeast: '4', windowDays: 30 } }],
    });
    await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(admin);
    hh.a = await enrol(c.keys.clerk, '王小明');
    hh.b = await enrol(c.keys.clerk, '欧阳建国华');
    hh.c = await enrol(c.keys.clerk, '李四');
    hh.d = await enrol(c.keys.clerk, '赵大海');
    await issue(hh.a, 'XIAOSHAN', '600');
    await record(hh.a, 'R01');
    await record(hh.a, 'R01'); // a: +10
    await record(hh.b, 'R01');
    await record(hh.b, 'R02'); // b: +8, no debits
    await record(hh.c, 'R01');
    await record(hh.c, 'R01');
    await record(hh.c, 'Y01'); // c: +8 with one debit
    await record(hh.d, 'Y01');
    await record(hh.d, 'Y01'); // d: −4, sanctioned
  });
  afterAll(async () => t.close());

  describe('scorecards and grade runs', () => {
    it('refuses a bad scorecard naming each field', async () => {
      const bad = await t.http().post('/v1/scorecards').set(admin).send({
        name: 'x',
        features: [{ feature: 'luck', bins: [{ points: 'many' }] }],
        bands: [{ grade: 'A', minScore: '60', creditLine: '1', rateTier: 'x' }],
        disqualifiers: [{ feature: 'sanctioned', maxGrade: 'Z' }],
      });
      expect(bad.status).toBe(400);
      const fields = bad.body.errors.map((e: any) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['features[0].feature', 'features[0].bins[0].points']));
      const semantic = await t.http().post('/v1/scorecards').set(admin).send({
        name: 'x', features: [{ feature: 'sanctioned', bins: [{ min: '1', points: '1' }] }], bands: [{ grade: 'A', minScore: '1', creditLine: '1', rateTier: 'x' }], disqualifiers: [{ feature: 'sanctioned', maxGrade: 'Z' }],
      });
      expect(semantic.status).toBe(400);
      expect(semantic.body.errors).toEqual([{ field: 'disqualifiers[0].maxGrade', messages: ['Z is not one of the bands'] }]);
    });

    it('grades every household from one snapshot, explains each grade line by line, and freezes on publication', async () => {
      const doc = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'scorecards', 'xinzhongyi-xiaoshan-credit.json'), 'utf8'));
      const card = await t.http().post('/v1/scorecards').set(admin).send(doc);
      expect(card.status).toBe(201);
      expect(card.body.version).toBe(1);
      expect((await t.http().post('/v1/scorecards').set(admin).send(doc)).body.version).toBe(2);
      scorecardId = card.body.id;
      const run = await t.http().post('/v1/grade-runs').set(admin).send({ regionCode: c.county, asOf: today(), scorecardId });
      expect(run.status).toBe(201);
      runId = run.body.id;
      expect(run.body.households).toBe(4);
      // a: xiaoshan 600 → 40, conduct +10 → 10, no debits → 15, no hours → 0, enrolled < 1 year → 0: 65 → A
      // b: 0 + 10 + 15 = 25 → none; c: 0 + 10 + 5 = 15; d: conduct −4 → 0, 2 debits → 5, sanctioned → no grade
      expect(run.body.distribution).toMatchObject({ AAA: 0, AA: 0, A: 1, ungraded: 3 });

      const explained = await t.http().get(`/v1/grade-runs/${runId}/households/${hh.a}`).set(admin);
      expect(explained.status).toBe(200);
      expect(explained.body).toMatchObject({ score: '65', grade: 'A', creditLine: '100000', rateTier: 'LPR+60bp', scorecard: { id: scorecardId, version: 1 } });
      const xs = explained.body.features.find((f: any) => f.feature === 'xiaoshanBalance');
      expect(xs).toEqual({ feature: 'xiaoshanBalance', value: '600', bin: { min: '500', points: '40' }, points: '40', windowDays: null });
      expect(explained.body.features.find((f: any) => f.feature === 'conductNet')).toMatchObject({ value: '10', points: '10', windowDays: 365 });
      const d = await t.http().get(`/v1/grade-runs/${runId}/households/${hh.d}`).set(admin);
      expect(d.body).toMatchObject({ grade: null, disqualifiers: [] });
      expect(d.body.features.find((f: any) => f.feature === 'debitItems')).toMatchObject({ value: '2', points: '5' });
      expect((await t.http().get(`/v1/grade-runs/${runId}/households/${hh.a}`).set(bearer(c.otherVillageKeys.clerk))).status).toBe(404);

      expect((await t.http().get(`/public/grades/${c.villages[0]}`)).status).toBe(404); // not published yet
      expect((await t.http().post(`/v1/grade-runs/${runId}/publish`).set(admin)).status).toBe(200);
      expect((await t.http().post(`/v1/grade-runs/${runId}/publish`).set(admin)).status).toBe(409);
      await expect(t.app.get(DataSource).query(`UPDATE grade_results SET grade = 'AAA' WHERE run_id = $1`, [runId])).rejects.toThrow(/published/);
    });

    it('as of today, reading balances from accounts gives what reading them from the entries gives', async () => {
      const q = { tenantId: c.tenantId, regionCode: c.county, asOf: today(), windows: { conductNet: 365, debitItems: 365, volunteerHours: 365 } };
      const db = t.app.get(DataSource);
      const fromEntries = await db.query(`${featuresSql({ ...q, current: false })} ORDER BY id`);
      const fromAccounts = await db.query(`${featuresSql({ ...q, current: true })} ORDER BY id`);
      expect(fromEntries).toHaveLength(4);
      expect(fromAccounts).toEqual(fromEntries);
      expect(fromEntries.find((r: any) => r.id === hh.a).xiaoshanBalance).toBe('600');
      const future = await t.http().post('/v1/grade-runs').set(admin).send({ regionCode: c.villages[0], asOf: '2099-01-01', scorecardId });
      expect(future.status).toBe(422);
    });

    it('counts business dates: enrolment from enrolledOn, conduct points by the day they were effective, balances as they were effective then', async () => {
      const db = t.app.get(DataSource);
      const longAgo = addDays(today(), -3 * 366);
      const old = await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '老住户', enrolledOn: longAgo });
      expect(old.status).toBe(201);
      expect(old.body.enrolledOn).toBe(longAgo);
      expect((await t.http().post('/v1/households').set(bearer(c.keys.clerk)).send({ villageCode: c.villages[0], headName: '未来户', enrolledOn: addDays(today(), 1) })).status).toBe(400);
      // Paper history, as a migration books it: 8 points effective 200 days ago, 5 XIAOSHAN a year ago.
      const post = (asset: string, amount: number, effectiveOn: string) =>
        t.app.get(UnitOfWork).run((m) => t.app.get(LedgerPosting).post(m, {
          tenantId: c.tenantId, kind: 'issue', memo: '纸质台账', metadata: {}, actor: 'test', effectiveOn,
          entries: [{ account: { holderType: 'system', holderId: 'issuer', asset }, amount: new Decimal(-amount) }, { account: { holderType: 'household', holderId: old.body.id, asset }, amount: new Decimal(amount) }],
        }));
      await post('CONDUCT', 8, addDays(today(), -200));
      await post('XIAOSHAN', 5, addDays(today(), -366));
      const features = async (asOf: string) => {
        const rows = await db.query(featuresSql({ tenantId: c.tenantId, regionCode: c.villages[0], asOf, current: false, windows: { conductNet: 365, debitItems: 365, volunteerHours: 365 } }));
        return rows.find((r: any) => r.id === old.body.id);
      };
      expect(await features(today())).toMatchObject({ yearsEnrolled: '3', conductNet: '8', xiaoshanBalance: '5' });
      expect(await features(addDays(today(), -250))).toMatchObject({ yearsEnrolled: '2', conductNet: '0', xiaoshanBalance: '5' });
      expect(await features(addDays(today(), -400))).toMatchObject({ yearsEnrolled: '1', conductNet: '0', xiaoshanBalance: '0' });
      expect(await features(addDays(longAgo, -1))).toBeUndefined(); // not yet enrolled
      // A grade run as of a past day sees exactly what was effective then.
      const past = await t.http().post('/v1/grade-runs').set(admin).send({ regionCode: c.villages[0], asOf: addDays(today(), -250), scorecardId });
      expect(past.status).toBe(201);
      const explained = await t.http().get(`/v1/grade-runs/${past.body.id}/households/${old.body.id}`).set(admin);
      expect(explained.body.features.find((f: any) => f.feature === 'yearsEnrolled').value).toBe('2');
      expect(explained.body.features.find((f: any) => f.feature === 'conductNet').value).toBe('0');
    });

    it('publishes grades to the village, names masked', async () => {
      const page = await t.http().get(`/public/grades/${c.villages[0]}`);
      expect(page.status).toBe(200);
      expect(page.body.households[0]).toEqual({ name: '王*明', grade: 'A' });
      expect(page.body.households.map((h: any) => h.name)).toEqual(expect.arrayContaining(['欧阳**华', '李*', '赵*海']));
      expect(JSON.stringify(page.body)).not.toContain(hh.a);
      const html = await t.http().get(`/public/grades/${c.villages[0]}`).set('Accept', 'text/html');
      expect(html.headers['content-type']).toMatch(/text\/html/);
      expect(html.text).toContain('孝善信用评级公示');
      expect(html.text).toContain('王*明');
      expect(html.text).not.toContain('王小明');
    });
  });

  describe('banks', () => {
    it('serves a grade only with current consent; a non-consenting household is 404 exactly like an unknown one; every read is logged', async () => {
      const unknown = await t.http().get(`/v1/bank/grades?idNumber=${newIdNumber()}`).set(bank);
      const noConsent = await t.http().get(`/v1/bank/grades?idNumber=${idNumbers[hh.a]}`).set(bank);
      expect(noConsent.status).toBe(404);
      expect({ ...noConsent.body, requestId: null }).toEqual({ ...unknown.body, requestId: null });

      const consent = await t.http().post('/v1/consents').set(bearer(c.keys.clerk))
        .send({ householdId: hh.a, bankId: c.bankId, scope: 'credit-grade', expiresOn: '2099-12-31', documentRef: '授权书 2026-001' });
      expect(consent.status).toBe(201);
      const found = await t.http().get(`/v1/bank/grades?idNumber=${idNumbers[hh.a]}`).set(bank);
      expect(found.status).toBe(200);
      expect(found.body).toEqual({ householdRef: hh.a, grade: 'A', score: '65', creditLine: '100000', rateTier: 'LPR+60bp', asOf: today(), runId });

      // Expired: the bank no longer sees it.
      await t.app.get(DataSource).query(`UPDATE consents SET expires_on = CURRENT_DATE - 2 WHERE id = $1`, [consent.body.id]);
      expect((await t.http().get(`/v1/bank/grades?idNumber=${idNumbers[hh.a]}`).set(bank)).status).toBe(404);
      expect((await t.http().post('/v1/consents').set(bearer(c.keys.clerk)).send({ householdId: hh.a, bankId: c.bankId, scope: 'credit-grade', expiresOn: '2001-01-01', documentRef: 'x' })).status).toBe(422);
      const renewed = await t.http().post('/v1/consents').set(bearer(c.keys.clerk))
        .send({ householdId: hh.a, bankId: c.bankId, scope: 'credit-grade', expiresOn: '2099-12-31', documentRef: '授权书 2026-002' });
      expect((await t.http().get(`/v1/bank/grades?idNumber=${idNumbers[hh.a]}`).set(bank)).status).toBe(200);
      const listed = await t.http().get(`/v1/consents?householdId=${hh.a}`).set(bearer(c.keys.clerk));
      expect(listed.body.items.map((x: any) => x.status).sort()).toEqual(['active', 'expired']);

      // Revoked: gone at once; revoking twice is 409; another village's clerk cannot see it.
      expect((await t.http().delete(`/v1/consents/${renewed.body.id}`).set(bearer(c.otherVillageKeys.clerk))).status).toBe(404);
      expect((await t.http().delete(`/v1/consents/${renewed.body.id}`).set(bearer(c.keys.clerk))).status).toBe(200);
      expect((await t.http().delete(`/v1/consents/${renewed.body.id}`).set(bearer(c.keys.clerk))).status).toBe(409);
      expect((await t.http().get(`/v1/bank/grades?idNumber=${idNumbers[hh.a]}`).set(bank)).status).toBe(404);

      // Each consent's history: what happened, who did it, when (the expiry is written once, by the system).
      const events = async (id: string) => (await t.http().get(`/v1/consents/${id}/history`).set(bearer(c.keys.clerk))).body.items.map((e: any) => [e.event, e.actor.type]);
      expect(await events(consent.body.id)).toEqual([['granted', 'key'], ['expired', 'system']]);
      expect(await events(consent.body.id)).toEqual([['granted', 'key'], ['expired', 'system']]);
      expect(await events(renewed.body.id)).toEqual([['granted', 'key'], ['revoked', 'key']]);
      expect((await t.http().get(`/v1/consents/${renewed.body.id}/history`).set(bearer(c.otherVillageKeys.clerk))).status).toBe(404);

      const log = await t.http().get(`/v1/bank-access-log?bankId=${c.bankId}`).set(bearer(c.keys.auditor));
      expect(log.status).toBe(200);
      const lookups = log.body.items.filter((l: any) => l.endpoint === 'GET /v1/bank/grades');
      expect(lookups).toHaveLength(6);
      expect(lookups.filter((l: any) => l.households === 1)).toHaveLength(2);
      expect(lookups.find((l: any) => l.households === 1)).toMatchObject({ bankId: c.bankId, runId, keyId: expect.any(String) });
    });

    it('a signed export verifies with the published key and fails on a changed byte', async () => {
      for (const h of [hh.a, hh.b]) {
        await t.http().post('/v1/consents').set(bearer(c.keys.clerk)).send({ householdId: h, bankId: c.bankId, scope: 'credit-grade', expiresOn: '2099-12-31', documentRef: `授权书 ${h}` });
      }
      const res = await t.http().get(`/v1/bank/grades/export?regionCode=${c.villages[0]}&format=csv`).set(bank).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (d: Buffer) => chunks.push(d));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).toBe(200);
      const body = res.body as Buffer;
      const lines = body.toString('utf8').trim().split('\n');
      expect(lines[0]).toBe('householdRef,villageCode,grade,score,creditLine,rateTier');
      expect(res.headers['x-export-as-of']).toBe(today());
      expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual([hh.a, hh.b].sort()); // only the consenting ones
      expect(res.headers['x-export-households']).toBe('2');
      const digest = createHash('sha256').update(body).digest('hex');
      expect(res.headers['x-export-digest']).toBe(digest);

      const key = await t.http().get('/v1/bank/signing-key').set(bank);
      const publicKey = createPublicKey({ key: Buffer.from(key.body.publicKey, 'base64'), format: 'der', type: 'spki' });
      const message = (d: string) => Buffer.from(`${d}\n${res.headers['x-export-run-id']}\n${c.bankId}`, 'utf8');
      const signature = Buffer.from(res.headers['x-export-signature'], 'base64');
      expect(verify(null, message(digest), publicKey, signature)).toBe(true);
      const tampered = Buffer.from(body);
      tampered[tampered.length - 3] ^= 1;
      expect(verify(null, message(createHash('sha256').update(tampered).digest('hex')), publicKey, signature)).toBe(false);

      const nd = await t.http().get(`/v1/bank/grades/export?regionCode=${c.villages[0]}&format=ndjson`).set(bank);
      expect(nd.headers['content-type']).toMatch(/ndjson/);
      const first = JSON.parse(nd.text.split('\n')[0]);
      expect(first).toMatchObject({ villageCode: c.villages[0], score: expect.any(String) });
      expect(nd.headers['x-export-run-id']).toBe(runId);
      const log = await t.http().get(`/v1/bank-access-log?bankId=${c.bankId}`).set(admin);
      expect(log.body.items.find((l: any) => l.endpoint === 'GET /v1/bank/grades/export')).toMatchObject({ households: 2, runId });
    });

    it('each county has its own export key, which rotates; an export made before a rotation still verifies with its listed key', async () => {
      const grab = (r: any, cb: (e: Error | null, b: Buffer) => void) => {
        const chunks: Buffer[] = [];
        r.on('data', (d: Buffer) => chunks.push(d));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      };
      const exportNow = () => t.http().get(`/v1/bank/grades/export?regionCode=${c.villages[0]}&format=csv`).set(bank).buffer(true).parse(grab);
      const verifies = (res: any, keys: any[]) => {
        const key = keys.find((k) => k.keyId === res.headers['x-export-key-id']);
        if (!key) return false;
        const digest = createHash('sha256').update(res.body as Buffer).digest('hex');
        const message = Buffer.from(`${digest}\n${res.headers['x-export-run-id']}\n${c.bankId}`, 'utf8');
        return verify(null, message, createPublicKey(key.publicKeyPem), Buffer.from(res.headers['x-export-signature'], 'base64'));
      };
      const before = await exportNow();
      const current = (await t.http().get('/v1/bank/signing-key').set(bank)).body;
      expect(before.headers['x-export-key-id']).toBe(current.keyId);
      // The keyId is the first 16 hex digits of SHA-256 over the public key: a bank can recompute it.
      expect(createHash('sha256').update(Buffer.from(current.publicKey, 'base64')).digest('hex').slice(0, 16)).toBe(current.keyId);

      expect((await t.http().post('/v1/bank/signing-keys').set(bank)).status).toBe(403);
      const rotated = await t.http().post('/v1/bank/signing-keys').set(admin);
      expect(rotated.status).toBe(201);
      expect(rotated.body).toMatchObject({ keyId: expect.stringMatching(/^[0-9a-f]{16}$/), retiredAt: null });
      expect(rotated.body.keyId).not.toBe(current.keyId);
      const after = await exportNow();
      expect(after.headers['x-export-key-id']).toBe(rotated.body.keyId);

      const list = (await t.http().get('/v1/bank/signing-keys').set(bank)).body.items;
      expect(list.map((k: any) => k.keyId)).toEqual([rotated.body.keyId, current.keyId]);
      expect(list[1].retiredAt).not.toBeNull();
      expect(verifies(before, list)).toBe(true); // old export, old (retired) key
      expect(verifies(after, list)).toBe(true);
      expect(verifies({ body: before.body, headers: { ...before.headers, 'x-export-key-id': rotated.body.keyId } }, list)).toBe(false); // the new key does not verify the old export
      expect((await t.http().get('/v1/bank/signing-key').set(bank)).body.keyId).toBe(rotated.body.keyId);

      // Another county's key is its own; its list shows none of this county's keys.
      const other = await makeCounty(t);
      // Its first key is made on first use, once, however many requests race for it.
      const firstUse = await Promise.all([0, 1, 2, 3, 4].map(() => t.http().get('/v1/bank/signing-key').set(bearer(other.keys.bank))));
      expect(new Set(firstUse.map((r) => r.body.keyId)).size).toBe(1);
      const otherKeys = (await t.http().get('/v1/bank/signing-keys').set(bearer(other.keys.bank))).body.items;
      expect(otherKeys).toHaveLength(1);
      expect(list.map((k: any) => k.keyId)).not.toContain(otherKeys[0].keyId);
      // Private keys are stored encrypted, and key material never changes.
      const db = t.app.get(DataSource);
      const [stored] = await db.query(`SELECT private_key_cipher FROM export_signing_keys WHERE tenant_id = $1 AND key_id = $2`, [c.tenantId, rotated.body.keyId]);
      expect(Buffer.from(stored.private_key_cipher, 'base64').toString('latin1')).not.toContain('PRIVATE KEY');
      await expect(db.query(`UPDATE export_signing_keys SET public_key = 'x' WHERE tenant_id = $1`, [c.tenantId])).rejects.toThrow(/only retires/);
      await expect(db.query(`DELETE FROM export_signing_keys WHERE tenant_id = $1`, [c.tenantId])).rejects.toThrow(/never deleted/);
    });

    it('a bank that stops reading the export halfway fails that response only: no crash, no file left behind', async () => {
      const keys = await t.app.get(DataSource).query(`SELECT id FROM api_keys WHERE tenant_id = $1 AND role = 'bank' LIMIT 1`, [c.tenantId]);
      const p = { kind: 'key' as const, keyId: keys[0].id, tenantId: c.tenantId, role: 'bank' as const, scopeRegionCode: c.county, shopId: null, bankId: c.bankId, actor: { type: 'key' as const, id: keys[0].id, name: 'test' } };
      // A response whose client is gone after the headers: the first write fails.
      const gone = new Writable({ write: (_chunk, _enc, done) => done(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })) });
      const res = Object.assign(gone, { status: () => res, setHeader: () => res });
      const made = jest.spyOn(fsPromises, 'mkdtemp');
      await expect(t.app.get(BanksService).export(p, c.villages[0], 'csv', res as never)).rejects.toMatchObject({ code: 'ECONNRESET' });
      const dir = await made.mock.results[0].value;
      made.mockRestore();
      expect(dir).toContain('jifen-export-');
      expect(existsSync(dir)).toBe(false);
      expect((await t.http().get('/health')).status).toBe(200);
    });

    it('loans are reported for consenting households and counted per village', async () => {
      const loan = await t.http().post('/v1/bank/loans').set(bank).send({ householdRef: hh.b, amount: '50000.00', rate: '0.0385', grantedOn: today() });
      expect(loan.status).toBe(201);
      expect((await t.http().post('/v1/bank/loans').set(bank).send({ householdRef: hh.c, amount: '1.00', rate: '0.04', grantedOn: today() })).status).toBe(404);
      const report = await t.http().get(`/v1/reports/credit?regionCode=${c.county}`).set(bearer(c.keys.auditor));
      expect(report.body.villages).toEqual([{ villageCode: c.villages[0], consentedHouseholds: 2, loans: 1, amount: '50000.00' }]);
      expect(report.body.totals).toEqual({ consentedHouseholds: 2, loans: 1, amount: '50000.00' });
    });

    it('bank keys are rate-limited', async () => {
      const key = bearer(await issueKey(t, c.tenantId, 'bank', { bankId: c.bankId }));
      const statuses: number[] = [];
      for (let i = 0; i < 70; i++) statuses.push((await t.http().get(`/v1/bank/grades?idNumber=${idNumbers[hh.c]}`).set(key)).status);
      expect(statuses.slice(0, 60).every((s) => s === 404)).toBe(true);
      expect(statuses).toContain(429);
    });
  });

  describe('boards', () => {
    const period = () => today().slice(0, 7);
    it('red by net points (ties: fewer debits), black with its items and sanctions; published, masked and frozen', async () => {
      const draft = await t.http().post('/v1/boards').set(bearer(c.keys.reviewer)).send({ villageCode: c.villages[0], period: period() });
      expect(draft.status).toBe(201);
      expect(draft.body.status).toBe('draft');
      expect(draft.body.red.map((r: any) => [r.householdId, r.net])).toEqual([
        [hh.a, '10.00'],
        [hh.b, '8.00'],
        [hh.c, '8.00'],
      ]);
      expect(draft.body.black.map((l: any) => l.householdId).sort()).toEqual([hh.c, hh.d].sort());
      const d = draft.body.black.find((l: any) => l.householdId === hh.d);
      expect(d.items).toHaveLength(2);
      expect(d.sanctions.map((s: any) => s.code)).toEqual(['S01']);
      expect((await t.http().get(`/public/boards/${c.villages[0]}/${period()}`)).status).toBe(404); // a draft is not public

      const published = await t.http().post(`/v1/boards/${draft.body.id}/publish`).set(admin);
      expect(published.body.status).toBe('published');
      expect((await t.http().post(`/v1/boards/${draft.body.id}/publish`).set(admin)).status).toBe(409);
      expect((await t.http().post('/v1/boards').set(admin).send({ villageCode: c.villages[0], period: period() })).status).toBe(409);
      await expect(t.app.get(DataSource).query(`UPDATE boards SET red = '[]' WHERE id = $1`, [draft.body.id])).rejects.toThrow(/published/);

      const pub = await t.http().get(`/public/boards/${c.villages[0]}/${period()}`);
      expect(pub.status).toBe(200);
      expect(pub.body.red.map((r: any) => r.name)).toEqual(['王*明', '欧阳**华', '李*']);
      expect(pub.body.black.map((l: any) => l.name).sort()).toEqual(['李*', '赵*海'].sort());
      const text = JSON.stringify(pub.body);
      for (const id of Object.values(hh)) expect(text).not.toContain(id);
      for (const n of ['王小明', '欧阳建国华', '赵大海']) expect(text).not.toContain(n);
      expect(text).not.toMatch(/\d{17}[\dX]/);

      // A record voided after publication does not change the board.
      const y = (await t.http().get(`/v1/records?holderId=${hh.c}&status=posted`).set(bearer(c.keys.reviewer))).body.items.find((r: any) => r.ruleCode === 'Y01');
      expect((await t.http().post(`/v1/records/${y.id}/void`).set(bearer(c.keys.reviewer)).send({ reason: '误录' })).status).toBe(200);
      expect((await t.http().get(`/public/boards/${c.villages[0]}/${period()}`)).body).toEqual(pub.body);

      const html = await t.http().get(`/public/boards/${c.villages[0]}/${period()}`).set('Accept', 'text/html');
      expect(html.text).toContain('红黑榜');
      expect(html.text).toContain('欧阳**华');
      expect(html.text).not.toContain('欧阳建国华');
    });

    it('refuses a bad period, a township, another village; unknown boards are 404', async () => {
      expect((await t.http().post('/v1/boards').set(admin).send({ villageCode: c.villages[0], period: '2026-13' })).status).toBe(400);
      expect((await t.http().post('/v1/boards').set(admin).send({ villageCode: c.townships[0], period: '2026-Q1' })).status).toBe(400);
      expect((await t.http().post('/v1/boards').set(bearer(c.keys.reviewer)).send({ villageCode: c.villages[2], period: '2026-Q1' })).status).toBe(404);
      expect((await t.http().post('/v1/boards').set(admin).send({ villageCode: c.villages[0], period: '2099-01' })).status).toBe(422);
      expect((await t.http().get(`/public/boards/${c.villages[0]}/2026-Q9`)).status).toBe(404);
      expect((await t.http().get('/public/boards/999999999999/2026-01')).status).toBe(404);
      const q = await t.http().post('/v1/boards').set(admin).send({ villageCode: c.villages[1], period: `${today().slice(0, 4)}-Q1` });
      expect(q.status).toBe(201);
      expect(q.body).toMatchObject({ red: [], black: [] });
    });
  });
});
