import { Injectable, Logger } from '@nestjs/common';
import Decimal from 'decimal.js';
import { CsvError, parse } from 'csv-parse';
import * as iconv from 'iconv-lite';
import { createReadStream, createWriteStream, promises as fs } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { pipeline, Readable } from 'stream';
import { pipeline as pipelineAsync } from 'stream/promises';
import type { EntityManager } from 'typeorm';
import { actorRef, type KeyPrincipal } from '../auth/principal';
import { HolderInfo, HoldersService } from '../holders/holders.service';
import { AssetsService } from '../ledger/assets.service';
import { LedgerQueries } from '../ledger/ledger-queries.service';
import { arrayLiteral } from '../platform/database/sql-arrays';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { AppError, BadInput, mapError } from '../platform/http/app-error';
import { isUuid } from '../platform/http/validation';
import { DEFAULT_NOTICE_DAYS, RuleItem } from '../rules/domain/rules';
import { RuleSetsService, RuleSetView, shanghaiToday } from '../rules/rulesets.service';
import { QUANTITY_RE, RULE_CODE_RE } from './records.dto';
import { RecordsService } from './records.service';
import { CapUsageTracker } from './cap-usage';
import { timeOrderedUuid } from '../platform/util/time-ordered-id';
import { ImportColumn, importTemplate, isUnfilled, looksLikeXlsx, mapHeader, parseSheetDate, xlsxRecords } from './spreadsheet';

export { parseSheetDate };
import { HOUSEHOLD_NO_RE } from '../holders/holders.service';
import { yieldToIo } from '../platform/util/yield';
import { yieldToForeground } from '../platform/http/foreground';

/** The API's own header (the Chinese one of the template is read as well: spreadsheet.ts). */
export const IMPORT_HEADER = ['holderType', 'holderId', 'ruleCode', 'quantity', 'occurredOn', 'note'];
const SNIFF_BYTES = 64 * 1024;
export const IMPORT_LIMIT_BYTES = 50 * 1024 * 1024;

export interface ImportResult {
  accepted: number;
  rejected: { line: number; errors: string[] }[];
  /** Set on a dry run: nothing was written. */
  dryRun?: true;
  /** The import these records belong to (records carry it, with their line). */
  importId?: string;
}

/** Carries a refused all-or-nothing import out of its transaction, so everything rolls back. */
class ImportRefused extends Error {
  constructor(readonly result: ImportResult) {
    super('import refused');
  }
}

/**
 * Which decoder: the charset the client names; else UTF-8 if the file starts
 * with a BOM or its first 64 KiB are valid UTF-8; else GBK (what Excel on a
 * Chinese Windows saves as "CSV").
 */
export function chooseEncoding(head: Buffer, charset: string | undefined): string {
  if (charset) {
    const c = charset.toLowerCase();
    if (!iconv.encodingExists(c)) throw new BadInput(`charset ${charset} is not supported`, [{ field: 'Content-Type', messages: ['use utf-8, gbk or gb18030'] }]);
    return c;
  }
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'utf-8';
  } catch {
    return 'gb18030'; // a superset of GBK
  }
}

/** Decodes a byte stream to text, choosing the encoding from its start; refuses more than `limit` bytes. */
async function* decodeStream(source: AsyncIterable<Buffer>, charset: string | undefined, limit: number): AsyncGenerator<string> {
  let decoder: iconv.DecoderStream | null = null;
  let head = Buffer.alloc(0);
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    if (bytes > limit) throw new AppError(413, 'payload-too-large', `the CSV file exceeds ${limit / 1024 / 1024} MB`);
    if (decoder) {
      yield decoder.write(chunk);
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < SNIFF_BYTES) continue;
    decoder = iconv.getDecoder(chooseEncoding(head, charset));
    yield decoder.write(head);
  }
  if (!decoder) {
    decoder = iconv.getDecoder(chooseEncoding(head, charset));
    yield decoder.write(head);
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/**
 * Writes an upload to a temporary file, refusing more than `limit` bytes (413).
 * A client that hangs up ends it with an error; nothing is left behind.
 */
export async function spool(body: AsyncIterable<Buffer>, limit: number): Promise<{ dir: string; file: string; bytes: number }> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'jifen-import-'));
  const file = path.join(dir, 'upload.csv');
  let bytes = 0;
  try {
    await pipelineAsync(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length;
          if (bytes > limit) throw new AppError(413, 'payload-too-large', `the CSV file exceeds ${limit / 1024 / 1024} MB`);
          yield chunk;
        }
      },
      createWriteStream(file),
    );
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw csvProblem(e) ?? e;
  }
  return { dir, file, bytes };
}

