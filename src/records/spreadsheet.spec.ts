import * as ExcelJS from 'exceljs';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import JSZip from 'jszip';
import { tmpdir } from 'os';
import * as path from 'path';
import { cellText, mapHeader, parseSheetDate, xlsxRecords } from './spreadsheet';

const iso = (d: Date) => d.toISOString().slice(0, 10);

describe('dates as spreadsheets write them', () => {
  const days = fc.date({ min: new Date(Date.UTC(1960, 0, 1)), max: new Date(Date.UTC(2100, 11, 31)), noInvalidDate: true }).map((d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())));

  it('every way of writing a day reads as that day', () => {
    fc.assert(
      fc.property(days, (d) => {
        const [y, m, dd] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
        const serial = Math.round(d.getTime() / 86_400_000) + 25569;
        for (const written of [iso(d), `${y}/${m}/${dd}`, `${y}-${m}-${dd}`, `${y}.${m}.${dd}`, `${y}年${m}月${dd}日`, `${y} 年 ${m} 月 ${dd} 日`, String(serial)]) {
          expect(parseSheetDate(written)).toBe(iso(d));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('Excel\'s serial numbers: 46357 is 2026-12-01, 45717 is 2025-03-01 (past the 1900 leap-year bug)', () => {
    expect(parseSheetDate('46357')).toBe('2026-12-01');
    expect(parseSheetDate('45717')).toBe('2025-03-01');
    expect(parseSheetDate('46357.0')).toBe('2026-12-01');
  });

  it('what is no day is refused, not guessed', () => {
    for (const bad of ['2026/2/30', '2026-13-01', '2026年2月29日', '12/1/2026', '2026/12', '1', '12345', '99999', '46357.5', '', '二〇二六年十二月一日', '2026-12-01T00:00']) {
      expect(parseSheetDate(bad)).toBeNull();
    }
    expect(parseSheetDate('2024年2月29日')).toBe('2024-02-29');
  });
});

describe('cells and headers', () => {
  it('a cell reads as the text a clerk sees', () => {
    expect(cellText(new Date(Date.UTC(2026, 11, 1)))).toBe('2026-12-01');
    expect(cellText({ richText: [{ text: '孝老' }, { text: '爱亲' }] })).toBe('孝老爱亲');
    expect(cellText({ formula: 'A1+1', result: 3 } as never)).toBe('3');
    expect(cellText(null)).toBe('');
    expect(cellText(2.5)).toBe('2.5');
  });

  it('Chinese and English headers, in any order, with spaces and (必填) marks', () => {
    const m = mapHeader(['发生日期', ' 户号 ', '事项名称(必填)', '数量', '备注']);
    expect(Object.fromEntries(m)).toEqual({ occurredOn: 0, householdNo: 1, ruleName: 2, quantity: 3, note: 4 });
    expect(Object.fromEntries(mapHeader(['holderType', 'holderId', 'ruleCode', 'quantity', 'occurredOn', 'note']))).toMatchObject({ holderType: 0, holderId: 1 });
    expect(() => mapHeader(['户号', '户号', '事项代码', '发生日期'])).toThrow();
    expect(() => mapHeader(['户主姓名', '事项代码', '发生日期'])).toThrow();
  });
});

describe('.xlsx files, whatever order their parts are stored in', () => {
  let dir: string;
  let workbook: Buffer;
  const expected = [['户号', '户主姓名', '事项名称', '数量', '发生日期']];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jifen-xlsx-'));
    // As ExcelJS writes it, like the import template: two sheets, shared strings and xl/workbook.xml stored after them.
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('积分登记');
    sheet.addRow(expected[0]);
    for (let i = 1; i <= 40; i++) {
      sheet.addRow([`500154101001-${String(i).padStart(4, '0')}`, `户主${i}`, '孝老爱亲', i, new Date(Date.UTC(2026, 10, 1 + (i % 28)))]);
      expected.push([`500154101001-${String(i).padStart(4, '0')}`, `户主${i}`, '孝老爱亲', String(i), `2026-11-${String(1 + (i % 28)).padStart(2, '0')}`]);
    }
    wb.addWorksheet('事项').addRow(['孝老爱亲', 'R01']);
    workbook = Buffer.from(await wb.xlsx.writeBuffer());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const read = async (file: string) => {
    const rows: string[][] = [];
    for await (const r of xlsxRecords(file) as AsyncIterable<{ record: string[] }>) rows.push(r.record);
    return rows;
  };

  it('reads an ExcelJS-written workbook every time (ExcelJS\'s one-pass reader lost its last part about once in a hundred reads)', async () => {
    const file = path.join(dir, 'template.xlsx');
    writeFileSync(file, workbook);
    const zip = await JSZip.loadAsync(workbook);
    const stored = Object.keys(zip.files);
    expect(stored.indexOf('xl/workbook.xml')).toBeGreaterThan(stored.indexOf('xl/worksheets/sheet1.xml'));
    for (let i = 0; i < 300; i++) expect(await read(file)).toEqual(expected);
  });

  it('reads the same rows from the workbook with its parts stored in any order', async () => {
    const zip = await JSZip.loadAsync(workbook);
    const parts = await Promise.all(Object.keys(zip.files).filter((n) => !zip.files[n].dir).map(async (n) => [n, await zip.files[n].async('nodebuffer')] as const));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(parts, { minLength: parts.length, maxLength: parts.length }), async (order) => {
        const repacked = new JSZip();
        for (const [name, bytes] of order) repacked.file(name, bytes);
        const file = path.join(dir, `shuffled-${n++}.xlsx`);
        writeFileSync(file, await repacked.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
        expect(await read(file)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });
});
