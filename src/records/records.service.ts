import { UsersService } from '../auth/users.service';
import { Injectable, Logger } from '@nestjs/common';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, actorView, assertRegionInScope, KeyPrincipal, listScope } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import { AssetsService } from '../ledger/assets.service';
import type { PostingRequest } from '../ledger/domain/model';
import { LedgerPosting } from '../ledger/ledger-posting.service';
import { requireTenant } from '../platform/database/tenant';
import { addDays } from '../platform/util/business-date';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { onLane } from '../platform/database/db-context';
import { Conflict, NotFound, TooManyAttempts, Unprocessable } from '../platform/http/app-error';
import { EvidenceService } from '../evidence/evidence.service';
import { decodeCursor, Page, pageLimit, toPage } from '../platform/http/pagination';
import { capWindow, CapUsage, RuleItem, valueRecord } from '../rules/domain/rules';
import { capReachedMessage, CapUsageTracker } from './cap-usage';
import { arrayLiteral } from '../platform/database/sql-arrays';
import { RuleSetsService, RuleSetView, shanghaiToday } from '../rules/rulesets.service';
import { CreateRecordDto, ImportApprovalView, ImportView, ListRecordsQuery, RecordEnteredView, RecordView, SimulationView } from './records.dto';
import { SanctionsService } from '../sanctions/sanctions.service';
import { timeOrderedUuid } from '../platform/util/time-ordered-id';
import { interactiveInFlight, yieldToForeground } from '../platform/http/foreground';
import { queryRows } from '../platform/database/query-rows';

type Status = 'submitted' | 'approved' | 'in_notice' | 'posted' | 'rejected' | 'objected' | 'voided';

export interface RecordRow {
  id: string;
  holder_type: 'household' | 'person';
  holder_id: string;
  region_code: string;
  rule_set_id: string;
  rule_set_version: number;
  rule_code: string;
  rule_name: string;
  asset_code: string;
  direction: 'credit' | 'debit';
  quantity: string;
  points: string;
  uncapped_points: string;
  capped: boolean;
  occurred_on: string;
  evidence: string[];
  source: 'entry' | 'claim';
  note: string | null;
  status: Status;
  notice_days: number;
  notice_ends_on: string | null;
  entered_by: string;
  approved_by: string | null;
  transaction_id: string | null;
  reversal_transaction_id: string | null;
  created_at: Date;
}

/** An import as the reviewers' queue shows it. */
export type { RecordView } from './records.dto';

const COLUMNS = `id, holder_type, holder_id, region_code, rule_set_id, rule_set_version, rule_code, rule_name, asset_code, direction,
  quantity::text AS quantity, points::text AS points, uncapped_points::text AS uncapped_points, capped,
  to_char(occurred_on, 'YYYY-MM-DD') AS occurred_on, evidence, source, note, status, notice_days,
  to_char(notice_ends_on, 'YYYY-MM-DD') AS notice_ends_on, entered_by, approved_by, transaction_id, reversal_transaction_id, created_at`;

/**
 * Approved records posted per transaction: 1,000 when no one is waiting, 250
 * (their balance rows locked for a few tens of milliseconds) while interactive
 * requests are in flight. Measured with bench:mixed and bench:import.
 */
/** Approving more records than this at once refreshes the table's statistics before posting them. */
const ANALYZE_AFTER_APPROVING = 5_000;
/** Claims a household may make in 24 hours. */
export const CLAIMS_PER_DAY = 10;
const APPROVED_CHUNK = { idle: 1000, busy: 250 };

/** The ledger posting of a record's points: an issue from the issuer, or a penalty back to it. */
export function recordPosting(
  tenantId: string,
  r: Pick<RecordRow, 'id' | 'holder_type' | 'holder_id' | 'region_code' | 'asset_code' | 'direction' | 'points' | 'rule_code' | 'rule_name' | 'rule_set_id' | 'rule_set_version' | 'occurred_on'>,
  actor: string,
): PostingRequest {
  const amount = new Decimal(r.points);
  const holder = { holderType: r.holder_type, holderId: r.holder_id, asset: r.asset_code, regionCode: r.region_code };
  const issuer = { holderType: 'system' as const, holderId: 'issuer', asset: r.asset_code };
  const [from, to] = r.direction === 'credit' ? [issuer, holder] : [holder, issuer];
  return {
    tenantId,
    kind: r.direction === 'credit' ? 'issue' : 'penalty',
    entries: [
      { account: from, amount: amount.negated() },
      { account: to, amount },
    ],
    memo: `${r.rule_code} ${r.rule_name}`,
    metadata: { ruleSetId: r.rule_set_id, ruleSetVersion: r.rule_set_version, ruleCode: r.rule_code, occurredOn: r.occurred_on },
    source: { type: 'record', id: r.id },
    actor,
  };
}



const HISTORICAL_COLUMNS = ['bare', 'bare', 'quoted', 'bare', 'bare', 'quoted', 'quoted', 'quoted', 'quoted', 'bare', 'bare', 'bare', 'bare', 'bare', 'quoted', 'bare'] as const;

/** What a go-live migration carries from chunk to chunk while it enters the paper's decisions (RecordsService.enterHistoricalMany). */
export class HistoricalRun {
  readonly rules = new Map<string, Promise<RuleSetView | null>>();
  readonly items = new Map<string, { set: RuleSetView; item: RuleItem; scale: number } | { refused: string }>();
  readonly caps: CapUsageTracker;

  constructor(
    readonly tenantId: string,
    /** Who drafted the migration: the records' enterer. */
    readonly enteredBy: string,
    /** Who approved it: the postings' actor. */
    readonly approvedBy: string,
    readonly reference: string,
  ) {
    this.caps = new CapUsageTracker(tenantId);
  }
}