/**
 * The rows of a spooled upload: the first sheet of an .xlsx workbook when the
 * file is one (by its first bytes, not its name), otherwise CSV in the charset
 * given or detected.
 */
export async function uploadRows(file: string, charset: string | undefined): Promise<Readable> {
  const handle = await fs.open(file, 'r');
  const head = Buffer.alloc(4);
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  return looksLikeXlsx(head) ? xlsxRecords(file) : csvRecords(createReadStream(file), charset);
}

/**
 * The file's records as one stream whose every stage has its errors wired
 * (stream.pipeline): a byte sequence that is not text, a quote that never
 * closes, or a client that hangs up halfway ends the iteration with that
 * error. Parsing starts at once, before anyone iterates, so an error with no
 * listener would otherwise be an unhandled 'error' event, which ends the process.
 */
export function csvRecords(body: AsyncIterable<Buffer>, charset: string | undefined): Readable {
  return pipeline(
    Readable.from(decodeStream(body, charset, IMPORT_LIMIT_BYTES)),
    // relax_quotes: a quote inside an unquoted cell (3"门) is taken as written, as Excel shows it.
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, info: true, max_record_size: MAX_LINE_CHARS }),
    () => undefined, // every error also reaches the iterating loop, which reports it
  );
}

/** The longest line (in characters) the import reads; a longer one is a broken file, not a record. */
const MAX_LINE_CHARS = 64 * 1024;

/** A broken file or a broken upload, as the caller's problem (400), or null when `e` is neither. */
export function csvProblem(e: unknown): AppError | null {
  if (e instanceof CsvError) {
    const line = typeof (e as { lines?: unknown }).lines === 'number' ? (e as unknown as { lines: number }).lines : undefined;
    return new BadInput('the file is not valid CSV', [{ field: line ? `line ${line}` : 'file', messages: [`${csvMessage(e.code)} (${e.message})`] }], 'malformed-csv');
  }
  const err = e as { code?: unknown; message?: unknown };
  if (err?.code === 'ECONNRESET' || err?.code === 'ERR_STREAM_PREMATURE_CLOSE' || err?.message === 'aborted') {
    return new AppError(400, 'request-aborted', 'the upload ended before the whole file arrived; nothing was imported');
  }
  return null;
}

const csvMessage = (code: string): string =>
  ({
    CSV_QUOTE_NOT_CLOSED: '有引号没有配对（文件在引号内结束）',
    CSV_INVALID_CLOSING_QUOTE: '引号后面紧跟了其他字符',
    CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: '引号后面紧跟了其他字符',
    CSV_MAX_RECORD_SIZE: `一行超过 ${MAX_LINE_CHARS} 个字符`,
  })[code] ?? 'CSV 格式错误';

/** Lines are checked, valued and written this many at a time: one round trip per kind of row per chunk. */
const CHUNK = 2000;
/** Holders remembered per import; past this the memo starts again (a county has fewer households). */
const HOLDER_MEMO_LIMIT = 200_000;
/** Rule items remembered per import, by holder type, village, code and date; past this the memo starts again. */
const ITEM_MEMO_LIMIT = 50_000;
/** How each column of the records insert is written in its array literal (ids, numbers, booleans and dates bare). */
const RECORD_COLUMNS = ['bare', 'quoted', 'bare', 'quoted', 'bare', 'bare', 'quoted', 'quoted', 'quoted', 'quoted', 'bare', 'bare', 'bare', 'bare', 'bare', 'quoted', 'bare', 'bare'] as const;

export interface ImportOptions {
  /** Accept the good lines and report the bad ones, instead of all-or-nothing. */
  partial: boolean;
  /** Lines per chunk (default 2,000); tests make it small to see writes of one chunk undone by a later one. */
  chunkLines?: number;
  /** Check and value every line exactly as an import would, then roll everything back: the report before committing. */
  dryRun?: boolean;
}

