import * as iconv from 'iconv-lite';
import { Readable } from 'stream';
import { readFileSync } from 'fs';
import * as path from 'path';
import { randomUUID } from 'crypto';
import { DataSource } from 'typeorm';
import type { KeyPrincipal } from '../../src/auth/principal';
import { RecordsImportService } from '../../src/records/records-import.service';
import { bearer, startTestApp, TestApp } from '../helpers/test-app';
import { approveImport, County, importCsv, makeCounty, makeHousehold } from '../helpers/fixtures';

const HEADER = 'holderType,holderId,ruleCode,quantity,occurredOn,note';

describe('CSV import of records (e2e)', () => {
  let t: TestApp;
  let c: County;
  let hh: string;
  let hh2: string;
  const send = (body: Buffer | string, query = '', type = 'text/csv') =>
    t.http().post(`/v1/records/import${query}`).set(bearer(c.keys.clerk)).set('Content-Type', type).send(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
  const count = async () => (await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM records WHERE tenant_id = $1`, [c.tenantId]))[0].n;

  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    const program = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'programs', 'kaizhou-guanmian-conduct.json'), 'utf8'));
    const set = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin)).send({ ...program, regionCode: c.county });
    await t.http().post(`/v1/rulesets/${set.body.id}/activate`).set(bearer(c.keys.admin));
    hh = await makeHousehold(t, c.keys.clerk, c.villages[0], '赵家');
    hh2 = await makeHousehold(t, c.keys.clerk, c.villages[0], '钱家');
  });
  afterAll(async () => t.close());

  it('imports UTF-8 with a BOM', async () => {
    const before = await count();
    const csv = `\uFEFF${HEADER}\nhousehold,${hh},R01,,2026-03-05,孝敬老人\nhousehold,${hh2},R04,1,2026-03-06,庭院整洁\n`;
    const res = await send(csv);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ accepted: 2, rejected: [], importId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(await count()).toBe(before + 2);
  });

  it('imports GBK, as Excel on a Chinese Windows saves it', async () => {
    const csv = iconv.encode(`${HEADER}\r\nhousehold,${hh},R02,1,2026-03-07,调解邻里纠纷\r\n`, 'gbk');
    const res = await send(csv);
    expect(res.status).toBe(201);
    expect(res.body.accepted).toBe(1);
    const [row] = await t.app.get(DataSource).query(`SELECT note FROM records WHERE tenant_id = $1 AND rule_code = 'R02' AND holder_id = $2`, [c.tenantId, hh]);
    expect(row.note).toBe('调解邻里纠纷');
  });

  it('all-or-nothing: one bad line → 422 naming every bad line, nothing written', async () => {
    const before = await count();
    const csv = [
      HEADER,
      `household,${hh2},R02,1,2026-03-08,ok`,
      `household,${hh2},R99,1,2026-03-08,no such rule`,
      `household,not-a-uuid,R02,1,2026-03-08,bad id`,
      `household,${hh2},R02,1,2026-02-30x,bad date`,
      `household,${hh2},R02`,
      `household,${hh2},R02,1,2026-02-30,no such day`,
    ].join('\n');
    const res = await send(csv);
    expect(res.status).toBe(422);
    expect(res.body.accepted).toBe(0);
    expect(res.body.rejected.map((r: any) => r.line)).toEqual([3, 4, 5, 6, 7]);
    expect(res.body.rejected[0].errors[0]).toMatch(/R99/);
    expect(res.body.rejected[3].errors[0]).toMatch(/没有填写发生日期/);
    expect(await count()).toBe(before);
  });

  it('?partial=true accepts the good lines and reports the bad', async () => {
    const before = await count();
    const csv = `${HEADER}\nhousehold,${hh2},R07,2,2026-03-09,开会\nhousehold,${hh2},R03,1,2026-03-09,缺证据\n`;
    const res = await send(csv, '?partial=true');
    expect(res.status).toBe(201);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([{ line: 3, errors: [expect.stringMatching(/evidence/)] }]);
    expect(await count()).toBe(before + 1);
  });

  it('caps count the lines of the same file', async () => {
    const csv = `${HEADER}\n` + Array.from({ length: 3 }, () => `household,${hh},R07,2,2026-04-10,会议`).join('\n');
    const res = await send(csv, '?partial=true');
    expect(res.body.accepted).toBe(2); // R07: at most 4 points a month
    expect(res.body.rejected[0]).toMatchObject({ line: 4 });
  });

  it('refuses a wrong header, an empty file and another media type', async () => {
    expect((await send('a,b,c\n')).status).toBe(400);
    expect((await send('')).status).toBe(400);
    const wrongType = await t.http().post('/v1/records/import').set(bearer(c.keys.clerk)).set('Content-Type', 'application/json').send({});
    expect(wrongType.status).toBe(415);
    expect((await t.http().post('/v1/records/import').set(bearer(c.keys.organizer)).set('Content-Type', 'text/csv').send(HEADER)).status).toBe(403);
  });

  describe('approval of an import by a second reviewer', () => {
    const balance = async (id: string) =>
      (await t.http().get(`/v1/holders/household/${id}/balances`).set(bearer(c.keys.clerk))).body.balances.find((b: any) => b.asset === 'CONDUCT')?.balance;

    it('a clerk transcribes a meeting, a reviewer approves the file: no-notice items post at once, the others go into notice, history names the meeting', async () => {
      const hh3 = await makeHousehold(t, c.keys.clerk, c.villages[0], '孙家');
      const before = await balance(hh3);
      const items = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'programs', 'kaizhou-guanmian-conduct.json'), 'utf8')).items as any[];
      const noNotice = items.find((i) => i.code === 'R07'); // 1 point a time, no notice
      const withNotice = items.find((i) => i.code === 'R04'); // 3 days' notice
      expect([noNotice.noticeDays, withNotice.noticeDays]).toEqual([0, 3]);
      const res = await importCsv(t, c.keys.clerk, `${HEADER}\nhousehold,${hh3},${noNotice.code},1,2026-03-05,评议\nhousehold,${hh3},${withNotice.code},1,2026-03-05,评议\n`);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ accepted: 2, rejected: [], importId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(await balance(hh3)).toBe(before);
      const approved = await approveImport(t, c.keys.reviewer, res.body.importId, '2026年3月村民代表评议会纪要');
      expect(approved.body).toEqual({ importId: res.body.importId, approved: 2, inNotice: 1, posted: 1, refused: [] });
      expect(Number(await balance(hh3))).toBeCloseTo(Number(before) + Number(noNotice.points), 2);
      const listed = await t.http().get(`/v1/records?holderId=${hh3}`).set(bearer(c.keys.reviewer));
      const byCode = new Map(listed.body.items.map((r: any) => [r.ruleCode, r]));
      expect((byCode.get(noNotice.code) as any).status).toBe('posted');
      expect((byCode.get(withNotice.code) as any).status).toBe('in_notice');
      const shown = await t.http().get(`/v1/records/${(byCode.get(noNotice.code) as any).id}`).set(bearer(c.keys.reviewer));
      // Entered, approved with the import (naming the meeting), then posted in its own short transaction.
      expect(shown.body.history.map((h: any) => h.to)).toEqual(['submitted', 'approved', 'posted']);
      expect(shown.body.history[1].reason).toMatch(/2026年3月村民代表评议会纪要/);
    });

    it('only reviewer and admin keys approve an import; the meeting is optional, but not an empty one', async () => {
      const res = await importCsv(t, c.keys.clerk, `${HEADER}\nhousehold,${hh},R07,1,2026-03-06,x\n`);
      expect(res.status).toBe(201);
      expect((await approveImport(t, c.keys.clerk, res.body.importId)).status).toBe(403);
      const empty = await t.http().post(`/v1/records/imports/${res.body.importId}/approve`).set(bearer(c.keys.reviewer)).send({ approvalRef: '' });
      expect(empty.status).toBe(400);
      const none = await t.http().post(`/v1/records/imports/${res.body.importId}/approve`).set(bearer(c.keys.reviewer)).send({});
      expect([none.status, none.body.approved]).toEqual([200, 1]);
    });

    it('holders of another village read as unknown, and a refused import writes nothing, not even the postings of chunks already written', async () => {
      const other = await makeHousehold(t, c.otherVillageKeys.clerk, c.villages[2], '外村');
      const txBefore = (await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1`, [c.tenantId]))[0].n;
      const before = await count();
      const csv = `${HEADER}\nhousehold,${hh},R07,1,2026-05-05,ok\nhousehold,${other},R07,1,2026-05-05,外村\n`;
      const reviewer: KeyPrincipal = { kind: 'key', keyId: randomUUID(), tenantId: c.tenantId, role: 'reviewer', scopeRegionCode: c.villages[0], shopId: null, bankId: null, actor: { type: 'key' as const, id: randomUUID(), name: 'test' } };
      // One line per chunk: line 2 is posted before line 3 is seen.
      const res = await t.app.get(RecordsImportService).importFile(reviewer, Readable.from([Buffer.from(csv)]), undefined, { partial: false, chunkLines: 1 });
      expect(res.status).toBe(422);
      expect(res.body.rejected).toEqual([{ line: 3, errors: [`household ${other} not found`] }]);
      expect(await count()).toBe(before);
      expect((await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE tenant_id = $1`, [c.tenantId]))[0].n).toBe(txBefore);
    });
  });
});
