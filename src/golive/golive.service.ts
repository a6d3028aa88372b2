import { Injectable, Logger } from '@nestjs/common';
import Decimal from 'decimal.js';
import { promises as fs } from 'fs';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, actorView, type KeyPrincipal } from '../auth/principal';
import { UsersService } from '../auth/users.service';
import { HOUSEHOLD_NO_RE, HoldersService } from '../holders/holders.service';
import { AssetsService } from '../ledger/assets.service';
import { LedgerPosting } from '../ledger/ledger-posting.service';
import type { PostingRequest } from '../ledger/domain/model';
import { queryRows } from '../platform/database/query-rows';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { AppError, BadInput, Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { decimalProblem } from '../platform/http/validators';
import { shanghaiToday } from '../platform/util/business-date';
import { timeOrderedUuid } from '../platform/util/time-ordered-id';
import { csvProblem, IMPORT_LIMIT_BYTES, parseSheetDate, spool, uploadRows } from '../records/records-import.service';
import { HistoricalRun, RecordsService } from '../records/records.service';
import { OpeningGrant, OpeningPoints } from '../records/opening-points.service';
import { VolunteeringService } from '../volunteering/volunteering.service';
import { TenancyService } from '../tenancy/tenancy.service';
import { ControlTotalsDto, CreateMigrationDto } from './golive.dto';

interface MigrationRow {
  id: string;
  name: string;
  reference: string;
  status: 'draft' | 'applied';
  created_by: string;
  created_at: Date;
  approved_by: string | null;
  applied_at: Date | null;
  transactions: number | null;
}

export interface UploadResult {
  accepted: number;
  rejected: { line: number; errors: string[] }[];
}

/** Lines staged per round trip while a file is read: memory stays flat however long the file. */
const CHUNK = 2000;

/** The uploads' headers: the API's names, or the Chinese ones. */
const OPENING_HEADER: Record<string, string> = {
  householdno: 'householdNo', 户号: 'householdNo',
  asset: 'asset', 积分种类: 'asset',
  balance: 'balance', 余额: 'balance', 期初余额: 'balance',
  asof: 'asOf', 截至日期: 'asOf', 日期: 'asOf',
};
const HOURS_HEADER: Record<string, string> = {
  idnumber: 'idNumber', 身份证号: 'idNumber', 身份证号码: 'idNumber',
  title: 'title', 服务内容: 'title', 活动: 'title',
  date: 'date', 服务日期: 'date', 日期: 'date',
  hours: 'hours', 时长: 'hours', 小时: 'hours',
};
const RECORDS_HEADER: Record<string, string> = {
  householdno: 'householdNo', 户号: 'householdNo',
  rulecode: 'ruleCode', 事项代码: 'ruleCode',
  quantity: 'quantity', 数量: 'quantity',
  occurredon: 'occurredOn', 发生日期: 'occurredOn', 日期: 'occurredOn',
  note: 'note', 备注: 'note',
};

/** Rows as the columns of an unnest(…). */
const columnsOf = (rows: unknown[][], n: number) => Array.from({ length: n }, (_, i) => rows.map((r) => r[i]));

/**
 * Go-live migration (issue 20): a county brings its paper ledger in. A draft
 * collects what the paper says, checked line by line as it is uploaded and
 * staged; the paper's closing totals per village are declared; another admin
 * approves, and everything posts in one database transaction, each posting
 * effective on its own past day, or nothing does (a village whose result
 * differs from its declared total, a day not in the past).
 */
@Injectable()
export class GoLiveService {
  private readonly logger = new Logger('GoLive');

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly holders: HoldersService,
    private readonly assets: AssetsService,
    private readonly ledger: LedgerPosting,
    private readonly tenancy: TenancyService,
    private readonly users: UsersService,
    private readonly records: RecordsService,
    private readonly opening: OpeningPoints,
    private readonly volunteering: VolunteeringService,
  ) {}

  async create(p: KeyPrincipal, dto: CreateMigrationDto) {
    const id = timeOrderedUuid();
    await this.dataSource.query(`INSERT INTO golive_migrations (tenant_id, id, name, reference, created_by) VALUES ($1, $2, $3, $4, $5)`, [
      requireTenant(p.tenantId), id, dto.name, dto.reference, actorRef(p),
    ]);
    return { id, name: dto.name, reference: dto.reference, status: 'draft' as const };
  }

  private async migration(m: EntityManager | DataSource, p: KeyPrincipal, id: string, lock = false): Promise<MigrationRow> {
    const [row] = await queryRows<MigrationRow>(
      m,
      `SELECT id, name, reference, status, created_by, created_at, approved_by, applied_at, transactions FROM golive_migrations
        WHERE tenant_id = $1 AND id = $2 ${lock ? 'FOR NO KEY UPDATE' : ''}`,
      [requireTenant(p.tenantId), id],
    );
    if (!row) throw new NotFound(`migration ${id}`);
    return row;
  }

  private static draft(row: MigrationRow): void {
    if (row.status !== 'draft') throw new Conflict(`migration ${row.id} is already applied`, 'migration-applied');
  }

  /**
   * POST /v1/migrations/{id}/opening-balances: a CSV `householdNo,asset,balance,asOf`
   * (or 户号,积分种类,余额,截至日期). A household and asset staged by an earlier
   * upload is replaced (a corrected file is simply uploaded again).
   */
  async uploadOpeningBalances(p: KeyPrincipal, id: string, body: AsyncIterable<Buffer>, charset: string | undefined): Promise<{ status: number; body: UploadResult }> {
    const assets = new Map((await this.assets.list(p.tenantId)).filter((a) => a.holderType === 'household').map((a) => [a.code, a]));
    const seen = new Set<string>();
    return this.upload(p, id, body, charset, {
      header: OPENING_HEADER,
      columns: ['householdNo', 'asset', 'balance', 'asOf'],
      columnNames: '户号、积分种类、余额、截至日期（或 householdNo,asset,balance,asOf）',
      parse: (cell, today) => {
        const [asset, balance, asOf] = [cell('asset'), cell('balance'), cell('asOf')];
        const errors: string[] = [];
        const spec = assets.get(asset);
        if (!spec) errors.push(`积分种类「${asset}」不是农户持有的积分`);
        const problem = decimalProblem(balance, { signed: true, scale: spec?.scale ?? 6 });
        if (problem) errors.push(`余额「${balance}」${problem}`);
        const day = parseSheetDate(asOf);
        if (!day) errors.push(`截至日期「${asOf}」看不懂，请写成 2025-12-31`);
        else if (day >= today) errors.push(`截至日期 ${day} 须在今天以前`);
        const key = `${cell('householdNo')}|${asset}`;
        if (!errors.length && seen.has(key)) errors.push(`户号 ${cell('householdNo')} 的 ${asset} 在这个文件里出现了两次`);
        seen.add(key);
        return errors.length ? { errors } : { values: [asset, balance, day] };
      },
      write: (m, rows) =>
        m.query(
          `INSERT INTO golive_opening_balances (tenant_id, migration_id, household_id, village_code, line, asset_code, balance, as_of)
           SELECT $1, $2, r.h, r.v, r.l, r.a, r.b, r.d FROM unnest($3::uuid[], $4::varchar[], $5::int[], $6::varchar[], $7::numeric[], $8::date[]) AS r(h, v, l, a, b, d)
           ON CONFLICT (tenant_id, migration_id, household_id, asset_code) DO UPDATE SET balance = excluded.balance, as_of = excluded.as_of, line = excluded.line`,
          [p.tenantId, id, ...columnsOf(rows, 6)],
        ),
    });
  }

  /**
   * POST /v1/migrations/{id}/records: a CSV `householdNo,ruleCode,quantity,occurredOn,note`
   * (or 户号,事项代码,数量,发生日期,备注): decisions already taken on paper, each
   * checked against the rule set in force on its day. An upload replaces the
   * records staged by an earlier one (the history is uploaded whole).
   */
  async uploadRecords(p: KeyPrincipal, id: string, body: AsyncIterable<Buffer>, charset: string | undefined): Promise<{ status: number; body: UploadResult }> {
    const rules = new Map<string, Promise<string | null>>();
    return this.upload(p, id, body, charset, {
      header: RECORDS_HEADER,
      columns: ['householdNo', 'ruleCode', 'occurredOn'],
      columnNames: '户号、事项代码、数量、发生日期、备注（或 householdNo,ruleCode,quantity,occurredOn,note）',
      replace: (m) => m.query(`DELETE FROM golive_records WHERE tenant_id = $1 AND migration_id = $2`, [p.tenantId, id]),
      parse: (cell, today) => {
        const [ruleCode, quantity, occurredOn, note] = [cell('ruleCode'), cell('quantity') || '1', cell('occurredOn'), cell('note')];
        const errors: string[] = [];
        if (!/^[A-Z][A-Z0-9_-]{0,15}$/.test(ruleCode)) errors.push(`事项代码「${ruleCode}」格式不对，应像 R01`);
        if (!/^(0|[1-9]\d{0,5})(\.\d{1,2})?$/.test(quantity) || Number(quantity) === 0) errors.push(`数量「${quantity}」须为大于零的数字`);
        const day = parseSheetDate(occurredOn);
        if (!day) errors.push(`发生日期「${occurredOn}」看不懂，请写成 2025-12-31、2025/12/31 或 2025年12月31日`);
        else if (day >= today) errors.push(`发生日期 ${day} 须在今天以前`);
        if (note.length > 500) errors.push('备注最多 500 字');
        return errors.length ? { errors } : { values: [ruleCode, quantity, day, note || null] };
      },
      // Each rule is checked against the rule set in force on the line's day, once per village, code and day.
      check: async (m, village, values) => {
        const [ruleCode, , day] = values as [string, string, string];
        const key = `${village}|${ruleCode}|${day}`;
        if (!rules.has(key)) {
          rules.set(key, this.records.findItem(p.tenantId, 'household', village, { ruleCode, occurredOn: day }, m).then(() => null, (e: unknown) => (e instanceof Error ? e.message : String(e))));
        }
        const problem = await rules.get(key)!;
        return problem ? `事项 ${ruleCode} 在 ${day} 不适用于这个村（${problem}）` : null;
      },
      write: (m, rows) =>
        m.query(
          `INSERT INTO golive_records (tenant_id, migration_id, household_id, village_code, line, rule_code, quantity, occurred_on, note)
           SELECT $1, $2, r.h, r.v, r.l, r.c, r.q, r.d, r.n FROM unnest($3::uuid[], $4::varchar[], $5::int[], $6::varchar[], $7::numeric[], $8::date[], $9::varchar[]) AS r(h, v, l, c, q, d, n)`,
          [p.tenantId, id, ...columnsOf(rows, 7)],
        ),
    });
  }

  /**
   * POST /v1/migrations/{id}/service-hours: a CSV `idNumber,title,date,hours`
   * (or 身份证号,服务内容,服务日期,时长): past volunteer hours, counted as
   * backfilled service without 益币. An upload replaces the one before.
   */
  async uploadServiceHours(p: KeyPrincipal, id: string, body: AsyncIterable<Buffer>, charset: string | undefined): Promise<{ status: number; body: UploadResult }> {
    return this.upload(p, id, body, charset, {
      header: HOURS_HEADER,
      who: 'person',
      columns: ['idNumber', 'title', 'date', 'hours'],
      columnNames: '身份证号、服务内容、服务日期、时长（或 idNumber,title,date,hours）',
      replace: (m) => m.query(`DELETE FROM golive_service_hours WHERE tenant_id = $1 AND migration_id = $2`, [p.tenantId, id]),
      parse: (cell, today) => {
        const [title, date, hours] = [cell('title'), cell('date'), cell('hours')];
        const errors: string[] = [];
        if (!title || title.length > 200) errors.push('服务内容须填写，最多 200 字');
        const day = parseSheetDate(date);
        if (!day) errors.push(`服务日期「${date}」看不懂，请写成 2025-12-31`);
        else if (day >= today) errors.push(`服务日期 ${day} 须在今天以前`);
        if (!/^\d{1,2}(\.\d{1,2})?$/.test(hours) || Number(hours) <= 0 || Number(hours) > 24) errors.push(`时长「${hours}」须为 0 到 24 之间的小时数`);
        return errors.length ? { errors } : { values: [title, day, hours] };
      },
      write: (m, rows) =>
        m.query(
          `INSERT INTO golive_service_hours (tenant_id, migration_id, person_id, region_code, line, title, served_on, hours)
           SELECT $1, $2, r.p, r.v, r.l, r.t, r.d, r.h FROM unnest($3::uuid[], $4::varchar[], $5::int[], $6::varchar[], $7::date[], $8::numeric[]) AS r(p, v, l, t, d, h)`,
          [p.tenantId, id, ...columnsOf(rows, 6)],
        ),
    });
  }

  /**
   * One upload, streamed: the file is spooled to disk, then read and staged
   * CHUNK lines at a time in one transaction, all or nothing: one bad line and
   * nothing of the file is kept (422 with every bad line). Households are named
   * by 户号, inside the uploader's scope.
   */
  private async upload(
    p: KeyPrincipal,
    id: string,
    body: AsyncIterable<Buffer>,
    charset: string | undefined,
    spec: {
      header: Record<string, string>;
      /** Who a line is about: a household by 户号 (default), or a person by ID number. */
      who?: 'household' | 'person';
      columns: string[];
      columnNames: string;
      replace?: (m: EntityManager) => Promise<unknown>;
      parse: (cell: (c: string) => string, today: string) => { errors: string[] } | { values: unknown[] };
      check?: (m: EntityManager, village: string, values: unknown[]) => Promise<string | null>;
      write: (m: EntityManager, rows: unknown[][]) => Promise<unknown>;
    },
  ): Promise<{ status: number; body: UploadResult }> {
    const upload = await spool(body, IMPORT_LIMIT_BYTES);
    const today = shanghaiToday();
    const result: UploadResult = { accepted: 0, rejected: [] };
    const refused = new Error('refused');
    try {
      await this.uow.run(
        async (m) => {
          result.accepted = 0;
          result.rejected = [];
          GoLiveService.draft(await this.migration(m, p, id, true));
          await spec.replace?.(m);
          let header: Map<string, number> | null = null;
          const people = spec.who === 'person';
          let chunk: { line: number; no: string; values: unknown[] }[] = [];
          const flush = async () => {
            if (!chunk.length) return;
            const keys = chunk.map((l) => l.no);
            const found = people ? await this.holders.findPeopleByIdNumbers(p.tenantId, keys, m) : await this.holders.findByNumbers(p.tenantId, keys, m);
            const rows: unknown[][] = [];
            for (const l of chunk) {
              const h = found.get(l.no);
              const unknown = people ? '没有找到这个身份证号的志愿者（或不在您的管辖范围）' : `户号 ${l.no} 不在您管辖的村里`;
              const problem = !h || !h.regionCode.startsWith(p.scopeRegionCode) ? unknown : await spec.check?.(m, h.regionCode, l.values);
              if (problem) result.rejected.push({ line: l.line, errors: [problem] });
              else rows.push([h!.id, h!.regionCode, l.line, ...l.values]);
            }
            chunk = [];
            if (result.rejected.length || !rows.length) return;
            await spec.write(m, rows);
            result.accepted += rows.length;
          };
          const lines = await uploadRows(upload.file, charset);
          try {
            for await (const { record, info } of lines as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
              if (!header) {
                header = new Map();
                for (const [i, h] of record.entries()) {
                  const col = spec.header[h.replace(/[\s\u3000]/g, '').toLowerCase()];
                  if (col) header.set(col, i);
                }
                const missing = spec.columns.filter((c) => !header!.has(c));
                if (missing.length) throw new BadInput('the first line must be the header', [{ field: 'line 1', messages: [`表头须有：${spec.columnNames}；缺少 ${missing.join('、')}`] }]);
                continue;
              }
              const cell = (c: string) => (header!.has(c) ? (record[header!.get(c)!] ?? '').trim() : '');
              const no = people ? cell('idNumber').toUpperCase() : cell('householdNo');
              const parsed = spec.parse(cell, today);
              const whoProblem = people
                ? /^\d{17}[\dX]$/.test(no) ? [] : [`身份证号「${no}」须为 18 位`]
                : HOUSEHOLD_NO_RE.test(no) ? [] : [`户号「${no}」格式不对，应像 500154101001-0023`];
              const errors = [...whoProblem, ...('errors' in parsed ? parsed.errors : [])];
              if (errors.length) result.rejected.push({ line: info.lines, errors });
              else chunk.push({ line: info.lines, no, values: (parsed as { values: unknown[] }).values });
              if (chunk.length >= CHUNK) await flush();
            }
            if (!header) throw new BadInput('the file is empty', [{ field: 'line 1', messages: ['a header line is required'] }]);
            await flush();
          } finally {
            lines.destroy();
          }
          if (result.rejected.length) throw refused;
        },
        { lane: 'job', long: true },
      );
    } catch (e) {
      if (e !== refused) throw csvProblem(e) ?? e;
      return { status: 422, body: { accepted: 0, rejected: result.rejected.sort((a, b) => a.line - b.line) } };
    } finally {
      await fs.rm(upload.dir, { recursive: true, force: true });
    }
    return { status: 200, body: result };
  }

  /** POST /v1/migrations/{id}/control-totals: the paper ledger's closing totals, per village and asset (replacing those declared before). */
  async controlTotals(p: KeyPrincipal, id: string, dto: ControlTotalsDto) {
    const assets = new Map((await this.assets.list(p.tenantId)).map((a) => [a.code, a]));
    const problems: { field: string; messages: string[] }[] = [];
    for (const [i, t] of dto.totals.entries()) {
      const spec = assets.get(t.asset);
      if (!spec || spec.holderType !== 'household') problems.push({ field: `totals[${i}].asset`, messages: [`${t.asset} is not an asset households hold`] });
      else if (decimalProblem(t.balance, { signed: true, scale: spec.scale })) problems.push({ field: `totals[${i}].balance`, messages: [`at most ${spec.scale} decimals`] });
      const region = await this.tenancy.findRegion(p.tenantId, t.villageCode);
      if (!region || region.level !== 'village' || !t.villageCode.startsWith(p.scopeRegionCode)) problems.push({ field: `totals[${i}].villageCode`, messages: [`no village ${t.villageCode} in this county`] });
    }
    if (new Set(dto.totals.map((t) => `${t.villageCode}|${t.asset}`)).size !== dto.totals.length) problems.push({ field: 'totals', messages: ['each village and asset once'] });
    if (problems.length) throw new BadInput(`${problems.length} field(s) are invalid`, problems);
    await this.uow.run(async (m) => {
      GoLiveService.draft(await this.migration(m, p, id, true));
      await m.query(`DELETE FROM golive_control_totals WHERE tenant_id = $1 AND migration_id = $2`, [p.tenantId, id]);
      await m.query(
        `INSERT INTO golive_control_totals (tenant_id, migration_id, village_code, asset_code, balance)
         SELECT $1, $2, v, a, b FROM unnest($3::varchar[], $4::varchar[], $5::numeric[]) AS t(v, a, b)`,
        [p.tenantId, id, dto.totals.map((t) => t.villageCode), dto.totals.map((t) => t.asset), dto.totals.map((t) => t.balance)],
      );
    });
    return this.get(p, id);
  }

  /**
   * The opening grants approval would post: households of the migration's
   * villages enrolled on a past day whose grant is pending, except those whose
   * paper opening balance the migration carries (it includes them).
   */
  private async pendingGrants(m: EntityManager | DataSource, p: KeyPrincipal, id: string, lock: boolean): Promise<{ grants: OpeningGrant[]; households: string[] }> {
    const villages = (
      await queryRows<{ v: string }>(
        m,
        `SELECT village_code AS v FROM golive_control_totals WHERE tenant_id = $1 AND migration_id = $2
         UNION SELECT village_code FROM golive_opening_balances WHERE tenant_id = $1 AND migration_id = $2
         UNION SELECT village_code FROM golive_records WHERE tenant_id = $1 AND migration_id = $2`,
        [requireTenant(p.tenantId), id],
      )
    ).map((r) => r.v);
    const pending = await this.holders.openingPending(m, p.tenantId, villages, lock);
    if (!pending.length) return { grants: [], households: [] };
    const carried = new Set(
      (
        await queryRows<{ household_id: string }>(
          m,
          `SELECT DISTINCT household_id FROM golive_opening_balances WHERE tenant_id = $1 AND migration_id = $2 AND household_id = ANY($3::uuid[])`,
          [p.tenantId, id, pending.map((h) => h.id)],
        )
      ).map((r) => r.household_id),
    );
    const grants = await this.opening.plan(m instanceof DataSource ? m.manager : m, p.tenantId, pending.filter((h) => !carried.has(h.id)));
    return { grants, households: pending.map((h) => h.id) };
  }

  /**
   * Declared against computed, per village and asset: computed is what the
   * village's households hold, plus (for a draft) the opening balances and opening
   * grants the migration would add; its records are valued only when it is
   * applied (`?dryRun=true` shows everything).
   */
  private async reconciliation(m: EntityManager | DataSource, p: KeyPrincipal, id: string, staged: boolean) {
    const rows = await queryRows<{ village_code: string; asset_code: string; declared: string | null; computed: string }>(
      m,
      `WITH villages AS (
         SELECT village_code, asset_code FROM golive_control_totals WHERE tenant_id = $1 AND migration_id = $2
         UNION SELECT DISTINCT village_code, asset_code FROM golive_opening_balances WHERE tenant_id = $1 AND migration_id = $2
       )
       SELECT v.village_code, v.asset_code, c.balance::text AS declared,
              (coalesce((SELECT sum(b.balance) FROM ledger_holder_balances b WHERE b.tenant_id = $1 AND b.holder_type = 'household'
                           AND b.region_code = v.village_code AND b.asset_code = v.asset_code), 0)
               + CASE WHEN $3 THEN coalesce((SELECT sum(o.balance) FROM golive_opening_balances o WHERE o.tenant_id = $1 AND o.migration_id = $2
                                               AND o.village_code = v.village_code AND o.asset_code = v.asset_code), 0) ELSE 0 END)::text AS computed
         FROM villages v
         LEFT JOIN golive_control_totals c ON c.tenant_id = $1 AND c.migration_id = $2 AND c.village_code = v.village_code AND c.asset_code = v.asset_code
        ORDER BY v.village_code, v.asset_code`,
      [requireTenant(p.tenantId), id, staged],
    );
    const scales = new Map((await this.assets.list(p.tenantId)).map((a) => [a.code, a.scale]));
    // A draft's opening grants still to come, per village (CONDUCT).
    const granted = new Map<string, Decimal>();
    if (staged) for (const g of (await this.pendingGrants(m, p, id, false)).grants) granted.set(g.regionCode, (granted.get(g.regionCode) ?? new Decimal(0)).plus(g.amount));
    return rows.map((r) => {
      const scale = scales.get(r.asset_code) ?? 2;
      const computed = new Decimal(r.computed).plus(r.asset_code === 'CONDUCT' ? (granted.get(r.village_code) ?? 0) : 0);
      const difference = r.declared === null ? null : computed.minus(r.declared);
      return {
        villageCode: r.village_code,
        asset: r.asset_code,
        declared: r.declared === null ? null : new Decimal(r.declared).toFixed(scale),
        computed: computed.toFixed(scale),
        difference: difference === null ? null : difference.toFixed(scale),
        matches: difference !== null && difference.isZero(),
      };
    });
  }

  /** GET /v1/migrations/{id}: what it holds, and declared against computed per village. */
  async get(p: KeyPrincipal, id: string) {
    const row = await this.migration(this.dataSource, p, id);
    const [counts] = await queryRows<{ opening: number; records: number; hours: number; earliest: string | null }>(
      this.dataSource,
      `SELECT (SELECT count(*)::int FROM golive_opening_balances WHERE tenant_id = $1 AND migration_id = $2) AS opening,
              (SELECT count(*)::int FROM golive_records WHERE tenant_id = $1 AND migration_id = $2) AS records,
              (SELECT count(*)::int FROM golive_service_hours WHERE tenant_id = $1 AND migration_id = $2) AS hours,
              to_char(least((SELECT min(as_of) FROM golive_opening_balances WHERE tenant_id = $1 AND migration_id = $2),
                            (SELECT min(occurred_on) FROM golive_records WHERE tenant_id = $1 AND migration_id = $2)), 'YYYY-MM-DD') AS earliest`,
      [p.tenantId, id],
    );
    const names = await this.users.actorNames([row.created_by, ...(row.approved_by ? [row.approved_by] : [])]);
    // Publications made before the days this migration reaches back to: they stay as published (stored), and are listed so nobody is surprised.
    const predates = counts.earliest
      ? {
          boards: await queryRows<{ id: string; villageCode: string; period: string }>(
            this.dataSource,
            `SELECT id, village_code AS "villageCode", period FROM boards
              WHERE tenant_id = $1 AND status = 'published' AND starts_with(village_code, $2)
                AND (CASE WHEN period ~ 'Q' THEN make_date(left(period, 4)::int, right(period, 1)::int * 3, 1) + interval '1 month' - interval '1 day'
                          ELSE to_date(period || '-01', 'YYYY-MM-DD') + interval '1 month' - interval '1 day' END)::date >= $3::date
              ORDER BY period, village_code LIMIT 500`,
            [p.tenantId, p.scopeRegionCode, counts.earliest],
          ),
          gradeRuns: await queryRows<{ id: string; regionCode: string; asOf: string }>(
            this.dataSource,
            `SELECT id, region_code AS "regionCode", to_char(as_of, 'YYYY-MM-DD') AS "asOf" FROM grade_runs
              WHERE tenant_id = $1 AND status = 'published' AND as_of >= $2::date ORDER BY as_of LIMIT 500`,
            [p.tenantId, counts.earliest],
          ),
        }
      : { boards: [], gradeRuns: [] };
    return {
      id: row.id,
      name: row.name,
      reference: row.reference,
      status: row.status,
      createdBy: actorView(row.created_by, names),
      createdAt: row.created_at.toISOString(),
      approvedBy: row.approved_by ? actorView(row.approved_by, names) : null,
      appliedAt: row.applied_at?.toISOString() ?? null,
      transactions: row.transactions,
      counts: { openingBalances: counts.opening, records: counts.records, serviceHours: counts.hours },
      earliestDay: counts.earliest,
      predates,
      reconciliation: await this.reconciliation(this.dataSource, p, id, row.status === 'draft'),
    };
  }

  /**
   * POST /v1/migrations/{id}/approve (`?dryRun=true`: by anyone who may approve,
   * drafter included: everything is applied, the totals computed, and all of it
   * rolled back; the answer says what the villages would hold), by an admin other
   * than the one who drafted it: posts every staged line, each effective on its own day, in one database
   * transaction; then every village with staged lines must have a declared
   * total equal to what its households now hold, or nothing is written (422
   * with each village's difference).
   */
  async approve(p: KeyPrincipal, id: string, options: { dryRun?: boolean } = {}) {
    const today = shanghaiToday();
    let trial: Awaited<ReturnType<GoLiveService['reconciliation']>> | null = null;
    const started = Date.now();
    const rollBack = new Error('dry run');
    let posted = 0;
    try {
      posted = await this.uow.run(
      async (m) => {
        const row = await this.migration(m, p, id, true);
        GoLiveService.draft(row);
        if (!options.dryRun && row.created_by === actorRef(p)) throw new Unprocessable('迁移须由起草人以外的另一位管理员批准', 'maker-checker');
        let transactions = 0;
        let after = '00000000-0000-0000-0000-000000000000';
        for (;;) {
          const lines = await queryRows<{ household_id: string; asset_code: string; village_code: string; balance: string; as_of: string; line: number }>(
            m,
            `SELECT household_id, asset_code, village_code, balance::text AS balance, to_char(as_of, 'YYYY-MM-DD') AS as_of, line
               FROM golive_opening_balances WHERE tenant_id = $1 AND migration_id = $2 AND household_id > $3
              ORDER BY household_id, asset_code LIMIT $4`,
            [p.tenantId, id, after, CHUNK],
          );
          if (!lines.length) break;
          // A whole household per chunk: its assets are all in it, so `after` moves past it.
          const last = lines[lines.length - 1].household_id;
          const whole = lines.length < CHUNK ? lines : lines.filter((l) => l.household_id !== last);
          const take = whole.length ? whole : lines;
          after = take[take.length - 1].household_id;
          const late = take.find((l) => l.as_of >= today);
          if (late) throw new Unprocessable(`第 ${late.line} 行的截至日期 ${late.as_of} 不在今天以前`, 'not-in-the-past');
          const reqs: PostingRequest[] = take
            .filter((l) => !new Decimal(l.balance).isZero())
            .map((l) => {
              const amount = new Decimal(l.balance);
              return {
                tenantId: p.tenantId,
                kind: amount.isNegative() ? 'penalty' : 'issue',
                memo: `期初余额（${row.name}）`,
                metadata: { migrationId: id, line: l.line },
                source: { type: 'migration', id },
                actor: actorRef(p),
                effectiveOn: l.as_of,
                entries: [
                  { account: { holderType: 'system', holderId: 'issuer', asset: l.asset_code }, amount: amount.negated() },
                  { account: { holderType: 'household', holderId: l.household_id, asset: l.asset_code, regionCode: l.village_code }, amount },
                ],
              } satisfies PostingRequest;
            });
          const outcomes = await this.ledger.postMany(m, reqs);
          const refused = outcomes.map((o, i) => ({ o, l: take[i] })).find((x) => x.o.kind === 'refused');
          if (refused && refused.o.kind === 'refused') throw new Unprocessable(`第 ${refused.l.line} 行不能入账：${refused.o.error.message}`, refused.o.error.code);
          transactions += outcomes.length;
        }
        // Households that joined before jifen and are still owed their opening points: granted on their
        // enrolment day, by the rules of that day (unless this migration carries their paper opening balance, which includes them).
        const pending = await this.pendingGrants(m, p, id, true);
        transactions += await this.opening.grantBackdated(m, p.tenantId, pending.grants, actorRef(p));
        await this.holders.openingSettled(m, p.tenantId, pending.households);
        // Then the decisions taken on paper, in the order of their days (and lines), a chunk at a time: each
        // valued by the rules of its day, caps counted as they filled up on paper; in day order, a posting adds one
        // day to its account's daily balances instead of rewriting every later one.
        const history = new HistoricalRun(p.tenantId, row.created_by, actorRef(p), `${row.name}（${row.reference}）`);
        for (let after = { day: '0001-01-01', line: 0 }; ; ) {
          const recs = await queryRows<{ line: number; household_id: string; village_code: string; rule_code: string; quantity: string; occurred_on: string; note: string | null }>(
            m,
            `SELECT line, household_id, village_code, rule_code, quantity::text AS quantity, to_char(occurred_on, 'YYYY-MM-DD') AS occurred_on, note
               FROM golive_records WHERE tenant_id = $1 AND migration_id = $2 AND (occurred_on, line) > ($3::date, $4::int)
              ORDER BY occurred_on, line LIMIT $5`,
            [p.tenantId, id, after.day, after.line, CHUNK],
          );
          if (!recs.length) break;
          const entered = await this.records.enterHistoricalMany(
            m, history,
            recs.map((r) => ({ line: r.line, householdId: r.household_id, regionCode: r.village_code, ruleCode: r.rule_code, quantity: r.quantity, occurredOn: r.occurred_on, note: r.note })),
          );
          if (!entered.ok) throw new Unprocessable(`记录第 ${entered.line} 行不能入账：${entered.error}`, 'migration-line-refused');
          transactions += entered.posted;
          this.logger.log(`迁移 ${id}：已入账 ${transactions} 笔（${((Date.now() - started) / 1000).toFixed(1)} 秒）`);
          const last = recs[recs.length - 1];
          after = { day: last.occurred_on, line: last.line };
        }
        // Past volunteer hours: verified service on the day served, without 益币.
        for (let from = 0; ; ) {
          const hrs = await queryRows<{ line: number; person_id: string; region_code: string; title: string; served_on: string; hours: string }>(
            m,
            `SELECT line, person_id, region_code, title, to_char(served_on, 'YYYY-MM-DD') AS served_on, hours::text AS hours
               FROM golive_service_hours WHERE tenant_id = $1 AND migration_id = $2 AND line > $3 ORDER BY line LIMIT $4`,
            [p.tenantId, id, from, CHUNK],
          );
          if (!hrs.length) break;
          const late = hrs.find((h) => h.served_on >= today);
          if (late) throw new Unprocessable(`时长第 ${late.line} 行的服务日期 ${late.served_on} 不在今天以前`, 'not-in-the-past');
          await this.volunteering.enterHistoricalHoursMany(
            m, p.tenantId, id,
            hrs.map((h) => ({ personId: h.person_id, regionCode: h.region_code, title: h.title, servedOn: h.served_on, hours: h.hours })),
            row.created_by, actorRef(p),
          );
          from = hrs[hrs.length - 1].line;
        }
        const recon = await this.reconciliation(m, p, id, false);
        if (options.dryRun) {
          // Everything valued and posted as approval would, then rolled back: what the totals will be.
          trial = recon;
          posted = transactions;
          throw rollBack;
        }
        const off = recon.filter((r) => !r.matches);
        if (off.length) {
          throw new AppError(
            422,
            'control-totals-differ',
            `${off.length} 个村的结果与纸质台账的合计不符，什么都没有写入`,
            off.map((r) => ({ field: `${r.villageCode} ${r.asset}`, messages: [r.declared === null ? `没有申报合计；计算结果 ${r.computed}` : `申报 ${r.declared}，计算 ${r.computed}，相差 ${r.difference}`] })),
          );
        }
        await m.query(`UPDATE golive_migrations SET status = 'applied', approved_by = $3, applied_at = now(), transactions = $4 WHERE tenant_id = $1 AND id = $2`, [
          p.tenantId, id, actorRef(p), transactions,
        ]);
        return transactions;
      },
      { lane: 'job', long: true },
      );
    } catch (e) {
      if (e !== rollBack) throw e;
      this.logger.log(`迁移 ${id} 试算：${posted} 笔，用时 ${((Date.now() - started) / 1000).toFixed(1)} 秒，已回滚`);
      return { id, status: 'draft' as const, dryRun: true as const, transactions: posted, reconciliation: trial! };
    }
    this.logger.log(`迁移 ${id} 已批准：${posted} 笔，用时 ${((Date.now() - started) / 1000).toFixed(1)} 秒`);
    return { id, status: 'applied' as const, transactions: posted };
  }
}