interface Line {
  line: number;
  holderType: 'household' | 'person';
  /** The holder's id: given, or found from the 户号 or the head's ID number. */
  holderId: string;
  householdNo: string | null;
  headIdNumber: string | null;
  /** The head's name as the file has it: must agree with the household found. */
  headName: string | null;
  /** The item's code, or (ruleName) its name in the rule set that applies. */
  ruleCode: string;
  ruleName: string | null;
  quantity: Decimal;
  occurredOn: string;
  note: string | null;
}

interface Valued {
  line: Line;
  id: string;
  holder: HolderInfo;
  set: RuleSetView;
  item: RuleItem;
  points: Decimal;
  uncapped: Decimal;
  capped: boolean;
}

/** What one import carries from chunk to chunk. */
interface ImportRun {
  p: KeyPrincipal;
  options: ImportOptions;
  today: string;
  result: ImportResult;
  rules: Map<string, Promise<RuleSetView | null>>;
  /** The item each (holder type, village, rule code, date) finds, or why none applies: one lookup per distinct question, not per line. */
  items: Map<string, { set: RuleSetView; item: RuleItem; scale: number } | { refused: string }>;
  /** Cap usage per holder, item and window, seeded from the database once and then kept up to date in memory. */
  caps: CapUsageTracker;
  /** Holders found so far (ids are not looked up twice in one import). */
  holders: Map<string, HolderInfo>;
  /** The previous chunk's writes, still running in the database while the next chunk is prepared. */
  writing: Promise<unknown>;
  importId: string;
  /** What each holder's account would hold after the lines accepted so far, for assets that cannot go below zero. */
  balances: Map<string, Decimal>;
}

/**
 * Checks one line's cells, read through the header's map; answers its problems
 * (in Chinese, as the console shows them to the clerk), or the line.
 */
export function parseLine(line: number, cells: string[], header: Map<ImportColumn, number>): Line | string[] {
  const cell = (c: ImportColumn) => (header.has(c) ? (cells[header.get(c)!] ?? '').trim() : '');
  const errors: string[] = [];
  const holderId = cell('holderId');
  const householdNo = cell('householdNo');
  const headIdNumber = cell('headIdNumber');
  const typeCell = cell('holderType');
  const holderType = typeCell === '' || typeCell === '户' || typeCell === '农户' ? 'household' : typeCell === '个人' || typeCell === '志愿者' ? 'person' : typeCell;
  if (holderType !== 'household' && holderType !== 'person') errors.push('类型须为 household（户）或 person（个人）');
  if (holderId) {
    if (!isUuid(holderId)) errors.push('holderId 须为 UUID');
  } else if (householdNo) {
    if (!HOUSEHOLD_NO_RE.test(householdNo)) errors.push(`户号「${householdNo}」格式不对，应像 500154101001-0023`);
  } else if (headIdNumber) {
    if (!/^\d{17}[\dXx]$/.test(headIdNumber)) errors.push('户主身份证号须为 18 位');
  } else {
    errors.push('没有填写户号');
  }
  if ((householdNo || headIdNumber) && !holderId && holderType !== 'household') errors.push('户号和户主身份证号只用于农户');
  const ruleCode = cell('ruleCode');
  const ruleName = cell('ruleName');
  if (ruleCode && !RULE_CODE_RE.test(ruleCode)) errors.push(`事项代码「${ruleCode}」格式不对，应像 R01`);
  if (!ruleCode && !ruleName) errors.push('没有填写事项代码或事项名称');
  if (ruleName.length > 100) errors.push('事项名称太长');
  const quantity = cell('quantity');
  if (quantity && !QUANTITY_RE.test(quantity)) errors.push(`数量「${quantity}」须为数字，如 1 或 2.5`);
  const rawDate = cell('occurredOn');
  const occurredOn = rawDate ? parseSheetDate(rawDate) : null;
  if (!rawDate) errors.push('没有填写发生日期');
  else if (!occurredOn) errors.push(`发生日期「${rawDate}」看不懂，请写成 2026-12-01、2026/12/1 或 2026年12月1日`);
  const note = cell('note');
  if (note.length > 500) errors.push('备注最多 500 字');
  const headName = cell('headName');
  if (headName.length > 50) errors.push('户主姓名太长');
  if (errors.length) return errors;
  return {
    line,
    holderType: holderType as Line['holderType'],
    holderId: holderId.toLowerCase(),
    householdNo: holderId ? null : householdNo || null,
    headIdNumber: holderId || householdNo ? null : headIdNumber || null,
    headName: headName || null,
    ruleCode: ruleCode,
    ruleName: ruleCode ? null : ruleName,
    quantity: new Decimal(quantity || '1'),
    occurredOn: occurredOn!,
    note: note || null,
  };
}

