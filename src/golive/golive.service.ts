import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { createReadStream, promises as fs } from 'fs';
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
import { csvProblem, csvRecords, IMPORT_LIMIT_BYTES, spool } from '../records/records-import.service';
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

/** The opening-balance file's header: the API's names, or the Chinese ones. */
const OPENING_HEADER: Record<string, 'householdNo' | 'asset' | 'balance' | 'asOf'> = {
  householdno: 'householdNo', 户号: 'householdNo',
  asset: 'asset', 积分种类: 'asset',
  balance: 'balance', 余额: 'balance', 期初余额: 'balance',
  asof: 'asOf', 截至日期: 'asOf', 日期: 'asOf',
};

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
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly holders: HoldersService,
    private readonly assets: AssetsService,
    private readonly ledger: LedgerPosting,
    private readonly tenancy: TenancyService,
    private readonly users: UsersService,
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
   * (or 户号,积分种类,余额,截至日期), UTF-8 or GBK, streamed from a spooled file and
   * staged CHUNK lines at a time, all or nothing: one bad line and nothing of
   * the file is kept (422 with every bad line). A household and asset staged by
   * an earlier upload is replaced (a corrected file is uploaded again).
   */
  async uploadOpeningBalances(p: KeyPrincipal, id: string, body: AsyncIterable<Buffer>, charset: string | undefined): Promise<{ status: number; body: UploadResult }> {
    const upload = await spool(body, IMPORT_LIMIT_BYTES);
    try {
      return await this.stageOpening(p, id, upload.file, charset);
    } catch (e) {
      throw csvProblem(e) ?? e;
    } finally {
      await fs.rm(upload.dir, { recursive: true, force: true });
    }
  }

  private async stageOpening(p: KeyPrincipal, id: string, file: string, charset: string | undefined): Promise<{ status: number; body: UploadResult }> {
    const assets = new Map((await this.assets.list(p.tenantId)).filter((a) => a.holderType === 'household').map((a) => [a.code, a]));
    const today = shanghaiToday();
    const result: UploadResult = { accepted: 0, rejected: [] };
    const refused = new Error('refused');
    try {
      await this.uow.run(
        async (m) => {
          result.accepted = 0;
          result.rejected = [];
          GoLiveService.draft(await this.migration(m, p, id, true));
          const seen = new Set<string>();
          let header: Map<string, number> | null = null;
          let chunk: { line: number; no: string; asset: string; balance: string; asOf: string }[] = [];
          const flush = async () => {
            if (!chunk.length) return;
            const found = await this.holders.findByNumbers(p.tenantId, chunk.map((l) => l.no), m);
            const rows: unknown[][] = [];
            for (const l of chunk) {
              const h = found.get(l.no);
              if (!h || !h.regionCode.startsWith(p.scopeRegionCode)) result.rejected.push({ line: l.line, errors: [`户号 ${l.no} 不在您管辖的村里`] });
              else rows.push([h.id, l.asset, h.regionCode, l.balance, l.asOf, l.line]);
            }
            chunk = [];
            if (result.rejected.length || !rows.length) return;
            await m.query(
              `INSERT INTO golive_opening_balances (tenant_id, migration_id, household_id, asset_code, village_code, balance, as_of, line)
               SELECT $1, $2, r.h, r.a, r.v, r.b, r.d, r.l FROM unnest($3::uuid[], $4::varchar[], $5::varchar[], $6::numeric[], $7::date[], $8::int[]) AS r(h, a, v, b, d, l)
               ON CONFLICT (tenant_id, migration_id, household_id, asset_code) DO UPDATE SET balance = excluded.balance, as_of = excluded.as_of, line = excluded.line`,
              [p.tenantId, id, ...[0, 1, 2, 3, 4, 5].map((i) => rows.map((r) => r[i]))],
            );
            result.accepted += rows.length;
          };
          const rowsIn = csvRecords(createReadStream(file), charset);
          try {
            for await (const { record, info } of rowsIn as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
              if (!header) {
                header = new Map();
                for (const [i, h] of record.entries()) {
                  const col = OPENING_HEADER[h.replace(/\s/g, '').toLowerCase()];
                  if (col) header.set(col, i);
                }
                const missing = ['householdNo', 'asset', 'balance', 'asOf'].filter((c) => !header!.has(c));
                if (missing.length) throw new BadInput('the first line must be the header', [{ field: 'line 1', messages: [`表头须有：户号、积分种类、余额、截至日期（或 householdNo,asset,balance,asOf）；缺少 ${missing.join('、')}`] }]);
                continue;
              }
              const cell = (c: string) => (record[header!.get(c)!] ?? '').trim();
              const [no, asset, balance, asOf] = [cell('householdNo'), cell('asset'), cell('balance'), cell('asOf')];
              const errors: string[] = [];
              if (!HOUSEHOLD_NO_RE.test(no)) errors.push(`户号「${no}」格式不对，应像 500154101001-0023`);
              const spec = assets.get(asset);
              if (!spec) errors.push(`积分种类「${asset}」不是农户持有的积分`);
              const problem = decimalProblem(balance, { signed: true, scale: spec?.scale ?? 6 });
              if (problem) errors.push(`余额「${balance}」${problem}`);
              if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) errors.push(`截至日期「${asOf}」须写成 2025-12-31`);
              else if (asOf >= today) errors.push(`截至日期 ${asOf} 须在今天以前`);
              const key = `${no}|${asset}`;
              if (!errors.length && seen.has(key)) errors.push(`户号 ${no} 的 ${asset} 在这个文件里出现了两次`);
              seen.add(key);
              if (errors.length) result.rejected.push({ line: info.lines, errors });
              else chunk.push({ line: info.lines, no, asset, balance, asOf });
              if (chunk.length >= CHUNK) await flush();
            }
            if (!header) throw new BadInput('the file is empty', [{ field: 'line 1', messages: ['a header line is required'] }]);
            await flush();
          } finally {
            rowsIn.destroy();
          }
          if (result.rejected.length) throw refused;
        },
        { lane: 'job', long: true },
      );
    } catch (e) {
      if (e !== refused) throw e;
      return { status: 422, body: { accepted: 0, rejected: result.rejected.sort((a, b) => a.line - b.line) } };
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
   * Declared against computed, per village and asset: computed is what the
   * village's households hold, plus (for a draft) what the migration would add.
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
    return rows.map((r) => {
      const scale = scales.get(r.asset_code) ?? 2;
      const computed = new Decimal(r.computed);
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
    const [counts] = await queryRows<{ opening: number; earliest: string | null }>(
      this.dataSource,
      `SELECT count(*)::int AS opening, to_char(min(as_of), 'YYYY-MM-DD') AS earliest FROM golive_opening_balances WHERE tenant_id = $1 AND migration_id = $2`,
      [p.tenantId, id],
    );
    const names = await this.users.actorNames([row.created_by, ...(row.approved_by ? [row.approved_by] : [])]);
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
      counts: { openingBalances: counts.opening },
      earliestDay: counts.earliest,
      reconciliation: await this.reconciliation(this.dataSource, p, id, row.status === 'draft'),
    };
  }

  /**
   * POST /v1/migrations/{id}/approve, by an admin other than the one who drafted
   * it: posts every staged line, each effective on its own day, in one database
   * transaction; then every village with staged lines must have a declared
   * total equal to what its households now hold, or nothing is written (422
   * with each village's difference).
   */
  async approve(p: KeyPrincipal, id: string) {
    const today = shanghaiToday();
    const posted = await this.uow.run(
      async (m) => {
        const row = await this.migration(m, p, id, true);
        GoLiveService.draft(row);
        if (row.created_by === actorRef(p)) throw new Unprocessable('迁移须由起草人以外的另一位管理员批准', 'maker-checker');
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
        const recon = await this.reconciliation(m, p, id, false);
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
    return { id, status: 'applied' as const, transactions: posted };
  }
}
