import * as ExcelJS from 'exceljs';
import { Readable } from 'stream';
import * as unzipper from 'unzipper';
import { isCalendarDate } from '../platform/http/validators';
import { BadInput } from '../platform/http/app-error';

/** What the import reads from a line, by column, whatever the header calls it. */
export type ImportColumn = 'holderType' | 'holderId' | 'householdNo' | 'headName' | 'headIdNumber' | 'ruleCode' | 'ruleName' | 'quantity' | 'occurredOn' | 'note';

/**
 * Header names the import understands: the API's English ones, and the Chinese
 * ones of the template and of the paper books clerks copy from. Spaces, full
 * stops of Chinese punctuation and a trailing "(必填)" are ignored.
 */
const HEADER_ALIASES: Record<string, ImportColumn> = {
  holdertype: 'holderType',
  holderid: 'holderId',
  householdno: 'householdNo',
  no: 'householdNo',
  rulecode: 'ruleCode',
  quantity: 'quantity',
  occurredon: 'occurredOn',
  note: 'note',
  类型: 'holderType',
  户号: 'householdNo',
  户主姓名: 'headName',
  户主: 'headName',
  姓名: 'headName',
  户主身份证号: 'headIdNumber',
  身份证号: 'headIdNumber',
  身份证号码: 'headIdNumber',
  事项代码: 'ruleCode',
  代码: 'ruleCode',
  事项名称: 'ruleName',
  事项: 'ruleName',
  数量: 'quantity',
  次数: 'quantity',
  发生日期: 'occurredOn',
  日期: 'occurredOn',
  备注: 'note',
  说明: 'note',
};

const normaliseHeader = (h: string) => h.replace(/[\s\u3000]|[（(][^）)]*[）)]|[*＊:：]/g, '').toLowerCase();

/** Which column holds what; refuses a header the import cannot work with, naming what is missing in words a clerk reads. */
export function mapHeader(cells: string[]): Map<ImportColumn, number> {
  const map = new Map<ImportColumn, number>();
  const unknown: string[] = [];
  cells.forEach((raw, i) => {
    const name = normaliseHeader(raw);
    if (!name) return;
    const col = HEADER_ALIASES[name];
    if (!col) unknown.push(raw);
    else if (map.has(col)) throw new BadInput('the header names a column twice', [{ field: 'line 1', messages: [`第 1 行：列「${raw}」重复`] }]);
    else map.set(col, i);
  });
  const problems: string[] = [];
  if (!map.has('holderId') && !map.has('householdNo') && !map.has('headIdNumber')) problems.push('缺少「户号」列（或 holderId、户主身份证号）');
  if (map.has('holderId') && !map.has('holderType')) problems.push('有 holderId 列时须有 holderType 列');
  if (!map.has('ruleCode') && !map.has('ruleName')) problems.push('缺少「事项代码」或「事项名称」列');
  if (!map.has('occurredOn')) problems.push('缺少「发生日期」列');
  if (unknown.length) problems.push(`看不懂的列：${unknown.join('、')}（可用：户号、户主姓名、户主身份证号、事项代码、事项名称、数量、发生日期、备注）`);
  if (problems.length) throw new BadInput('the first line must be the header', [{ field: 'line 1', messages: problems }]);
  return map;
}

/** The columns that say what happened; a row with none of them filled is a template row left blank. */
const WHAT_HAPPENED: ImportColumn[] = ['ruleCode', 'ruleName', 'quantity', 'occurredOn', 'note'];
export const isUnfilled = (cells: string[], header: Map<ImportColumn, number>) =>
  WHAT_HAPPENED.every((c) => !header.has(c) || !(cells[header.get(c)!] ?? '').trim());

/** Days from Excel's day 0 (1899-12-30, which absorbs its 1900 leap-year bug) to 1970-01-01. */
const EXCEL_EPOCH_OFFSET = 25569;

/**
 * A date as spreadsheets write it: `2026-12-01`, `2026/12/1`, `2026.12.1`,
 * `2026年12月1日`, or an Excel serial number (46357 is 2026-12-01). Answers
 * YYYY-MM-DD, or null when it is none of these or not a calendar date.
 */
export function parseSheetDate(raw: string): string | null {
  const s = raw.trim();
  let y: number, m: number, d: number;
  const parts = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(s);
  if (parts) {
    [y, m, d] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  } else if (/^\d{5}(\.0+)?$/.test(s)) {
    const serial = Number(s);
    if (serial < 20000 || serial > 80000) return null; // 1954 to 2119: anything else is not a date someone typed
    const date = new Date((serial - EXCEL_EPOCH_OFFSET) * 86_400_000);
    [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
  } else {
    return null;
  }
  const iso = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return isCalendarDate(iso) ? iso : null;
}

/** A cell as the text a clerk sees: dates as YYYY-MM-DD, formulas as their result, rich text as its characters. */
export function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) {
    // ExcelJS gives a date cell as that day at midnight UTC.
    return `${v.getUTCFullYear()}-${String(v.getUTCMonth() + 1).padStart(2, '0')}-${String(v.getUTCDate()).padStart(2, '0')}`;
  }
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return cellText((v as { result?: ExcelJS.CellValue }).result ?? null);
    if ('text' in v) return String((v as { text: unknown }).text);
    if ('error' in v) return '';
    return '';
  }
  return String(v);
}

/** Whether an upload is an .xlsx file (a ZIP archive: "PK\3\4"). */
export const looksLikeXlsx = (head: Buffer) => head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;

/** The parts of ExcelJS's streaming reader that DirectoryWorkbookReader drives (not in its typings). */
interface ReaderParts {
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(iterator: AsyncIterable<unknown>, sheetNo: string): Generator<unknown>;
}