/**
 * POST /v1/records/import: streams the CSV (memory stays flat however long the
 * file) and enters it set-based inside one DB transaction, CHUNK lines at a
 * time: holders looked up in one query, rule sets memoised, caps valued in
 * memory from usage seeded by one query, then records, their history and (on
 * approval) their postings written in bulk. All-or-nothing unless `partial`:
 * any bad line rolls everything back and answers 422 with every bad line and
 * its reasons; once a line is bad the rest are only checked. Lines are counted
 * with the header as line 1.
 */
@Injectable()
export class RecordsImportService {
  private readonly logger = new Logger('RecordsImport');

  constructor(
    private readonly uow: UnitOfWork,
    private readonly records: RecordsService,
    private readonly holders: HoldersService,
    private readonly ledger: LedgerQueries,
    private readonly assets: AssetsService,
    private readonly rules: RuleSetsService,
  ) {}

  /**
   * The upload is first written to a temporary file, so that no database work
   * waits on the network: a slow village connection or a client that hangs up
   * holds no transaction open. Then the lines are entered in one transaction
   * (all or nothing: nothing of the file is entered if a line is refused), all
   * `submitted`; another reviewer approves the import as a whole
   * (RecordsService.approveImport), which posts it.
   */
  async importFile(p: KeyPrincipal, body: AsyncIterable<Buffer>, charset: string | undefined, options: ImportOptions): Promise<{ status: number; body: ImportResult }> {
    const upload = await spool(body, IMPORT_LIMIT_BYTES);
    try {
      return await this.enter(p, upload.file, charset, options);
    } finally {
      await fs.rm(upload.dir, { recursive: true, force: true });
    }
  }

  async template(p: KeyPrincipal, villageCode: string): Promise<{ villageName: string; file: Buffer }> {
    const { villageName, households } = await this.holders.villageHouseholds(p, villageCode);
    const today = shanghaiToday();
    const items: Parameters<typeof importTemplate>[2] = [];
    for (const asset of (await this.assets.list(p.tenantId)).filter((a) => a.holderType === 'household')) {
      const set = await this.rules.applicableFor(p.tenantId, villageCode, asset.code, today);
      for (const it of set?.effectiveItems ?? []) items.push({ code: it.code, name: it.name, direction: it.direction, points: it.points, asset: asset.code });
    }
    return { villageName, file: await importTemplate(villageName, households, items) };
  }

