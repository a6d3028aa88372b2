import * as ExcelJS from 'exceljs';
import { readFileSync } from 'fs';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { asAdmin, bearer, startTestApp, TestApp } from '../helpers/test-app';
import { approveImport, issueKey } from '../helpers/fixtures';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * Spreadsheets as clerks have them (issue 19): an .xlsx saved by a spreadsheet
 * program, a GBK CSV from a Chinese-locale Excel, Chinese headers, 户号 instead
 * of ids, dates as Excel writes them, and the template round trip.
 */
describe('spreadsheet import (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  const village = '659001101001';
  const keys = {} as { admin: string; clerk: string; reviewer: string; otherClerk: string };
  const hh = {} as { zhang: string; li: string };

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    // The fixtures name 户号 of this village: a county with fixed codes.
    const tenant = await t.http().post('/v1/tenants').set(asAdmin).send({ regionCode: '659001', name: '示范县' });
    expect(tenant.status).toBe(201);
    for (const [code, name, parentCode] of [['659001101', '关面乡', '659001'], [village, '泉秀村', '659001101'], ['659001101002', '红旗村', '659001101']]) {
      expect((await t.http().post('/v1/regions').set(asAdmin).send({ code, name, parentCode })).status).toBe(201);
    }
    keys.admin = await issueKey(t, tenant.body.id, 'admin');
    keys.clerk = await issueKey(t, tenant.body.id, 'clerk', { scopeRegionCode: village });
    keys.reviewer = await issueKey(t, tenant.body.id, 'reviewer', { scopeRegionCode: village });
    keys.otherClerk = await issueKey(t, tenant.body.id, 'clerk', { scopeRegionCode: '659001101002' });
    const enrol = async (headName: string) => (await t.http().post('/v1/households').set(bearer(keys.clerk)).send({ villageCode: village, headName })).body;
    const zhang = await enrol('张大爷');
    const li = await enrol('李大妈');
    expect([zhang.no, li.no]).toEqual([`${village}-0001`, `${village}-0002`]);
    hh.zhang = zhang.id;
    hh.li = li.id;
    const rs = await t.http().post('/v1/rulesets').set(bearer(keys.admin)).send({
      regionCode: '659001', asset: 'CONDUCT', name: '红黄榜', effectiveFrom: '2026-01-01',
      items: [
        { code: 'R01', name: '孝老爱亲', direction: 'credit', points: '5' },
        { code: 'R02', name: '环境卫生', direction: 'credit', points: '1' },
        { code: 'B01', name: '乱扔垃圾', direction: 'debit', points: '2' },
      ],
    });
    expect((await t.http().post(`/v1/rulesets/${rs.body.id}/activate`).set(bearer(keys.admin))).status).toBe(200);
  });
  afterAll(async () => t.close());

  const upload = (body: Buffer, type: string, key = keys.clerk, query = '') =>
    t.http().post(`/v1/records/import${query}`).set(bearer(key)).set('Content-Type', type).send(body);
  const recordsOf = async (importId: string) =>
    db.query(`SELECT holder_id, rule_code, quantity::text AS quantity, to_char(occurred_on, 'YYYY-MM-DD') AS occurred_on, note FROM records WHERE import_id = $1 ORDER BY import_line`, [importId]);
  const expected = () => [
    { holder_id: hh.zhang, rule_code: 'R01', quantity: '1', occurred_on: '2026-11-03', note: '照顾瘫痪的母亲' },
    { holder_id: hh.li, rule_code: 'R02', quantity: '2', occurred_on: '2026-11-15', note: null },
    { holder_id: hh.zhang, rule_code: 'B01', quantity: '1', occurred_on: '2026-11-20', note: '门前堆放垃圾，劝说后已清理' },
  ];

  it('reads an .xlsx saved by a spreadsheet program: Chinese headers, 户号, item names, date cells', async () => {
    const res = await upload(readFileSync(path.join(FIXTURES, 'records-libreoffice.xlsx')), XLSX);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ accepted: 3, rejected: [] });
    expect(await recordsOf(res.body.importId)).toEqual(expected());
    expect((await approveImport(t, keys.reviewer, res.body.importId)).status).toBe(200);
  });

  it('reads a GBK CSV with dates written 2026/11/3, as a Chinese-locale Excel saves it', async () => {
    const file = readFileSync(path.join(FIXTURES, 'records-gbk.csv'));
    expect(file.includes(Buffer.from('户号'))).toBe(false); // not UTF-8
    const res = await upload(file, 'text/csv');
    expect(res.status).toBe(201);
    expect(await recordsOf(res.body.importId)).toEqual(expected());
  });

  it('refuses, line by line in Chinese, a head\'s name that disagrees with the 户号, an unknown or out-of-scope 户号, an item not in the rules, a date nobody can read', async () => {
    const csv = [
      '户号,户主姓名,事项名称,数量,发生日期,备注',
      `${village}-0001,李大妈,孝老爱亲,1,2026年11月5日,`,
      `${village}-0099,,孝老爱亲,1,2026-11-05,`,
      `${village}-0002,李大妈,种菜,1,2026-11-05,`,
      `${village}-0002,李大妈,孝老爱亲,1,2026/13/5,`,
      `${village}-0002,李大妈,孝老爱亲,1,46331,serial`,
    ].join('\r\n');
    const res = await upload(Buffer.from(csv), 'text/csv');
    expect(res.status).toBe(422);
    expect(res.body.rejected).toEqual([
      { line: 2, errors: [expect.stringContaining('与户号')] },
      { line: 3, errors: [expect.stringContaining(`户号 ${village}-0099`)] },
      { line: 4, errors: [expect.stringContaining('「种菜」')] },
      { line: 5, errors: [expect.stringContaining('发生日期「2026/13/5」看不懂')] },
    ]);
    // Another village's clerk does not learn that the 户号 exists.
    const other = await upload(Buffer.from(`户号,事项代码,发生日期\n${village}-0001,R01,2026-11-05\n`), 'text/csv', keys.otherClerk);
    expect(other.status).toBe(422);
    expect(other.body.rejected[0].errors[0]).toContain('不在您管辖的村里');
  });

  it('a header it cannot read, and a file that only looks like a workbook, are 400 in words a clerk reads', async () => {
    const bad = await upload(Buffer.from('户号,积分项目,日子\n'), 'text/csv');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].messages.join()).toContain('看不懂的列：积分项目、日子');
    const broken = await upload(Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]), XLSX);
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe('malformed-xlsx');
    expect((await upload(Buffer.from('x'), 'application/pdf')).status).toBe(415);
  });

  it('the template lists the village\'s households and offers the items as a drop-down; filled in and uploaded, it imports', async () => {
    expect((await t.http().post('/v1/households').set(bearer(keys.clerk)).send({ villageCode: village, headName: '王三' })).body.no).toBe(`${village}-0003`);
    const res = await t.http().get(`/v1/records/import/template?villageCode=${village}`).set(bearer(keys.clerk)).buffer(true)
      .parse((r, cb) => { const chunks: Buffer[] = []; r.on('data', (c: Buffer) => chunks.push(c)); r.on('end', () => cb(null, Buffer.concat(chunks))); });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(XLSX);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as never);
    const sheet = wb.worksheets[0];
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(['户号', '户主姓名', '事项名称', '数量', '发生日期', '备注']);
    expect([sheet.getCell('A2').value, sheet.getCell('B2').value, sheet.getCell('A3').value]).toEqual([`${village}-0001`, '张大爷', `${village}-0002`]);
    expect(sheet.getCell('C2').dataValidation).toMatchObject({ type: 'list', formulae: ['事项!$A$2:$A$4'] });
    expect(wb.worksheets[1].getColumn(1).values.slice(2)).toEqual(['孝老爱亲', '环境卫生', '乱扔垃圾']);
    // A clerk fills two rows and uploads the same workbook.
    sheet.getCell('C2').value = '孝老爱亲';
    sheet.getCell('D2').value = 1;
    sheet.getCell('E2').value = new Date(Date.UTC(2026, 10, 28));
    sheet.getCell('C3').value = '环境卫生';
    sheet.getCell('D3').value = 3;
    sheet.getCell('E3').value = '2026/11/29';
    // A listed household left blank is no line: it is skipped, not refused.
    const filled = Buffer.from(await wb.xlsx.writeBuffer());
    const up = await upload(filled, XLSX);
    expect({ status: up.status, body: up.body }).toMatchObject({ status: 201 }); // a refusal shows why
    expect(up.body.accepted).toBe(2);
    expect((await recordsOf(up.body.importId)).map((r: any) => [r.holder_id, r.rule_code, r.occurred_on])).toEqual([
      [hh.zhang, 'R01', '2026-11-28'],
      [hh.li, 'R02', '2026-11-29'],
    ]);
    expect((await t.http().get(`/v1/records/import/template?villageCode=659001101002`).set(bearer(keys.clerk))).status).toBe(404);
  });
});
