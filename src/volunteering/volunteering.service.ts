import { Injectable } from '@nestjs/common';
import { formatAmount } from '../ledger/domain/amount';
import { AssetsService } from '../ledger/assets.service';
import { randomInt, timingSafeEqual } from 'crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, assertRegionInScope, KeyPrincipal, listScope } from '../auth/principal';
import { decodeCursor, Page, pageLimit, toPage } from '../platform/http/pagination';
import { HoldersService } from '../holders/holders.service';
import { LedgerPosting } from '../ledger/ledger-posting.service';
import { requireTenant } from '../platform/database/tenant';
import { shanghaiDate } from '../platform/util/business-date';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { BadInput, Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { capWindow, CapUsage, valueRecord } from '../rules/domain/rules';
import { RuleSetsService } from '../rules/rulesets.service';
import { TenancyService } from '../tenancy/tenancy.service';
import { AttendanceDto, CheckInDto, CreateActivityDto, ListActivitiesQuery, ListServiceRecordsQuery } from './volunteering.dto';
import { arrayLiteral } from '../platform/database/sql-arrays';
import { timeOrderedUuid } from '../platform/util/time-ordered-id';
import { maskName } from '../platform/util/public-page';
import { Clock } from '../platform/util/clock';

/** The asset verified volunteer hours credit (益币). */
export const COIN = 'YIBI';
/** Check-ins and check-outs are accepted from this long before an activity starts until this long after it ends. */
export const CHECK_IN_MARGIN_MS = 30 * 60 * 1000;
/** Star levels (星级志愿者) by total verified hours. */
export const STAR_HOURS = [100, 300, 600, 1000, 1500];
/** Hours are kept to two decimals (the DTOs refuse more): a quantity, not an amount of an asset. */
export const HOURS_SCALE = 2;
export const formatHours = (h: Decimal.Value) => formatAmount(new Decimal(h), HOURS_SCALE);
/** Hours between a check-in and a check-out, rounded down to the hours' scale. */
const spanHours = (from: Date, to: Date) => new Decimal(to.getTime() - from.getTime()).div(3_600_000).toDecimalPlaces(HOURS_SCALE, Decimal.ROUND_DOWN);
export const starsFor = (hours: Decimal) => STAR_HOURS.filter((h) => hours.gte(h)).length;

interface ActivityRow {
  id: string;
  title: string;
  category: string;
  region_code: string;
  starts_at: Date;
  ends_at: Date;
  max_hours_per_person: string | null;
  status: 'proposed' | 'listed';
  sign_in_code: string | null;
  proposed_by: string;
}

const activityView = (a: ActivityRow) => ({
  id: a.id,
  title: a.title,
  category: a.category,
  regionCode: a.region_code,
  startsAt: a.starts_at.toISOString(),
  endsAt: a.ends_at.toISOString(),
  maxHoursPerPerson: a.max_hours_per_person,
  status: a.status,
  signInCode: a.sign_in_code,
});


@Injectable()
export class VolunteeringService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly tenancy: TenancyService,
    private readonly holders: HoldersService,
    private readonly ruleSets: RuleSetsService,
    private readonly ledger: LedgerPosting,
    private readonly assets: AssetsService,
    private readonly clock: Clock,
  ) {}

  private async activity(m: EntityManager, p: KeyPrincipal, id: string, lock = false): Promise<ActivityRow> {
    const [a] = await m.query(
      `SELECT id, title, category, region_code, starts_at, ends_at, max_hours_per_person::text AS max_hours_per_person, status, sign_in_code, proposed_by
         FROM activities WHERE tenant_id = $1 AND id = $2 ${lock ? 'FOR NO KEY UPDATE' : ''}`,
      [requireTenant(p.tenantId), id],
    );
    if (!a) throw new NotFound(`activity ${id}`);
    assertRegionInScope(p, a.region_code, `activity ${id}`);
    return a;
  }

  async propose(p: KeyPrincipal, dto: CreateActivityDto) {
    await this.tenancy.requireRegion(p, p.tenantId, dto.regionCode);
    if (new Date(dto.endsAt) <= new Date(dto.startsAt)) throw new BadInput('endsAt must be after startsAt', [{ field: 'endsAt', messages: ['endsAt must be after startsAt'] }]);
    const id = timeOrderedUuid();
    await this.dataSource.query(
      `INSERT INTO activities (tenant_id, id, title, category, region_code, starts_at, ends_at, max_hours_per_person, status, proposed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'proposed', $9)`,
      [p.tenantId, id, dto.title, dto.category, dto.regionCode, dto.startsAt, dto.endsAt, dto.maxHoursPerPerson ?? null, actorRef(p)],
    );
    return activityView(await this.activity(this.dataSource.manager, p, id));
  }

  async get(p: KeyPrincipal, id: string) {
    return activityView(await this.activity(this.dataSource.manager, p, id));
  }

  /** The activity library and proposals in the key's scope, newest first. An organizer sees only its own region's. */
  async list(p: KeyPrincipal, q: ListActivitiesQuery): Promise<Page<ReturnType<typeof activityView>>> {
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 2);
    const rows: (ActivityRow & { key: string })[] = await this.dataSource.query(
      `SELECT id, title, category, region_code, starts_at, ends_at, max_hours_per_person::text AS max_hours_per_person, status, sign_in_code,
              starts_at::text AS key
         FROM activities
        WHERE tenant_id = $1 AND starts_with(region_code, $2) AND ($3::varchar IS NULL OR status = $3)
          AND ($4::timestamptz IS NULL OR (starts_at, id) < ($4::timestamptz, $5::uuid))
        ORDER BY starts_at DESC, id DESC LIMIT $6`,
      [requireTenant(p.tenantId), listScope(p, q.regionCode), q.status ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    return toPage(rows, limit, (r) => [r.key, r.id], activityView);
  }

  /** Service records in the key's scope: with status=submitted, the verification queue. */
  async listServiceRecords(p: KeyPrincipal, q: ListServiceRecordsQuery) {
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 2);
    const rows = await this.dataSource.query(
      `SELECT s.id, s.activity_id, s.order_id, s.title, s.review_note, s.person_id, s.region_code, s.hours::text AS hours, s.kind, s.status, s.credited::text AS credited,
              s.transaction_id, s.created_at, s.created_at::text AS key
         FROM service_records s
        WHERE s.tenant_id = $1 AND starts_with(s.region_code, $2) AND ($3::varchar IS NULL OR s.status = $3)
          AND ($4::uuid IS NULL OR s.activity_id = $4) AND ($5::uuid IS NULL OR s.person_id = $5)
          AND ($6::timestamptz IS NULL OR (s.created_at, s.id) < ($6::timestamptz, $7::uuid))
        ORDER BY s.created_at DESC, s.id DESC LIMIT $8`,
      [requireTenant(p.tenantId), listScope(p, q.regionCode), q.status ?? null, q.activityId ?? null, q.personId ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    return toPage(
      rows,
      limit,
      (r: any) => [r.key, r.id],
      (r: any) => ({
        id: r.id,
        activityId: r.activity_id,
        orderId: r.order_id,
        activityTitle: r.title,
        reviewNote: r.review_note,
        personId: r.person_id,
        regionCode: r.region_code,
        hours: r.hours,
        kind: r.kind,
        status: r.status,
        credited: r.credited,
        transactionId: r.transaction_id,
        createdAt: r.created_at.toISOString(),
      }),
    );
  }

  /** Lists the activity in the library, with a 6-digit sign-in code. */
  async approve(p: KeyPrincipal, id: string) {
    return this.uow.run(async (m) => {
      const a = await this.activity(m, p, id, true);
      if (a.status === 'listed') throw new Conflict(`activity ${id} is already listed`, 'activity-state');
      if (a.proposed_by === actorRef(p)) throw new Unprocessable('活动须由申报人以外的人批准入库', 'maker-checker');
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      await m.query(`UPDATE activities SET status = 'listed', sign_in_code = $3, approved_by = $4 WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id, code, actorRef(p)]);
      return activityView(await this.activity(m, p, id));
    });
  }

  /**
   * A person checks in (or out) at an activity with its sign-in code, typed on
   * the organizer's phone at the activity: accepted only from 30 minutes before
   * it starts until 30 minutes after it ends, at the server's clock. `at` is for
   * the demo's history only; the HTTP routes never pass it.
   */
  async checkIn(p: KeyPrincipal, activityId: string, dto: CheckInDto, at = this.clock.now()) {
    return this.uow.run(async (m) => {
      await this.checkable(m, p, activityId, dto, at);
      const [row] = await m.query(
        `INSERT INTO activity_check_ins (tenant_id, activity_id, person_id, checked_in_at, checked_in_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING checked_in_at`,
        [p.tenantId, activityId, dto.personId, at, actorRef(p)],
      );
      if (!row) throw new Conflict(`person ${dto.personId} has already checked in to activity ${activityId}`, 'already-checked-in');
      return { activityId, personId: dto.personId, event: 'check-in' as const, at: row.checked_in_at.toISOString() };
    });
  }

  async checkOut(p: KeyPrincipal, activityId: string, dto: CheckInDto, at = this.clock.now()) {
    return this.uow.run(async (m) => {
      await this.checkable(m, p, activityId, dto, at);
      const [c] = await m.query(
        `SELECT checked_in_at, checked_out_at FROM activity_check_ins WHERE tenant_id = $1 AND activity_id = $2 AND person_id = $3 FOR NO KEY UPDATE`,
        [p.tenantId, activityId, dto.personId],
      );
      if (!c) throw new Unprocessable(`person ${dto.personId} has not checked in to activity ${activityId}`, 'not-checked-in');
      if (c.checked_out_at) throw new Conflict(`person ${dto.personId} has already checked out of activity ${activityId}`, 'already-checked-out');
      const out = at < c.checked_in_at ? c.checked_in_at : at;
      await m.query(
        `UPDATE activity_check_ins SET checked_out_at = $4, checked_out_by = $5 WHERE tenant_id = $1 AND activity_id = $2 AND person_id = $3`,
        [p.tenantId, activityId, dto.personId, out, actorRef(p)],
      );
      return { activityId, personId: dto.personId, event: 'check-out' as const, at: out.toISOString(), hours: formatHours(spanHours(c.checked_in_at, out)) };
    });
  }

  /** The activity is listed, the code is its code, the time is within its window, the person is in scope. */
  private async checkable(m: EntityManager, p: KeyPrincipal, activityId: string, dto: CheckInDto, at: Date): Promise<void> {
    const a = await this.activity(m, p, activityId);
    if (a.status !== 'listed' || !a.sign_in_code) throw new Unprocessable('only activities listed in the library take check-ins', 'activity-not-listed');
    const [want, got] = [Buffer.from(a.sign_in_code), Buffer.from(dto.code)];
    if (want.length !== got.length || !timingSafeEqual(want, got)) {
      throw new Unprocessable('签到码不对，请看活动现场公布的 6 位签到码', 'wrong-code');
    }
    const from = a.starts_at.getTime() - CHECK_IN_MARGIN_MS;
    const to = a.ends_at.getTime() + CHECK_IN_MARGIN_MS;
    if (at.getTime() < from || at.getTime() > to) {
      throw new Unprocessable('只能在活动开始前 30 分钟到结束后 30 分钟之间签到、签退', 'outside-activity-window');
    }
    const person = await this.holders.find(p.tenantId, 'person', dto.personId, m);
    if (!person) throw new NotFound(`person ${dto.personId}`);
    assertRegionInScope(p, person.regionCode, `person ${dto.personId}`);
  }

  /** Who has checked in and out of an activity, with the span in hours. */
  async checkIns(p: KeyPrincipal, activityId: string) {
    await this.activity(this.dataSource.manager, p, activityId);
    const rows: { person_id: string; checked_in_at: Date; checked_out_at: Date | null }[] = await this.dataSource.query(
      `SELECT person_id, checked_in_at, checked_out_at FROM activity_check_ins WHERE tenant_id = $1 AND activity_id = $2 ORDER BY checked_in_at, person_id`,
      [p.tenantId, activityId],
    );
    const people = await this.holders.findMany(p.tenantId, 'person', rows.map((r) => r.person_id), this.dataSource.manager);
    const fullNames = p.role !== 'auditor';
    return {
      items: rows.map((r) => ({
        personId: r.person_id,
        name: fullNames ? (people.get(r.person_id)?.name ?? '') : maskName(people.get(r.person_id)?.name ?? ''),
        checkedInAt: r.checked_in_at.toISOString(),
        checkedOutAt: r.checked_out_at?.toISOString() ?? null,
        hours: r.checked_out_at ? formatHours(spanHours(r.checked_in_at, r.checked_out_at)) : null,
      })),
    };
  }

  /**
   * Attendance of a listed activity becomes service records, all or none:
   * hours are capped by the activity's length and maxHoursPerPerson; a person
   * already recorded for it (409) or for an overlapping activity (409) is refused.
   * Signed hours need the person's check-in and check-out, and are at most
   * their span (422 `not-checked-in`); backfilled hours carry a reason.
   */
  async attendance(p: KeyPrincipal, activityId: string, dto: AttendanceDto) {
    return this.uow.run(async (m) => {
      const a = await this.activity(m, p, activityId, true);
      if (a.status !== 'listed') throw new Unprocessable('only activities listed in the library accrue hours', 'activity-not-listed');
      const length = new Decimal(a.ends_at.getTime() - a.starts_at.getTime()).div(3_600_000);
      const limit = a.max_hours_per_person ? Decimal.min(length, a.max_hours_per_person) : length;
      const signed = dto.entries.filter((e) => e.kind === 'signed').map((e) => e.personId);
      const spans = new Map<string, Decimal>();
      if (signed.length) {
        const rows: { person_id: string; checked_in_at: Date; checked_out_at: Date }[] = await m.query(
          `SELECT person_id, checked_in_at, checked_out_at FROM activity_check_ins
            WHERE tenant_id = $1 AND activity_id = $2 AND person_id = ANY($3::uuid[]) AND checked_out_at IS NOT NULL`,
          [p.tenantId, activityId, signed],
        );
        for (const r of rows) spans.set(r.person_id, spanHours(r.checked_in_at, r.checked_out_at));
      }
      for (const [i, e] of dto.entries.entries()) {
        if (e.kind !== 'signed') continue;
        const span = spans.get(e.personId);
        if (!span) throw new Unprocessable(`entries[${i}]: 签到时长须有本人在活动现场的签到和签退（person ${e.personId}）`, 'not-checked-in');
        if (new Decimal(e.hours).gt(span)) {
          throw new Unprocessable(`entries[${i}]: ${e.hours} 小时超过了签到到签退之间的 ${formatHours(span)} 小时`, 'not-checked-in');
        }
      }
      return { items: await this.addServiceRecords(m, p, { activityId }, { startsAt: a.starts_at, endsAt: a.ends_at, title: a.title }, dto.entries, limit) };
    });
  }

  /**
   * Service records for people who served in one window (an activity's, or an
   * order's delivery), in the caller's transaction: hours capped at `limit`,
   * each person in scope, once per source, and never in two places at once
   * (overlapping windows of the same person are 409).
   */
  async addServiceRecords(
    m: EntityManager,
    p: KeyPrincipal,
    source: { activityId: string } | { orderId: string },
    window: { startsAt: Date; endsAt: Date; title: string },
    entries: { personId: string; hours: string; kind: 'signed' | 'backfilled'; reason?: string }[],
    limit: Decimal,
  ) {
    const seen = new Set<string>();
    const out: { id: string; personId: string; hours: string; kind: string; status: string }[] = [];
    const sourceId = 'activityId' in source ? source.activityId : source.orderId;
    for (const [i, e] of entries.entries()) {
      if (seen.has(e.personId)) throw new Conflict(`entries[${i}]: person ${e.personId} appears twice`, 'duplicate-attendance');
      seen.add(e.personId);
      const hours = new Decimal(e.hours);
      if (hours.lte(0) || hours.gt(limit)) throw new Unprocessable(`entries[${i}]: hours must be more than 0 and at most ${formatHours(limit)}`, 'hours-out-of-range');
      const person = await this.holders.find(p.tenantId, 'person', e.personId, m);
      if (!person) throw new NotFound(`person ${e.personId}`);
      assertRegionInScope(p, person.regionCode, `person ${e.personId}`);
      const clash = await m.query(
        `SELECT COALESCE(s.activity_id, s.order_id, s.migration_id) AS source FROM service_records s
          WHERE s.tenant_id = $1 AND s.person_id = $2
            AND (s.activity_id = $3 OR s.order_id = $3 OR tstzrange(s.starts_at, s.ends_at) && tstzrange($4::timestamptz, $5::timestamptz))
          LIMIT 1`,
        [p.tenantId, e.personId, sourceId, window.startsAt, window.endsAt],
      );
      if (clash.length) {
        throw new Conflict(
          clash[0].source === sourceId ? `entries[${i}]: person ${e.personId} is already recorded for this service` : `entries[${i}]: person ${e.personId} has service at the same time (${clash[0].source})`,
          'attendance-overlap',
        );
      }
      const id = timeOrderedUuid();
      await m.query(
        `INSERT INTO service_records (tenant_id, id, activity_id, order_id, person_id, region_code, hours, kind, status, entered_by, starts_at, ends_at, title, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submitted', $9, $10, $11, $12, $13)`,
        [
          p.tenantId, id, 'activityId' in source ? source.activityId : null, 'orderId' in source ? source.orderId : null, e.personId, person.regionCode,
          hours.toFixed(), e.kind, actorRef(p), window.startsAt, window.endsAt, window.title, e.reason ?? null,
        ],
      );
      out.push({ id, personId: e.personId, hours: formatHours(hours), kind: e.kind, status: 'submitted' });
    }
    return out;
  }

  /**
   * Past volunteer hours from paper logs (a go-live migration, approved by a
   * second admin), many in one statement: verified service on the day served
   * (09:00 Shanghai time, for as long as the hours say), backfilled, so they
   * count toward a person's hours and grades but credit no 益币. Paper logs do
   * not say the hour: lines of one person and day are not checked for overlap.
   * In the caller's transaction.
   */
  async enterHistoricalHoursMany(
    m: EntityManager,
    tenantId: string,
    migrationId: string,
    lines: { personId: string; regionCode: string; title: string; servedOn: string; hours: string }[],
    enteredBy: string,
    verifiedBy: string,
  ): Promise<void> {
    if (!lines.length) return;
    await m.query(
      `INSERT INTO service_records (tenant_id, id, migration_id, person_id, region_code, hours, kind, status, entered_by, verified_by, verified_at, starts_at, ends_at, title, reason)
       SELECT $1, l.id, $2, l.person_id, l.region_code, l.hours, 'backfilled', 'verified', $3, $4, now(), w.s, w.s + make_interval(secs => (l.hours * 3600)::double precision),
              l.title, '纸质志愿服务记录迁移'
         FROM unnest($5::uuid[], $6::uuid[], $7::varchar[], $8::numeric[], $9::varchar[], $10::date[]) WITH ORDINALITY AS l(id, person_id, region_code, hours, title, served_on, n)
         CROSS JOIN LATERAL (SELECT (l.served_on + time '09:00') AT TIME ZONE 'Asia/Shanghai' AS s) w
        ORDER BY l.n`,
      [
        tenantId, migrationId, enteredBy, verifiedBy,
        ...arrayLiteral.columns(lines.map((l) => [timeOrderedUuid(), l.personId, l.regionCode, l.hours, l.title, l.servedOn]), ['bare', 'bare', 'quoted', 'bare', 'quoted', 'bare']),
      ],
    );
  }

  /**
   * Verifies a service record. Signed hours credit 益币 at the rate of the YIBI
   * rule set in effect (its hourly credit item, caps applied); backfilled hours
   * count toward the person's total but credit nothing.
   */
  async verify(p: KeyPrincipal, id: string): Promise<{ id: string; status: 'verified'; credited: string; transactionId: string | null }> {
    return this.uow.run((m) => this.verifyWithin(m, p, id));
  }

  /** As `verify`, in the caller's transaction (a service order's rating verifies its hours with the rating). */
  async verifyWithin(m: EntityManager, p: KeyPrincipal, id: string): Promise<{ id: string; status: 'verified'; credited: string; transactionId: string | null }> {
    {
      const [s] = await m.query(
        `SELECT s.id, s.person_id, s.region_code, s.hours::text AS hours, s.kind, s.status, s.starts_at, s.title, s.entered_by, s.rated_by
           FROM service_records s WHERE s.tenant_id = $1 AND s.id = $2 FOR NO KEY UPDATE`,
        [requireTenant(p.tenantId), id],
      );
      if (!s) throw new NotFound(`service record ${id}`);
      assertRegionInScope(p, s.region_code, `service record ${id}`);
      if (s.status === 'verified') throw new Conflict(`service record ${id} is already verified`, 'service-record-state');
      // Four eyes: whoever entered the attendance (or delivered the order's hours) never verifies them,
      // nor does whoever rated the order low and sent its hours for review.
      if (s.entered_by === actorRef(p)) throw new Unprocessable('志愿时长须由另一人核验：登记时长的人不能核验自己登记的时长', 'maker-checker');
      if (s.rated_by === actorRef(p)) throw new Unprocessable('低分订单的时长须由评分人以外的人审核', 'maker-checker');
      let credited = new Decimal(0);
      let txId: string | null = null;
      let set: { id: string; version: number } | null = null;
      if (s.kind === 'signed') {
        const day = shanghaiDate(s.starts_at);
        const rules = await this.ruleSets.applicableFor(p.tenantId, s.region_code, COIN, day, m);
        const item = rules?.effectiveItems?.find((i) => i.direction === 'credit' && i.unit === 'hour');
        if (!rules || !item) throw new Unprocessable(`no ${COIN} rule set with an hourly item applies to ${s.region_code} on ${day}`, 'no-such-rule');
        set = rules;
        await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`jifen.service.${p.tenantId}.${s.person_id}`]);
        const usage: CapUsage = {};
        for (const cap of item.caps ?? []) {
          const w = capWindow(cap.period, day);
          const [u] = await m.query(
            `SELECT COALESCE(sum(s.credited), 0)::text AS points, count(*)::int AS n FROM service_records s
              WHERE s.tenant_id = $1 AND s.person_id = $2 AND s.status = 'verified' AND s.kind = 'signed'
                AND (s.starts_at AT TIME ZONE 'Asia/Shanghai')::date >= $3::date AND (s.starts_at AT TIME ZONE 'Asia/Shanghai')::date < $4::date`,
            [p.tenantId, s.person_id, w.from, w.to],
          );
          usage[cap.period] = { points: new Decimal(u.points), count: u.n };
        }
        credited = (await this.assets.amounts(p.tenantId, m)).round(valueRecord(item, new Decimal(s.hours), usage).points, COIN, Decimal.ROUND_DOWN);
        if (credited.gt(0)) {
          const tx = await this.ledger.post(m, {
            tenantId: p.tenantId,
            kind: 'issue',
            entries: [
              { account: { holderType: 'system', holderId: 'issuer', asset: COIN }, amount: credited.negated() },
              { account: { holderType: 'person', holderId: s.person_id, asset: COIN, regionCode: s.region_code }, amount: credited },
            ],
            memo: `志愿服务 ${s.title} ${formatHours(s.hours)} 小时`,
            metadata: { ruleSetId: rules.id, ruleSetVersion: rules.version, ruleCode: item.code, hours: s.hours },
            source: { type: 'service-record', id },
            actor: actorRef(p),
          });
          txId = tx.id;
        }
      }
      await m.query(
        `UPDATE service_records SET status = 'verified', credited = $3, transaction_id = $4, rule_set_id = $5, rule_set_version = $6,
                verified_by = $7, verified_at = now() WHERE tenant_id = $1 AND id = $2`,
        [p.tenantId, id, credited.toFixed(), txId, set?.id ?? null, set?.version ?? null, actorRef(p)],
      );
      return { id, status: 'verified' as const, credited: (await this.assets.amounts(p.tenantId, m)).format(credited, COIN), transactionId: txId };
    }
  }

  /** A person's verified hours (signed and backfilled) and star level. */
  /** The service records of a service order, in the caller's transaction. */
  ofOrder(m: EntityManager, tenantId: string, orderId: string): Promise<{ id: string; person_id: string; hours: string; status: string; credited: string | null; review_note: string | null }[]> {
    return m.query(
      `SELECT id, person_id, hours::text AS hours, status, credited::text AS credited, review_note FROM service_records WHERE tenant_id = $1 AND order_id = $2 ORDER BY id`,
      [tenantId, orderId],
    );
  }

  /** A reviewer's note on every service record of a service order (a rating below the threshold says why they wait). */
  async noteOrder(m: EntityManager, tenantId: string, orderId: string, note: string, ratedBy: string): Promise<void> {
    await m.query(`UPDATE service_records SET review_note = $3, rated_by = $4 WHERE tenant_id = $1 AND order_id = $2`, [tenantId, orderId, note, ratedBy]);
  }

  async summary(p: KeyPrincipal, personId: string) {
    const person = await this.holders.find(p.tenantId, 'person', personId);
    if (!person) throw new NotFound(`person ${personId}`);
    assertRegionInScope(p, person.regionCode, `person ${personId}`);
    const [row] = await this.dataSource.query(
      `SELECT COALESCE(sum(hours), 0)::text AS hours, COALESCE(sum(credited), 0)::text AS credited, count(*)::int AS n
         FROM service_records WHERE tenant_id = $1 AND person_id = $2 AND status = 'verified'`,
      [p.tenantId, personId],
    );
    const hours = new Decimal(row.hours);
    return { personId, verifiedHours: formatHours(hours), credited: (await this.assets.amounts(p.tenantId)).format(row.credited, COIN), serviceRecords: row.n, stars: starsFor(hours) };
  }
}