  /** Checks, values and enters every line of the file in one transaction; answers what importCsv answers, before any posting. */
  private async enter(p: KeyPrincipal, file: string, charset: string | undefined, options: ImportOptions): Promise<{ status: number; body: ImportResult }> {
    let run!: ImportRun;
    try {
      await this.uow.run(
        async (m) => {
          // Each attempt (a deadlock is retried) starts from the file again.
          run = {
            p,
            options,
            today: shanghaiToday(),
            result: { accepted: 0, rejected: [] },
            rules: new Map(),
            items: new Map(),
            caps: new CapUsageTracker(p.tenantId),
            holders: new Map(),
            writing: Promise.resolve(),
            importId: timeOrderedUuid(),
            balances: new Map(),
          };
          const rows = await uploadRows(file, charset);
          try {
            await m.query(
              `INSERT INTO record_imports (tenant_id, id, entered_by, lines, accepted) VALUES ($1, $2, $3, 0, 0)`,
              [p.tenantId, run.importId, actorRef(p)],
            );
            let header: Map<ImportColumn, number> | null = null;
            let chunk: Line[] = [];
            let seen = 0;
            for await (const { record, info } of rows as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
              if (!header) {
                header = mapHeader(record);
                continue;
              }
              // A row of the template left as it came (only the household's number and name): no line at all.
              if (isUnfilled(record, header)) continue;
              const parsed = parseLine(info.lines, record, header);
              if (Array.isArray(parsed)) run.result.rejected.push({ line: info.lines, errors: parsed });
              else chunk.push(parsed);
              if (seen % 250 === 249) await yieldToIo();
              if (chunk.length >= (options.chunkLines ?? CHUNK)) {
                await this.enterChunk(m, run, chunk);
                chunk = [];
                await yieldToForeground();
              }
              if (++seen % 20_000 === 0) this.logger.log(`导入进度：已处理 ${seen} 行，接受 ${run.result.accepted} 行，拒绝 ${run.result.rejected.length} 行`);
            }
            if (!header) throw new BadInput('the file is empty', [{ field: 'line 1', messages: ['a header line is required'] }]);
            await this.enterChunk(m, run, chunk);
            await run.writing;
            if (options.dryRun) throw new ImportRefused({ accepted: run.result.accepted, rejected: sortByLine(run.result.rejected), dryRun: true });
            if (run.result.rejected.length && !options.partial) throw new ImportRefused({ accepted: 0, rejected: sortByLine(run.result.rejected) });
            await m.query(`UPDATE record_imports SET lines = $3, accepted = $4 WHERE tenant_id = $1 AND id = $2`, [
              p.tenantId, run.importId, seen, run.result.accepted,
            ]);
          } finally {
            rows.destroy();
          }
        },
        // The job lane: a month's file is bulk work, kept off the connections interactive requests use.
        { lane: 'job', long: true },
      );
    } catch (e) {
      if (e instanceof ImportRefused) return { status: options.dryRun ? 200 : 422, body: e.result };
      throw csvProblem(e) ?? e;
    }
    return { status: 201, body: { accepted: run.result.accepted, rejected: sortByLine(run.result.rejected), importId: run.importId } };
  }