@Injectable()
export class RecordsService {
  private readonly logger = new Logger('RecordsService');

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly ruleSets: RuleSetsService,
    private readonly holders: HoldersService,
    private readonly assets: AssetsService,
    private readonly ledger: LedgerPosting,
    private readonly sanctions: SanctionsService,
    private readonly users: UsersService,
    private readonly evidenceFiles: EvidenceService,
  ) {}

  private view(r: RecordRow, scale: number): RecordView {
    return {
      id: r.id,
      holder: { type: r.holder_type, id: r.holder_id },
      regionCode: r.region_code,
      ruleCode: r.rule_code,
      ruleName: r.rule_name,
      ruleSetId: r.rule_set_id,
      ruleSetVersion: r.rule_set_version,
      asset: r.asset_code,
      direction: r.direction,
      quantity: r.quantity,
      points: new Decimal(r.points).toFixed(scale),
      uncappedPoints: new Decimal(r.uncapped_points).toFixed(scale),
      capped: r.capped,
      occurredOn: r.occurred_on,
      evidence: r.evidence,
      source: r.source,
      note: r.note,
      status: r.status,
      noticeEndsOn: r.notice_ends_on,
      transactionId: r.transaction_id,
      reversalTransactionId: r.reversal_transaction_id,
      createdAt: r.created_at.toISOString(),
    };
  }

  private async scaleOf(tenantId: string, asset: string): Promise<number> {
    return (await this.assets.get(tenantId, asset)).scale;
  }

  /**
   * Finds the rule item for a code among the sets that apply to the holder's
   * region on the date. `rules` memoises set lookups (the CSV import asks the
   * same question for every line of a village and date).
   */
  async findItem(
    tenantId: string,
    holderType: string,
    regionCode: string,
    dto: Pick<CreateRecordDto, 'asset' | 'occurredOn' | 'ruleCode'> & { ruleName?: string },
    m: EntityManager,
    rules?: Map<string, Promise<RuleSetView | null>>,
  ): Promise<{ set: RuleSetView; item: RuleItem; scale: number }> {
    const assets = (await this.assets.list(tenantId, m)).filter((a) => a.holderType === holderType && (!dto.asset || a.code === dto.asset));
    const found: { set: RuleSetView; item: RuleItem; scale: number }[] = [];
    const lookUp = (asset: string) => {
      if (!rules) return this.ruleSets.applicableFor(tenantId, regionCode, asset, dto.occurredOn, m);
      const key = `${regionCode}|${asset}|${dto.occurredOn}`;
      if (!rules.has(key)) rules.set(key, this.ruleSets.applicableFor(tenantId, regionCode, asset, dto.occurredOn, m));
      return rules.get(key)!;
    };
    for (const a of assets) {
      const set = await lookUp(a.code);
      // The import may name an item by its name (事项名称) instead of its code.
      const item = set?.effectiveItems?.find((i) => (dto.ruleName ? i.name === dto.ruleName : i.code === dto.ruleCode));
      if (set && item) found.push({ set, item, scale: a.scale });
    }
    if (!found.length) throw new Unprocessable(dto.ruleName ? `${dto.occurredOn} 适用于本村的积分细则里没有「${dto.ruleName}」这一项` : `no rule ${dto.ruleCode} applies to ${regionCode} on ${dto.occurredOn}`, 'no-such-rule');
    if (found.length > 1) throw new Unprocessable(`rule ${dto.ruleName ?? dto.ruleCode} exists for ${found.map((f) => f.set.asset).join(' and ')}; say which asset`, 'ambiguous-rule');
    return found[0];
  }

  /**
   * Decisions already taken on paper (a go-live migration, approved by a second
   * admin), a chunk at a time in file order, set-based: each valued by the rule
   * set in force on its day (looked up once per village, item and day), caps
   * applied in memory from usage read once per window, posted effective on the
   * day it occurred (one postMany), then entered as posted without notice, with
   * their history, in two statements. Runs in the caller's transaction; answers
   * the first line refused, in words, instead of throwing, so the migration can
   * name it.
   */
  async enterHistoricalMany(
    m: EntityManager,
    run: HistoricalRun,
    lines: { line: number; householdId: string; regionCode: string; ruleCode: string; quantity: string; occurredOn: string; note: string | null }[],
  ): Promise<{ ok: true; posted: number } | { ok: false; line: number; error: string }> {
    const today = shanghaiToday();
    const found: { l: (typeof lines)[number]; set: RuleSetView; item: RuleItem; scale: number }[] = [];
    for (const l of lines) {
      if (l.occurredOn >= today) return { ok: false, line: l.line, error: `发生日期 ${l.occurredOn} 不在今天以前` };
      const key = `${l.regionCode}|${l.ruleCode}|${l.occurredOn}`;
      let applies = run.items.get(key);
      if (!applies) {
        try {
          applies = await this.findItem(run.tenantId, 'household', l.regionCode, { ruleCode: l.ruleCode, occurredOn: l.occurredOn }, m, run.rules);
        } catch (e) {
          applies = { refused: e instanceof Error ? e.message : String(e) };
        }
        run.items.set(key, applies);
      }
      if ('refused' in applies) return { ok: false, line: l.line, error: applies.refused };
      found.push({ l, ...applies });
    }
    const subject = (f: (typeof found)[number]) => ({ holderType: 'household', holderId: f.l.householdId, item: f.item, occurredOn: f.l.occurredOn });
    await run.caps.prepare(m, found.map(subject));
    const rows: (Parameters<typeof recordPosting>[1] & { quantity: string; uncapped: string; capped: boolean; note: string | null; line: number })[] = [];
    for (const f of found) {
      const v = run.caps.value(subject(f), new Decimal(f.l.quantity), f.scale);
      if (v.points.isZero()) return { ok: false, line: f.l.line, error: capReachedMessage(f.item.code, v.cappedBy?.period) };
      rows.push({
        id: timeOrderedUuid(), holder_type: 'household', holder_id: f.l.householdId, region_code: f.l.regionCode, asset_code: f.set.asset,
        direction: f.item.direction, points: v.points.toFixed(), rule_code: f.item.code, rule_name: f.item.name, rule_set_id: f.set.id,
        rule_set_version: f.set.version, occurred_on: f.l.occurredOn, quantity: f.l.quantity, uncapped: v.uncapped.toFixed(), capped: v.cappedBy !== null,
        note: f.l.note, line: f.l.line,
      });
    }
    const outcomes = await this.ledger.postMany(m, rows.map((r) => ({ ...recordPosting(run.tenantId, r, run.approvedBy), effectiveOn: r.occurred_on })));
    const transactions: string[] = [];
    for (const [i, o] of outcomes.entries()) {
      if (o.kind !== 'posted') return { ok: false, line: rows[i].line, error: o.kind === 'refused' ? o.error.message : 'not posted' };
      transactions.push(o.transaction.id);
    }
    await m.query(
      `INSERT INTO records (tenant_id, entered_by, approved_by, status, notice_days, evidence, holder_type, id, holder_id, region_code, rule_set_id, rule_set_version,
                            rule_code, rule_name, asset_code, direction, quantity, points, uncapped_points, capped, occurred_on, note, transaction_id)
       SELECT $1, $2, $3, 'posted', 0, '[]'::jsonb, 'household', * FROM unnest($4::uuid[], $5::uuid[], $6::varchar[], $7::uuid[], $8::int[], $9::varchar[], $10::varchar[],
                                        $11::varchar[], $12::varchar[], $13::numeric[], $14::numeric[], $15::numeric[], $16::bool[], $17::date[], $18::varchar[], $19::uuid[])`,
      [
        run.tenantId, run.enteredBy, run.approvedBy,
        ...arrayLiteral.columns(
          rows.map((r, i) => [
            r.id, r.holder_id, r.region_code, r.rule_set_id, r.rule_set_version, r.rule_code, r.rule_name, r.asset_code, r.direction,
            r.quantity, r.points, r.uncapped, r.capped, r.occurred_on, r.note, transactions[i],
          ]),
          HISTORICAL_COLUMNS,
        ),
      ],
    );
    // Entered by the drafter, posted by the approver: two steps of the history, in order.
    await m.query(
      `INSERT INTO record_history (tenant_id, record_id, from_status, to_status, actor, reason)
       SELECT $1, r.id, s.from_status, s.to_status, CASE WHEN s.step = 1 THEN $3 ELSE $4 END, CASE WHEN s.step = 1 THEN $5 ELSE $6 END
         FROM unnest($2::uuid[]) WITH ORDINALITY AS r(id, n)
         CROSS JOIN (VALUES (1, NULL, 'submitted'), (2, 'submitted', 'posted')) AS s(step, from_status, to_status)
        ORDER BY r.n, s.step`,
      [run.tenantId, arrayLiteral.bare(rows.map((r) => r.id)), run.enteredBy, run.approvedBy, `纸质台账迁移：${run.reference}`, '纸质台账上已决定，迁移时直接入账'],
    );
    return { ok: true, posted: rows.length };
  }

  /** Enters one record; it is valued at once (caps applied) and waits for review. */
  async submit(p: KeyPrincipal, dto: CreateRecordDto): Promise<RecordEnteredView> {
    return this.uow.run(async (m) => this.submitWithin(m, p, dto));
  }

  private async submitWithin(m: EntityManager, p: KeyPrincipal, dto: CreateRecordDto): Promise<RecordEnteredView> {
    const holder = await this.holders.find(p.tenantId, dto.holder.type, dto.holder.id, m);
    if (!holder) throw new NotFound(`${dto.holder.type} ${dto.holder.id}`);
    assertRegionInScope(p, holder.regionCode, `${dto.holder.type} ${dto.holder.id}`);
    return this.enter(m, p.tenantId, { type: dto.holder.type, id: dto.holder.id, regionCode: holder.regionCode }, dto, actorRef(p), 'entry');
  }

  /**
   * A good deed claimed by the household itself from its page (申报): entered
   * `submitted` with source `claim`, by `household:<id>`, with its photos, and
   * from then on reviewed like any record (caps, notice, objections). Only
   * credit items are claimed (422 `debit-not-claimable`); a household claims
   * at most CLAIMS_PER_DAY times in 24 hours (429).
   */
  async submitClaim(
    tenantId: string,
    household: { id: string; regionCode: string },
    claim: { ruleCode: string; occurredOn: string; note?: string; evidence: string[] },
  ): Promise<RecordView> {
    return this.uow.run(async (m) => {
      // One claim at a time per household, so two at once cannot both slip under the limit.
      await m.query(`SELECT pg_advisory_xact_lock(7303, hashtext($1))`, [`${tenantId}.${household.id}`]);
      const [{ n }] = await queryRows<{ n: number }>(
        m,
        `SELECT count(*)::int AS n FROM records WHERE tenant_id = $1 AND holder_id = $2 AND source = 'claim' AND created_at > now() - interval '1 day'`,
        [requireTenant(tenantId), household.id],
      );
      if (n >= CLAIMS_PER_DAY) throw new TooManyAttempts(`一天最多申报 ${CLAIMS_PER_DAY} 次，请明天再来`, 3600);
      const { cappedBy: _c, ...view } = await this.enter(
        m, tenantId, { type: 'household', ...household },
        { ruleCode: claim.ruleCode, occurredOn: claim.occurredOn, note: claim.note, evidence: claim.evidence, asset: 'CONDUCT' },
        `household:${household.id}`, 'claim',
      );
      return view;
    });
  }

  /** Values and enters one record, `submitted`, for review. */
  private async enter(
    m: EntityManager,
    tenantId: string,
    holder: { type: 'household' | 'person'; id: string; regionCode: string },
    dto: Pick<CreateRecordDto, 'ruleCode' | 'asset' | 'occurredOn' | 'quantity' | 'evidence' | 'note'>,
    actor: string,
    source: 'entry' | 'claim',
  ): Promise<RecordEnteredView> {
    if (dto.occurredOn > shanghaiToday()) throw new Unprocessable('occurredOn is in the future', 'future-date');
    const quantity = new Decimal(dto.quantity ?? '1');
    if (quantity.lte(0)) throw new Unprocessable('quantity must be greater than zero', 'invalid-quantity');
    const { set, item, scale } = await this.findItem(tenantId, holder.type, holder.regionCode, dto, m);
    if (source === 'claim' && item.direction !== 'credit') throw new Unprocessable(`「${item.name}」是扣分事项，不能申报`, 'debit-not-claimable');
    if (item.evidenceRequired && !dto.evidence?.length) throw new Unprocessable(`rule ${item.code} requires evidence`, 'evidence-required');
    // One submission per holder and item at a time (the tracker locks the pair), so two cannot both fit under one cap.
    const caps = new CapUsageTracker(tenantId);
    const subject = { holderType: holder.type, holderId: holder.id, item, occurredOn: dto.occurredOn };
    await caps.prepare(m, [subject]);
    const v = caps.value(subject, quantity, scale);
    const points = v.points;
    if (points.isZero()) throw new Unprocessable(`the ${v.cappedBy?.period ?? ''} cap of rule ${item.code} is reached for this holder`, 'cap-reached');
    const id = timeOrderedUuid();
    await m.query(
      `INSERT INTO records (tenant_id, id, holder_type, holder_id, region_code, rule_set_id, rule_set_version, rule_code, rule_name, asset_code,
                            direction, quantity, points, uncapped_points, capped, occurred_on, evidence, note, status, notice_days, entered_by, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'submitted', $19, $20, $21)`,
      [
        tenantId, id, holder.type, holder.id, holder.regionCode, set.id, set.version, item.code, item.name, set.asset,
        item.direction, quantity.toFixed(), points.toFixed(), v.uncapped.toFixed(), v.cappedBy !== null, dto.occurredOn,
        JSON.stringify(dto.evidence ?? []), dto.note ?? null, item.noticeDays ?? 7, actor, source,
      ],
    );
    await this.history(m, tenantId, id, null, 'submitted', actor, dto.note ?? null);
    const row = (await this.load(m, tenantId, id))!;
    return { ...this.view(row, scale), cappedBy: v.cappedBy };
  }

  /**
   * This period's net conduct points of every household of a village that has
   * any (posted CONDUCT records by the day they occurred, as the board counts
   * them), for the household's own page to rank it; or of one household.
   */
  async villageNets(tenantId: string, villageCode: string, from: string, to: string, householdId: string | null = null): Promise<Map<string, Decimal>> {
    const rows = await queryRows<{ holder_id: string; net: string }>(
      this.dataSource,
      `SELECT holder_id, sum(CASE WHEN direction = 'credit' THEN points ELSE -points END)::text AS net FROM records
        WHERE tenant_id = $1 AND region_code = $2 AND holder_type = 'household' AND asset_code = 'CONDUCT' AND status = 'posted'
          AND occurred_on >= $3::date AND occurred_on < $4::date AND ($5::uuid IS NULL OR holder_id = $5)
        GROUP BY holder_id`,
      [requireTenant(tenantId), villageCode, from, to, householdId],
    );
    return new Map(rows.map((r) => [r.holder_id, new Decimal(r.net)]));
  }

  /**
   * A household's own records, newest first, with why one was rejected or
   * objected to: for the household's page behind its PIN. No principal's scope
   * to check: the caller has established which household is asking.
   */
  async householdRecords(tenantId: string, householdId: string, limit = 100) {
    const rows = await queryRows<RecordRow & { reason: string | null }>(
      this.dataSource,
      `SELECT ${COLUMNS}, (SELECT h.reason FROM record_history h WHERE h.tenant_id = r.tenant_id AND h.record_id = r.id AND h.to_status = r.status ORDER BY h.id DESC LIMIT 1) AS reason
         FROM records r WHERE r.tenant_id = $1 AND r.holder_type = 'household' AND r.holder_id = $2
        ORDER BY r.created_at DESC, r.id DESC LIMIT $3`,
      [requireTenant(tenantId), householdId, limit],
    );
    const scales = new Map((await this.assets.list(tenantId)).map((a) => [a.code, a.scale]));
    return rows.map((r) => ({
      ...this.view(r, scales.get(r.asset_code) ?? 2),
      // What the household reads under a rejection or an objection: the reviewer's reason.
      reason: ['rejected', 'objected', 'voided'].includes(r.status) ? r.reason : null,
    }));
  }

  /** GET /v1/records/{id}/evidence/{n}: the record's n-th photo (from 0), for staff in the record's scope. */
  async evidence(p: KeyPrincipal, id: string, n: number) {
    const r = await this.load(this.dataSource.manager, p.tenantId, id);
    if (!r) throw new NotFound(`record ${id}`);
    assertRegionInScope(p, r.region_code, `record ${id}`);
    const ref = r.evidence[n];
    if (ref === undefined) throw new NotFound(`evidence ${n} of record ${id}`);
    return this.evidenceFiles.open(p.tenantId, ref);
  }

  private async load(m: EntityManager, tenantId: string, id: string, lock = false): Promise<RecordRow | null> {
    const [r] = await m.query(`SELECT ${COLUMNS} FROM records WHERE tenant_id = $1 AND id = $2 ${lock ? 'FOR NO KEY UPDATE' : ''}`, [requireTenant(tenantId), id]);
    return r ?? null;
  }

  private async history(m: EntityManager, tenantId: string, id: string, from: Status | null, to: Status, actor: string, reason: string | null): Promise<void> {
    await m.query(
      `INSERT INTO record_history (tenant_id, record_id, from_status, to_status, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
      [tenantId, id, from, to, actor, reason],
    );
  }

  /** Runs a transition on a locked record in the caller's scope; other villages' records are 404. */
  private async transition(p: KeyPrincipal, id: string, work: (m: EntityManager, r: RecordRow) => Promise<void>): Promise<RecordView> {
    return this.uow.run(async (m) => {
      const r = await this.load(m, p.tenantId, id, true);
      if (!r) throw new NotFound(`record ${id}`);
      assertRegionInScope(p, r.region_code, `record ${id}`);
      await work(m, r);
      return this.view((await this.load(m, p.tenantId, id))!, await this.scaleOf(p.tenantId, r.asset_code));
    });
  }

  private requireStatus(r: RecordRow, ...allowed: Status[]): void {
    if (!allowed.includes(r.status)) throw new Conflict(`record ${r.id} is ${r.status}; this needs ${allowed.join(' or ')}`, 'record-state');
  }

  /** Posts a record's points: status and posting commit together. */
  private async post(m: EntityManager, tenantId: string, r: RecordRow, actor: string, reason: string | null): Promise<void> {
    const tx = await this.ledger.post(m, recordPosting(tenantId, r, actor));
    await m.query(`UPDATE records SET status = 'posted', transaction_id = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, r.id, tx.id]);
    await this.history(m, tenantId, r.id, r.status, 'posted', actor, reason);
    await this.afterConductChange(m, tenantId, r, actor);
  }

  /** Sanctions follow a household's CONDUCT in the same transaction as the posting. */
  private async afterConductChange(m: EntityManager, tenantId: string, r: RecordRow, actor: string): Promise<void> {
    if (r.holder_type === 'household' && r.asset_code === 'CONDUCT') await this.sanctions.evaluate(m, tenantId, r.holder_id, r.region_code, actor);
  }

  async approve(p: KeyPrincipal, id: string): Promise<RecordView> {
    const actor = actorRef(p);
    return this.transition(p, id, async (m, r) => {
      this.requireStatus(r, 'submitted');
      if (r.entered_by === actor) throw new Unprocessable('the approver must not be the one who entered the record', 'maker-checker');
      await m.query(`UPDATE records SET approved_by = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id, actor]);
      if (r.notice_days === 0) {
        await this.post(m, p.tenantId, r, actor, 'approved; no notice period');
        return;
      }
      const endsOn = addDays(shanghaiToday(), r.notice_days);
      await m.query(`UPDATE records SET status = 'in_notice', notice_ends_on = $3 WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id, endsOn]);
      await this.history(m, p.tenantId, id, 'submitted', 'in_notice', actor, `approved; public notice until ${endsOn}`);
    });
  }

  async reject(p: KeyPrincipal, id: string, reason: string): Promise<RecordView> {
    return this.transition(p, id, async (m, r) => {
      this.requireStatus(r, 'submitted');
      await m.query(`UPDATE records SET status = 'rejected', updated_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id]);
      await this.history(m, p.tenantId, id, r.status, 'rejected', actorRef(p), reason);
    });
  }

  async object(p: KeyPrincipal, id: string, reason: string, raisedBy: string): Promise<RecordView> {
    return this.transition(p, id, async (m, r) => {
      this.requireStatus(r, 'in_notice');
      await m.query(`UPDATE records SET status = 'objected', updated_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id]);
      await this.history(m, p.tenantId, id, r.status, 'objected', actorRef(p), `${raisedBy}: ${reason}`);
    });
  }

  async resolve(p: KeyPrincipal, id: string, outcome: 'upheld' | 'dismissed', reason: string): Promise<RecordView> {
    return this.transition(p, id, async (m, r) => {
      this.requireStatus(r, 'objected');
      if (outcome === 'dismissed') return this.post(m, p.tenantId, r, actorRef(p), `objection dismissed: ${reason}`);
      await m.query(`UPDATE records SET status = 'rejected', updated_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id]);
      await this.history(m, p.tenantId, id, r.status, 'rejected', actorRef(p), `objection upheld: ${reason}`);
    });
  }

  /** Voids a posted record: its transaction is reversed in the same DB transaction. */
  async void(p: KeyPrincipal, id: string, reason: string): Promise<RecordView> {
    return this.transition(p, id, async (m, r) => {
      this.requireStatus(r, 'posted');
      const actor = actorRef(p);
      const reversal = await this.ledger.post(m, await this.ledger.reversalRequest(p.tenantId, r.transaction_id!, `作废: ${reason}`, actor, m));
      await m.query(`UPDATE records SET status = 'voided', reversal_transaction_id = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id, reversal.id]);
      await this.history(m, p.tenantId, id, r.status, 'voided', actor, reason);
      await this.afterConductChange(m, p.tenantId, { ...r, status: 'voided' }, actor);
    });
  }

  async get(p: KeyPrincipal, id: string): Promise<RecordView> {
    const r = await this.load(this.dataSource.manager, p.tenantId, id);
    if (!r) throw new NotFound(`record ${id}`);
    assertRegionInScope(p, r.region_code, `record ${id}`);
    const history = await this.dataSource.query(
      `SELECT from_status, to_status, actor, reason, at FROM record_history WHERE tenant_id = $1 AND record_id = $2 ORDER BY id`,
      [p.tenantId, id],
    );
    const names = await this.users.actorNames([r.entered_by, ...history.map((h: any) => h.actor)]);
    return {
      ...this.view(r, await this.scaleOf(p.tenantId, r.asset_code)),
      enteredBy: actorView(r.entered_by, names),
      history: history.map((h: any) => ({ from: h.from_status, to: h.to_status, actor: actorView(h.actor, names), reason: h.reason, at: h.at.toISOString() })),
    };
  }

  async list(p: KeyPrincipal, q: ListRecordsQuery): Promise<Page<RecordView>> {
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 2);
    const prefix = listScope(p, q.regionCode);
    const rows: (RecordRow & { created_key: string })[] = await this.dataSource.query(
      `SELECT ${COLUMNS}, created_at::text AS created_key FROM records
        WHERE tenant_id = $1 AND starts_with(region_code, $2)
          AND ($3::varchar IS NULL OR status = $3) AND ($4::uuid IS NULL OR holder_id = $4)
          AND ($5::timestamptz IS NULL OR (created_at, id) < ($5::timestamptz, $6::uuid))
          AND ($8::varchar IS NULL OR source = $8)
        ORDER BY created_at DESC, id DESC LIMIT $7`,
      [requireTenant(p.tenantId), prefix, q.status ?? null, q.holderId ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1, q.source ?? null],
    );
    const scales = new Map((await this.assets.list(p.tenantId)).map((a) => [a.code, a.scale]));
    return toPage(rows, limit, (r) => [r.created_key, r.id], (r) => this.view(r, scales.get(r.asset_code) ?? 2));
  }

  /**
   * "What would this rule set have given over this period, against what was
   * posted": every posted record of the set's asset in its region, valued again
   * under the set's effective items (caps counted within the period, in date
   * order), summed per holder. Writes nothing.
   */
  async simulate(p: KeyPrincipal, ruleSetId: string, from: string, to: string): Promise<SimulationView> {
    if (to < from) throw new Unprocessable('to is before from', 'invalid-period');
    const set = await this.ruleSets.get(p, ruleSetId);
    const items = new Map((set.effectiveItems ?? []).map((i) => [i.code, i]));
    const scale = await this.scaleOf(p.tenantId, set.asset);
    const rows: RecordRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM records
        WHERE tenant_id = $1 AND asset_code = $2 AND status = 'posted' AND starts_with(region_code, $3) AND starts_with(region_code, $4)
          AND occurred_on BETWEEN $5::date AND $6::date
        ORDER BY occurred_on, created_at, id`,
      [requireTenant(p.tenantId), set.asset, set.regionCode, p.scopeRegionCode.length > set.regionCode.length ? p.scopeRegionCode : set.regionCode, from, to],
    );
    const usage = new Map<string, { points: Decimal; count: number }>();
    const perHolder = new Map<string, { holder: { type: string; id: string }; posted: Decimal; simulated: Decimal; records: number }>();
    const signed = (direction: string, v: Decimal) => (direction === 'debit' ? v.negated() : v);
    for (const r of rows) {
      const key = `${r.holder_type}|${r.holder_id}`;
      const h = perHolder.get(key) ?? { holder: { type: r.holder_type, id: r.holder_id }, posted: new Decimal(0), simulated: new Decimal(0), records: 0 };
      h.posted = h.posted.plus(signed(r.direction, new Decimal(r.points)));
      h.records++;
      const item = items.get(r.rule_code);
      if (item) {
        const caps: CapUsage = {};
        for (const cap of item.caps ?? []) {
          const w = capWindow(cap.period, r.occurred_on);
          caps[cap.period] = usage.get(`${key}|${item.code}|${w.from}`) ?? { points: new Decimal(0), count: 0 };
        }
        const v = valueRecord(item, new Decimal(r.quantity), caps).points.toDecimalPlaces(scale, Decimal.ROUND_DOWN);
        for (const cap of item.caps ?? []) {
          const k = `${key}|${item.code}|${capWindow(cap.period, r.occurred_on).from}`;
          const u = usage.get(k) ?? { points: new Decimal(0), count: 0 };
          usage.set(k, { points: u.points.plus(v), count: u.count + (v.gt(0) ? 1 : 0) });
        }
        h.simulated = h.simulated.plus(signed(item.direction, v));
      }
      perHolder.set(key, h);
    }
    const holders = [...perHolder.values()]
      .sort((a, b) => (a.holder.id < b.holder.id ? -1 : 1))
      .map((h) => ({
        holder: h.holder,
        records: h.records,
        posted: h.posted.toFixed(scale),
        simulated: h.simulated.toFixed(scale),
        difference: h.simulated.minus(h.posted).toFixed(scale),
      }));
    const sum = (f: (h: (typeof holders)[number]) => string) => holders.reduce((a, h) => a.plus(f(h)), new Decimal(0)).toFixed(scale);
    return {
      ruleSetId: set.id,
      version: set.version,
      asset: set.asset,
      from,
      to,
      holders,
      totals: { records: rows.length, posted: sum((h) => h.posted), simulated: sum((h) => h.simulated), difference: sum((h) => h.difference) },
    };
  }

  /**
   * Posts approved records (approved on entry by an import, no notice period):
   * import by import, a chunk (APPROVED_CHUNK) at a time in file order per holder, each
   * chunk in a short transaction on the job lane (one poster per import, so two
   * runs never post one twice) that posts them as one ledger batch (balances
   * locked only for that chunk),
   * marks them posted with their history, and re-evaluates the sanctions of the
   * households whose CONDUCT moved. A record the ledger refuses stays approved,
   * its history says why, and it is tried again the next day. Idempotent and
   * resumable: after a crash, the notice job posts what is left.
   */
  async postApproved(filter: { tenantId?: string | null; importId?: string; actor: string }, today = shanghaiToday()): Promise<{ posted: number; refused: { id: string; line: number | null; error: string }[] }> {
    const out = { posted: 0, refused: [] as { id: string; line: number | null; error: string }[] };
    const imports: { tenant_id: string; import_id: string }[] = filter.importId
      ? [{ tenant_id: filter.tenantId!, import_id: filter.importId }]
      : await this.dataSource.query(
          `SELECT DISTINCT tenant_id, import_id FROM records WHERE status = 'approved' AND post_after <= $1::date AND ($2::uuid IS NULL OR tenant_id = $2)`,
          [today, filter.tenantId ?? null],
        );
    for (const imp of imports) {
      for (;;) {
        const n = await this.uow.run((m) => this.postApprovedChunk(m, imp.tenant_id, imp.import_id, filter.actor, today, out), { lane: 'job' });
        if (!n) break;
        await yieldToForeground(); // between chunks no lock is held: a shop at the counter goes first
      }
    }
    return out;
  }

  /**
   * One chunk of an import's approved records. One poster per import at a time
   * (an advisory lock on the import, taken without waiting: a second poster
   * leaves it to the first), so the records are read without row locks.
   */
  private async postApprovedChunk(
    m: EntityManager, tenantId: string, importId: string, actor: string, today: string,
    out: { posted: number; refused: { id: string; line: number | null; error: string }[] },
  ): Promise<number> {
    const [{ mine }] = await m.query(`SELECT pg_try_advisory_xact_lock(7302, hashtext($1)) AS mine`, [`${tenantId}.${importId}`]);
    if (!mine) return 0;
    const batch: (RecordRow & { import_line: number | null })[] = await m.query(
      `SELECT import_line, ${COLUMNS} FROM records
        WHERE tenant_id = $1 AND import_id = $2 AND status = 'approved' AND post_after <= $3::date
        ORDER BY holder_id, import_line LIMIT $4`,
      [tenantId, importId, today, interactiveInFlight() > 0 ? APPROVED_CHUNK.busy : APPROVED_CHUNK.idle],
    );
    if (!batch.length) return 0;
    const outcomes = await this.ledger.postMany(m, batch.map((r) => recordPosting(tenantId, r, actor)));
    const posted: { r: RecordRow; tx: string }[] = [];
    const refused: { r: RecordRow & { import_line: number | null }; error: string }[] = [];
    outcomes.forEach((o, i) => {
      if (o.kind === 'posted') posted.push({ r: batch[i], tx: o.transaction.id });
      else refused.push({ r: batch[i], error: o.kind === 'refused' ? o.error.message : 'not posted' });
    });
    if (posted.length) {
      await m.query(
        `UPDATE records r SET status = 'posted', transaction_id = x.tx, post_after = NULL, updated_at = now()
           FROM unnest($2::uuid[], $3::uuid[]) AS x(id, tx) WHERE r.tenant_id = $1 AND r.id = x.id`,
        [tenantId, posted.map((p) => p.r.id), posted.map((p) => p.tx)],
      );
    }
    if (refused.length) {
      await m.query(`UPDATE records SET post_after = $3::date + 1, updated_at = now() WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
        tenantId, refused.map((x) => x.r.id), today,
      ]);
      for (const x of refused) this.logger.warn(`approved record ${x.r.id} could not be posted: ${x.error}`);
    }
    await m.query(
      `INSERT INTO record_history (tenant_id, actor, record_id, from_status, to_status, reason)
       SELECT $1, $2, * FROM unnest($3::uuid[], $4::varchar[], $5::varchar[], $6::text[])`,
      [
        tenantId,
        actor,
        [...posted.map((p) => p.r.id), ...refused.map((x) => x.r.id)],
        [...posted.map(() => 'approved'), ...refused.map(() => 'approved')],
        [...posted.map(() => 'posted'), ...refused.map(() => 'approved')],
        [...posted.map(() => 'posted after approval'), ...refused.map((x) => `posting refused, tried again tomorrow: ${x.error}`)],
      ],
    );
    const households = new Map(posted.filter((p) => p.r.holder_type === 'household' && p.r.asset_code === 'CONDUCT').map((p) => [p.r.holder_id, p.r.region_code]));
    if (households.size) await this.sanctions.evaluateMany(m, tenantId, [...households].map(([id, regionCode]) => ({ id, regionCode })), actor);
    out.posted += posted.length;
    out.refused.push(...refused.map((x) => ({ id: x.r.id, line: x.r.import_line, error: x.error })));
    return batch.length;
  }

  /** How far the posting of an import's approved records has got. */
  /**
   * POST /v1/records/imports/{id}/approve: a reviewer other than the importer
   * approves every record of the import still `submitted`, set-based, in one
   * statement (records with no notice period become `approved`, the others go
   * into notice), with their history; then the approved ones post in short
   * transactions (postApproved), so that no shop waits for them.
   */
  async approveImport(p: KeyPrincipal, importId: string, approvalRef: string | undefined): Promise<ImportApprovalView> {
    const actor = actorRef(p);
    const today = shanghaiToday();
    const counts = await this.uow.run(
      async (m) => {
        const [imp] = await queryRows<{ entered_by: string; approved_at: Date | null }>(
          m,
          `SELECT entered_by, approved_at FROM record_imports WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`,
          [requireTenant(p.tenantId), importId],
        );
        if (!imp) throw new NotFound(`import ${importId}`);
        const [scope] = await queryRows<{ n: number; outside: number }>(
          m,
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE NOT starts_with(region_code, $3))::int AS outside FROM records WHERE tenant_id = $1 AND import_id = $2`,
          [p.tenantId, importId, p.scopeRegionCode],
        );
        // A key never learns of another village's import; one it sees only in part is not its to approve.
        if (scope.n > 0 && scope.outside === scope.n) throw new NotFound(`import ${importId}`);
        if (scope.outside > 0) throw new Unprocessable(`${scope.outside} of the import's ${scope.n} records are outside this key's region; a reviewer of the whole region approves it`, 'out-of-scope');
        if (imp.entered_by === actor) throw new Unprocessable('导入记录须由另一位审核人审批：导入的人不能审批自己导入的记录', 'maker-checker');
        if (imp.approved_at) throw new Conflict(`import ${importId} was approved at ${imp.approved_at.toISOString()}`, 'import-approved');
        const [c] = await queryRows<{ approved: number; in_notice: number }>(
          m,
          `WITH moved AS (
             UPDATE records SET status = CASE WHEN notice_days = 0 THEN 'approved' ELSE 'in_notice' END,
                    notice_ends_on = CASE WHEN notice_days = 0 THEN NULL ELSE $3::date + notice_days END,
                    post_after = CASE WHEN notice_days = 0 THEN $3::date END,
                    approved_by = $4, updated_at = now()
              WHERE tenant_id = $1 AND import_id = $2 AND status = 'submitted'
              RETURNING id, status, notice_ends_on
           ), logged AS (
             INSERT INTO record_history (tenant_id, actor, record_id, from_status, to_status, reason)
             SELECT $1, $4, id, 'submitted', status,
                    'approved with import ' || $2 || COALESCE(' (' || $5 || ')', '') ||
                    CASE WHEN status = 'approved' THEN '; no notice period: posted next' ELSE '; public notice until ' || notice_ends_on END
               FROM moved
           )
           SELECT count(*) FILTER (WHERE status = 'approved')::int AS approved, count(*) FILTER (WHERE status = 'in_notice')::int AS in_notice FROM moved`,
          [p.tenantId, importId, today, actor, approvalRef ?? null],
        );
        await m.query(`UPDATE record_imports SET approved_by = $3, approved_at = now(), approval_ref = COALESCE($4, approval_ref) WHERE tenant_id = $1 AND id = $2`, [
          p.tenantId, importId, actor, approvalRef ?? null,
        ]);
        return c;
      },
      // Bulk work: the job lane, where a county's month (100,000 records) is not cut off by the request timeout.
      { lane: 'job', long: true },
    );
    const answer = { importId, approved: counts.approved + counts.in_notice, inNotice: counts.in_notice };
    // The approval just moved a whole import (100,000 records or more) between statuses in one
    // statement. Until autovacuum's analyze catches up, the planner thinks few records are
    // `approved` and reads each posting chunk through the import's index, every record of the
    // import each time (200,000 lines: 211 s to post, quadratic); with fresh statistics it walks
    // records_approved_idx in order and stops at the chunk's end.
    if (counts.approved > ANALYZE_AFTER_APPROVING) await onLane('job', () => this.dataSource.query('ANALYZE records'));
    try {
      const outcome = await this.postApproved({ tenantId: p.tenantId, importId, actor }, today);
      return { ...answer, posted: outcome.posted, refused: outcome.refused.map((r) => ({ line: r.line, error: `${r.error}; retried from tomorrow` })) };
    } catch (e) {
      // The approval is committed; what did not post yet, the notice job posts within a minute.
      this.logger.warn(`import ${importId}: posting stopped (${e instanceof Error ? e.message : String(e)}); the notice job posts the rest`);
      const { posted, pending } = await this.importProgress(p.tenantId, importId);
      return { ...answer, posted, refused: [], pendingPosting: pending };
    }
  }

  /**
   * GET /v1/records/imports: the imports with records in the key's region,
   * newest first (50); `pending` keeps those not approved yet, the reviewers' queue.
   */
  async listImports(p: KeyPrincipal, pending: boolean): Promise<{ items: ImportView[] }> {
    const rows = await queryRows<{ id: string; entered_by: string; lines: number; accepted: number; submitted: number; posted: number; created_at: Date; approved_by: string | null; approved_at: Date | null; approval_ref: string | null }>(
      this.dataSource,
      `SELECT i.id, i.entered_by, i.lines, i.accepted, i.created_at, i.approved_by, i.approved_at, i.approval_ref,
              count(*) FILTER (WHERE r.status = 'submitted')::int AS submitted, count(*) FILTER (WHERE r.status = 'posted')::int AS posted
         FROM record_imports i JOIN records r ON r.tenant_id = i.tenant_id AND r.import_id = i.id
        WHERE i.tenant_id = $1 AND ($2::bool IS FALSE OR i.approved_at IS NULL)
        GROUP BY i.tenant_id, i.id
       HAVING bool_and(starts_with(r.region_code, $3))
        ORDER BY i.created_at DESC LIMIT 50`,
      [requireTenant(p.tenantId), pending, p.scopeRegionCode],
    );
    const me = actorRef(p);
    return {
      items: rows.map((r) => ({
        id: r.id,
        records: r.accepted,
        submitted: r.submitted,
        posted: r.posted,
        createdAt: r.created_at.toISOString(),
        enteredByMe: r.entered_by === me,
        approvedAt: r.approved_at ? r.approved_at.toISOString() : null,
        approvalRef: r.approval_ref,
      })),
    };
  }

  async importProgress(tenantId: string, importId: string): Promise<{ posted: number; pending: number }> {
    const [r] = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'posted')::int AS posted, count(*) FILTER (WHERE status = 'approved')::int AS pending
         FROM records WHERE tenant_id = $1 AND import_id = $2`,
      [requireTenant(tenantId), importId],
    );
    return { posted: r.posted, pending: r.pending };
  }

  /**
   * Posts every record whose public notice has ended (notice_ends_on ≤ today,
   * Asia/Shanghai). Each record is claimed with SKIP LOCKED and posted in its own
   * transaction, so two instances running the job never post one twice, and
   * one record that cannot post (say, a deduction past a floor) does not hold
   * up the rest; it stays in notice and is logged.
   */
  async postDueRecords(today = shanghaiToday(), tenantId: string | null = null): Promise<number> {
    // Approved records an import did not finish posting (it stopped, or the ledger refused them yesterday).
    let posted = (await this.postApproved({ tenantId, actor: 'job:notice' }, today)).posted;
    for (;;) {
      const done = await this.uow.run(async (m) => {
        const [r]: (RecordRow & { tenant_id: string })[] = await m.query(
          `SELECT tenant_id, ${COLUMNS} FROM records WHERE status = 'in_notice' AND notice_ends_on <= $1::date
             AND ($2::uuid IS NULL OR tenant_id = $2)
            ORDER BY notice_ends_on, id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`,
          [today, tenantId],
        );
        if (!r) return 'none';
        await m.query('SAVEPOINT post_record');
        try {
          await this.post(m, r.tenant_id, r, 'job:notice', `public notice ended ${r.notice_ends_on}`);
          return 'posted';
        } catch (e) {
          await m.query('ROLLBACK TO SAVEPOINT post_record');
          this.logger.warn(`record ${r.id} could not be posted after its notice: ${String((e as Error).message)}`);
          // Pushed to tomorrow so the job moves on; the history says why.
          await m.query(`UPDATE records SET notice_ends_on = $3::date + 1 WHERE tenant_id = $1 AND id = $2`, [r.tenant_id, r.id, today]);
          await this.history(m, r.tenant_id, r.id, 'in_notice', 'in_notice', 'job:notice', `posting failed, retried tomorrow: ${String((e as Error).message)}`);
          return 'skipped';
        }
      });
      if (done === 'none') return posted;
      if (done === 'posted') posted++;
    }
  }
}