/**
 * ExcelJS's streaming reader, fed by the file's central directory. ExcelJS reads
 * the archive in one streamed pass, in stored order, and that pass sometimes ends
 * before the last entries (exceljs#3064): a workbook whose xl/workbook.xml is stored
 * after its sheets, as ExcelJS writes them (our own template), was refused as
 * unreadable about once in a hundred reads. Here the file is opened by its central
 * directory (the upload is on disk), the workbook's parts are read first, whatever
 * their order in the file, and the sheets after, in their number order, each still
 * streamed row by row through ExcelJS's own parsers.
 */
class DirectoryWorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  constructor(private readonly file: string, options: Partial<ExcelJS.stream.xlsx.WorkbookStreamReaderOptions>) {
    super(file, options);
  }

  override async *parse(): AsyncGenerator<unknown> {
    const self = this as unknown as ReaderParts;
    const dir = await unzipper.Open.file(this.file);
    const part = (name: string) => dir.files.find((f) => f.path === name);
    const rels = part('xl/_rels/workbook.xml.rels');
    if (rels) await self._parseRels(rels.stream());
    const workbook = part('xl/workbook.xml');
    if (!workbook) throw new Error('no xl/workbook.xml: not an .xlsx workbook');
    await self._parseWorkbook(workbook.stream());
    const strings = part('xl/sharedStrings.xml');
    if (strings) yield* self._parseSharedStrings(strings.stream());
    const styles = part('xl/styles.xml');
    if (styles) await self._parseStyles(styles.stream());
    const sheets = dir.files
      .map((f) => ({ f, no: /^xl\/worksheets\/sheet(\d+)\.xml$/.exec(f.path)?.[1] }))
      .filter((s): s is { f: unzipper.File; no: string } => s.no !== undefined)
      .sort((a, b) => Number(a.no) - Number(b.no));
    for (const { f, no } of sheets) yield* self._parseWorksheet(f.stream(), no);
  }
}

/**
 * The first worksheet of an .xlsx file, row by row, streamed (ExcelJS's
 * streaming reader: memory stays flat however many rows), in the shape the
 * CSV parser gives: the cells as text and the row's number. Empty rows are
 * skipped, as the CSV import skips empty lines.
 */
export function xlsxRecords(file: string): Readable {
  async function* rows() {
    try {
      const reader = new DirectoryWorkbookReader(file, { worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore' });
      for await (const sheet of reader) {
        for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
          const values = row.values as ExcelJS.CellValue[]; // 1-based: values[0] is empty
          const cells: string[] = [];
          for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]).trim());
          if (cells.some((c) => c !== '')) yield { record: cells, info: { lines: row.number } };
        }
        return; // the first sheet only: the template's second sheet is the list of items
      }
    } catch (e) {
      // Only the reader's own errors arrive here (the consumer's are thrown where it iterates): a file that is not a workbook.
      const message = e instanceof Error ? e.message : String(e);
      throw new BadInput('the file is not a readable .xlsx workbook', [{ field: 'file', messages: [`这个 Excel 文件打不开，请在 Excel 里另存为 .xlsx 后再上传（${message.slice(0, 200)}）`] }], 'malformed-xlsx');
    }
  }
  return Readable.from(rows());
}

/** The template's columns, in order: what a clerk fills in, by the names the import reads. */
export const TEMPLATE_COLUMNS = ['户号', '户主姓名', '事项名称', '数量', '发生日期', '备注'];

/**
 * The import template for one village: its households already listed (户号 and
 * head's name, one row each), the rule items as a drop-down list on 事项名称
 * (their codes, directions and points on a second sheet), dates as dates.
 */
export async function importTemplate(
  villageName: string,
  households: { no: string; headName: string }[],
  items: { code: string; name: string; direction: 'credit' | 'debit'; points: string; asset: string }[],
): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'jifen';
  const sheet = wb.addWorksheet('积分登记', { views: [{ state: 'frozen', ySplit: 1 }] });
  const list = wb.addWorksheet('事项');
  sheet.columns = TEMPLATE_COLUMNS.map((header, i) => ({ header, width: [20, 12, 24, 8, 14, 30][i] }));
  sheet.getRow(1).font = { bold: true };
  list.columns = [
    { header: '事项名称', width: 24 },
    { header: '事项代码', width: 10 },
    { header: '加分/扣分', width: 10 },
    { header: '分值', width: 8 },
    { header: '积分种类', width: 10 },
  ];
  list.getRow(1).font = { bold: true };
  for (const it of items) list.addRow([it.name, it.code, it.direction === 'credit' ? '加分' : '扣分', Number(it.points), it.asset]);
  for (const h of households) sheet.addRow([h.no, h.headName, null, null, null, null]);
  // Room to write more than one line per household: validation and formats reach well past the listed rows.
  const lastRow = Math.max(households.length + 1, 2) + 500;
  for (let r = 2; r <= lastRow; r++) {
    const row = sheet.getRow(r);
    if (items.length) {
      row.getCell(3).dataValidation = {
        type: 'list',
        allowBlank: true,
        formulae: [`事项!$A$2:$A$${items.length + 1}`],
        showErrorMessage: true,
        errorTitle: '事项名称',
        error: '请从下拉列表中选择事项',
      };
    }
    row.getCell(4).numFmt = '0.##';
    row.getCell(5).numFmt = 'yyyy-mm-dd';
  }
  sheet.headerFooter.oddHeader = `${villageName} 积分登记表`;
  return Buffer.from(await wb.xlsx.writeBuffer());
}