  /** Checks, values and (unless an all-or-nothing import has already failed) writes one chunk of lines. */
  private async enterChunk(m: EntityManager, run: ImportRun, chunk: Line[]): Promise<void> {
    if (!chunk.length) return;
    // The previous chunk's statements finish before this one's first: a connection runs one at a time.
    await run.writing;
    const { p } = run;
    const refuse = (l: Line, message: string) => run.result.rejected.push({ line: l.line, errors: [message] });
    const lines = await this.resolveHouseholds(m, run, chunk, refuse);
    const found = run.holders;
    if (found.size > HOLDER_MEMO_LIMIT) found.clear(); // before this chunk's lookups, never between them
    for (const type of ['household', 'person'] as const) {
      const ids = lines.filter((l) => l.holderType === type && !found.has(`${type}|${l.holderId}`)).map((l) => l.holderId);
      if (!ids.length) continue;
      for (const [id, h] of await this.holders.findMany(p.tenantId, type, ids, m)) found.set(`${type}|${id}`, h);
    }

    // Everything that can be decided line by line, before any valuation.
    const candidates: (Omit<Valued, 'points' | 'uncapped' | 'capped' | 'id'> & { scale: number })[] = [];
    if (run.items.size > ITEM_MEMO_LIMIT) run.items.clear();
    for (let i = 0; i < lines.length; i++) {
      if (i % 250 === 249) await yieldToIo(); // the previous chunk's statements keep flowing meanwhile
      const l = lines[i];
      const holder = found.get(`${l.holderType}|${l.holderId}`);
      // Out of scope reads like unknown: a key never learns of another village's holders.
      if (!holder || !holder.regionCode.startsWith(p.scopeRegionCode)) refuse(l, l.householdNo ? `户号 ${l.householdNo} 不在您管辖的村里` : `${l.holderType} ${l.holderId} not found`);
      else if (l.headName && holder.name !== undefined && holder.name !== l.headName) refuse(l, `户主姓名「${l.headName}」与${l.householdNo ? `户号 ${l.householdNo}` : '这一户'}登记的户主不符`);
      else if (l.occurredOn > run.today) refuse(l, 'occurredOn is in the future');
      else if (l.quantity.lte(0)) refuse(l, 'quantity must be greater than zero');
      else {
        const key = `${l.holderType}|${holder.regionCode}|${l.ruleName === null ? l.ruleCode : `name:${l.ruleName}`}|${l.occurredOn}`;
        let applies = run.items.get(key);
        if (!applies) {
          try {
            applies = await this.records.findItem(p.tenantId, l.holderType, holder.regionCode, { ...l, ruleName: l.ruleName ?? undefined }, m, run.rules);
          } catch (e) {
            const known = mapError(e);
            if (!known || known.status >= 500) throw e;
            applies = { refused: known.message };
          }
          run.items.set(key, applies);
        }
        if ('refused' in applies) refuse(l, applies.refused);
        else if (applies.item.evidenceRequired) refuse(l, `rule ${applies.item.code} requires evidence; enter it on its own with the evidence attached`);
        else candidates.push({ line: l, holder, set: applies.set, item: applies.item, scale: applies.scale });
      }
    }

    // Caps: lock the holder × item pairs and read the windows not seen yet, then value in file order.
    const subject = (c: { line: Line; holder: HolderInfo; item: RuleItem }) => ({ holderType: c.line.holderType, holderId: c.holder.id, item: c.item, occurredOn: c.line.occurredOn });
    await run.caps.prepare(m, candidates.map(subject));
    const valued: Valued[] = [];
    for (let i = 0; i < candidates.length; i++) {
      if (i % 250 === 249) await yieldToIo();
      const c = candidates[i];
      const v = run.caps.value(subject(c), c.line.quantity, c.scale);
      if (v.points.isZero()) {
        refuse(c.line, `the ${v.cappedBy?.period ?? ''} cap of rule ${c.item.code} is reached for this holder`);
        continue;
      }
      valued.push({ ...c, id: timeOrderedUuid(), points: v.points, uncapped: v.uncapped, capped: v.cappedBy !== null });
    }

    const writable = await this.withinBalances(m, run, valued, (v) => run.caps.unuse(subject(v), v.points));
    // An all-or-nothing import with a bad line will roll back: only check the rest.
    if (run.result.rejected.length && !run.options.partial && !run.options.dryRun) return;
    await this.write(m, run, writable);
  }

  /**
   * Lines that name a household by 户号 or by its head's ID number get its id
   * (one query per kind per chunk); a number or ID number that finds nothing
   * in the tenant is refused on its line. Scope is checked afterwards, as for ids.
   */
  private async resolveHouseholds(m: EntityManager, run: ImportRun, lines: Line[], refuse: (l: Line, message: string) => void): Promise<Line[]> {
    const byNo = lines.filter((l) => l.householdNo);
    const byIdNumber = lines.filter((l) => l.headIdNumber);
    if (!byNo.length && !byIdNumber.length) return lines;
    const nos = byNo.length ? await this.holders.findByNumbers(run.p.tenantId, byNo.map((l) => l.householdNo!), m) : new Map();
    const ids = byIdNumber.length ? await this.holders.findByIdNumbers(run.p.tenantId, byIdNumber.map((l) => l.headIdNumber!), m) : new Map();
    const kept: Line[] = [];
    for (const l of lines) {
      const h = l.householdNo ? nos.get(l.householdNo) : l.headIdNumber ? ids.get(l.headIdNumber) : undefined;
      if ((l.householdNo || l.headIdNumber) && !h) {
        refuse(l, l.householdNo ? `户号 ${l.householdNo} 不在您管辖的村里` : '没有找到这个身份证号的户主');
        continue;
      }
      if (h) l.holderId = h.id;
      kept.push(l);
    }
    return kept;
  }

  /**
   * Once approved, the records without a notice period post at once, so a
   * deduction that would take a holder below zero in an asset that cannot go
   * negative (XIAOSHAN, YIBI) is refused here, line by line in file order, as
   * the ledger would refuse it: the clerk learns it while the file is at hand.
   * What the holder holds is read once per holder and asset, without locking:
   * the ledger checks again when it posts.
   */
  private async withinBalances(m: EntityManager, run: ImportRun, valued: Valued[], unuse: (v: Valued) => void): Promise<Valued[]> {
    const assets = new Map((await this.assets.list(run.p.tenantId, m)).map((a) => [a.code, a]));
    const watched = valued.filter((v) => !assets.get(v.set.asset)?.allowNegative && (v.item.noticeDays ?? DEFAULT_NOTICE_DAYS) === 0);
    const key = (v: Valued) => `${v.line.holderType}|${v.holder.id}|${v.set.asset}`;
    const unseen = [...new Map(watched.filter((v) => !run.balances.has(key(v))).map((v) => [key(v), v])).values()];
    if (unseen.length) {
      const found = await this.ledger.availableBalances(m, run.p.tenantId, unseen.map((v) => ({ holderType: v.line.holderType, holderId: v.holder.id, asset: v.set.asset })));
      unseen.forEach((v, i) => run.balances.set(key(v), found[i]));
    }
    const kept: Valued[] = [];
    for (const v of valued) {
      const k = key(v);
      const before = run.balances.get(k);
      if (before === undefined || !watched.includes(v)) {
        kept.push(v);
        continue;
      }
      const after = v.item.direction === 'credit' ? before.plus(v.points) : before.minus(v.points);
      if (after.lt(0)) {
        unuse(v);
        run.result.rejected.push({ line: v.line.line, errors: [`${v.set.asset} ${before.toFixed()} is less than the ${v.points.toFixed()} this deduction takes`] });
        continue;
      }
      run.balances.set(k, after);
      kept.push(v);
    }
    return kept;
  }

  /** Writes the records (all `submitted`) and their history in bulk. */
  private async write(m: EntityManager, run: ImportRun, written: Valued[]): Promise<void> {
    const { p } = run;
    if (!written.length) return;
    const actor = actorRef(p);
    // Sent now and left running while the next chunk's lines are read and parsed; awaited before that chunk's
    // first statement (or before commit). A connection runs one statement at a time, so each is sent when the
    // one before it is done (node-pg still queues early ones, but that is deprecated and goes in pg 9).
    const insertRecords = () =>
      m.query(
        `INSERT INTO records (tenant_id, entered_by, import_id, status, id, holder_type, holder_id, region_code, rule_set_id, rule_set_version, rule_code, rule_name,
                              asset_code, direction, quantity, points, uncapped_points, capped, occurred_on, note, notice_days, import_line)
         SELECT $1, $2, $3, 'submitted', * FROM unnest($4::uuid[], $5::varchar[], $6::uuid[], $7::varchar[], $8::uuid[], $9::int[], $10::varchar[], $11::varchar[],
                                          $12::varchar[], $13::varchar[], $14::numeric[], $15::numeric[], $16::numeric[], $17::bool[], $18::date[], $19::varchar[],
                                          $20::int[], $21::int[])`,
        [
          p.tenantId,
          actor,
          run.importId,
          // Array literals built here, not by node-pg: 2,000 rows × 18 columns per chunk.
          ...arrayLiteral.columns(
            written.map((v) => [
              v.id, v.line.holderType, v.holder.id, v.holder.regionCode, v.set.id, v.set.version, v.item.code, v.item.name,
              v.set.asset, v.item.direction, v.line.quantity.toFixed(), v.points.toFixed(), v.uncapped.toFixed(), v.capped, v.line.occurredOn, v.line.note,
              v.item.noticeDays ?? DEFAULT_NOTICE_DAYS, v.line.line,
            ]),
            RECORD_COLUMNS,
          ),
        ],
      );
    const insertHistory = () =>
      m.query(
        `INSERT INTO record_history (tenant_id, actor, record_id, from_status, to_status, reason)
         SELECT $1, $2, * FROM unnest($3::uuid[], $4::varchar[], $5::varchar[], $6::text[])`,
        [p.tenantId, actor, ...arrayLiteral.columns(written.map((v) => [v.id, null, 'submitted', v.line.note]), ['bare', 'quoted', 'quoted', 'quoted'])],
      );
    run.writing = insertRecords().then(insertHistory);
    run.writing.catch(() => undefined); // seen when awaited; never reported as unhandled meanwhile
    run.result.accepted += written.length;
  }
}

const sortByLine = (rejected: ImportResult['rejected']) => [...rejected].sort((a, b) => a.line - b.line);
