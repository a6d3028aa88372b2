import { UsersService } from '../auth/users.service';
import { Injectable, Logger } from '@nestjs/common';
import { AssetsService } from '../ledger/assets.service';
import { Cron } from '@nestjs/schedule';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, actorView, KeyPrincipal, listScope, regionRelated } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import { pgCode, PG } from '../platform/database/pg-errors';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { BackgroundJobs } from '../platform/jobs/background-jobs';
import { Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { decodeCursor, pageLimit, toPage } from '../platform/http/pagination';
import { TenancyService } from '../tenancy/tenancy.service';
import { COIN, formatHours, VolunteeringService } from '../volunteering/volunteering.service';
import { CreateMenuItemDto, CreateOrderDto, CreateTeamDto, DeliverDto, ListOrdersQuery, ServiceSettingsDto } from './service-orders.dto';

type Status = 'requested' | 'dispatched' | 'accepted' | 'delivered' | 'closed' | 'cancelled';

export const DEFAULT_RATING_THRESHOLD = 4;
export const DEFAULT_RESPONSE_HOURS = 48;
/** No one is credited more than this for one order. */
export const MAX_HOURS_PER_ORDER = 8;

interface OrderRow {
  tenant_id: string;
  id: string;
  menu_code: string;
  title: string;
  requester_type: 'household' | 'person';
  requester_id: string;
  region_code: string;
  note: string | null;
  wanted_by: Date | null;
  status: Status;
  team_id: string | null;
  overdue: boolean;
  escalated_to: string | null;
  stars: number | null;
  comment: string | null;
  requested_at: Date;
  dispatched_at: Date | null;
  accepted_at: Date | null;
  delivered_at: Date | null;
  closed_at: Date | null;
  team_region: string | null;
}

const COLUMNS = `o.tenant_id, o.id, o.menu_code, o.title, o.requester_type, o.requester_id, o.region_code, o.note, o.wanted_by, o.status, o.team_id, o.overdue,
  o.escalated_to, o.stars, o.comment, o.requested_at, o.dispatched_at, o.accepted_at, o.delivered_at, o.closed_at, t.region_code AS team_region`;
const FROM = `service_orders o LEFT JOIN teams t ON t.tenant_id = o.tenant_id AND t.id = o.team_id`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const view = (o: OrderRow) => ({
  id: o.id,
  menuCode: o.menu_code,
  title: o.title,
  requester: { type: o.requester_type, id: o.requester_id },
  regionCode: o.region_code,
  note: o.note,
  wantedBy: iso(o.wanted_by),
  status: o.status,
  teamId: o.team_id,
  overdue: o.overdue,
  escalatedTo: o.escalated_to,
  stars: o.stars,
  comment: o.comment,
  requestedAt: o.requested_at.toISOString(),
  dispatchedAt: iso(o.dispatched_at),
  acceptedAt: iso(o.accepted_at),
  deliveredAt: iso(o.delivered_at),
  closedAt: iso(o.closed_at),
});

/**
 * Service orders (点单 → 派单 → 接单 → 送单 → 评单): a villager (or a clerk on
 * their behalf) orders a service from the menu, the station dispatches it to
 * a volunteer team, the team accepts (or declines, and it goes back to
 * dispatch), delivers with each member's hours, and the villager rates it. A
 * rating at or above the region's threshold verifies the hours and credits
 * 益币 through the same rule and ledger path as activities, in the same
 * transaction; a lower one sends the hours to the reviewer's queue with the
 * comment. Every transition is kept in the order's history.
 */
@Injectable()
export class ServiceOrdersService {
  private readonly logger = new Logger('ServiceOrders');

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly tenancy: TenancyService,
    private readonly holders: HoldersService,
    private readonly volunteering: VolunteeringService,
    private readonly jobs: BackgroundJobs,
    private readonly assets: AssetsService,
    private readonly users: UsersService,
  ) {}

  // ---------------------------------------------------------------- teams, menu, settings

  async createTeam(p: KeyPrincipal, dto: CreateTeamDto) {
    await this.tenancy.requireRegion(p, p.tenantId, dto.regionCode);
    return this.uow.run(async (m) => {
      const id = randomUUID();
      await m.query(`INSERT INTO teams (tenant_id, id, name, region_code, created_by) VALUES ($1, $2, $3, $4, $5)`, [p.tenantId, id, dto.name, dto.regionCode, actorRef(p)]);
      for (const [i, personId] of [...new Set(dto.memberIds)].entries()) {
        const person = await this.holders.find(p.tenantId, 'person', personId, m);
        if (!person) throw new NotFound(`person ${personId}`);
        if (!person.regionCode.startsWith(dto.regionCode)) throw new Unprocessable(`memberIds[${i}]: person ${personId} lives outside ${dto.regionCode}`, 'member-region');
        await m.query(`INSERT INTO team_members (tenant_id, team_id, person_id) VALUES ($1, $2, $3)`, [p.tenantId, id, personId]);
      }
      return { id, name: dto.name, regionCode: dto.regionCode, memberIds: [...new Set(dto.memberIds)] };
    });
  }

  async listTeams(p: KeyPrincipal) {
    const rows = await this.dataSource.query(
      `SELECT t.id, t.name, t.region_code, COALESCE(array_agg(m.person_id) FILTER (WHERE m.person_id IS NOT NULL), '{}') AS members
         FROM teams t LEFT JOIN team_members m ON m.tenant_id = t.tenant_id AND m.team_id = t.id
        WHERE t.tenant_id = $1 AND (starts_with(t.region_code, $2) OR starts_with($2, t.region_code))
        GROUP BY t.id, t.name, t.region_code ORDER BY t.region_code, t.name`,
      [requireTenant(p.tenantId), p.scopeRegionCode],
    );
    return { items: rows.map((r: any) => ({ id: r.id, name: r.name, regionCode: r.region_code, memberIds: r.members })), nextCursor: null };
  }

  async addMenuItem(p: KeyPrincipal, dto: CreateMenuItemDto) {
    await this.tenancy.requireRegion(p, p.tenantId, dto.regionCode);
    try {
      await this.dataSource.query(`INSERT INTO service_menu (tenant_id, region_code, code, title, category) VALUES ($1, $2, $3, $4, $5)`, [
        p.tenantId, dto.regionCode, dto.code, dto.title, dto.category,
      ]);
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new Conflict(`menu item ${dto.code} already exists for ${dto.regionCode}`, 'menu-item-exists');
      throw e;
    }
    return dto;
  }

  /** A village's menu: its own items and those of its township and county, the most specific winning a code. */
  async menu(tenantId: string, villageCode: string, m: EntityManager = this.dataSource.manager) {
    const rows = await m.query(
      `SELECT DISTINCT ON (code) code, title, category, region_code FROM service_menu
        WHERE tenant_id = $1 AND region_code IN ($2::varchar, left($2::varchar, 9), left($2::varchar, 6))
        ORDER BY code, length(region_code) DESC`,
      [requireTenant(tenantId), villageCode],
    );
    return rows.map((r: any) => ({ code: r.code, title: r.title, category: r.category, definedAt: r.region_code }));
  }

  async menuFor(p: KeyPrincipal, villageCode: string) {
    if (!regionRelated(p, villageCode)) throw new NotFound(`region ${villageCode}`);
    return { items: await this.menu(p.tenantId, villageCode), nextCursor: null };
  }

  async setSettings(p: KeyPrincipal, dto: ServiceSettingsDto) {
    await this.tenancy.requireRegion(p, p.tenantId, dto.regionCode);
    await this.dataSource.query(
      `INSERT INTO service_settings (tenant_id, region_code, rating_threshold, response_hours) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, region_code) DO UPDATE SET rating_threshold = EXCLUDED.rating_threshold, response_hours = EXCLUDED.response_hours`,
      [p.tenantId, dto.regionCode, dto.ratingThreshold, dto.responseHours],
    );
    return dto;
  }

  /** The most specific settings for a region, or the defaults (4 stars, 48 hours). */
  async settingsFor(tenantId: string, regionCode: string, m: EntityManager = this.dataSource.manager) {
    const [s] = await m.query(
      `SELECT rating_threshold, response_hours FROM service_settings
        WHERE tenant_id = $1 AND region_code IN ($2::varchar, left($2::varchar, 9), left($2::varchar, 6)) ORDER BY length(region_code) DESC LIMIT 1`,
      [tenantId, regionCode],
    );
    return { ratingThreshold: s?.rating_threshold ?? DEFAULT_RATING_THRESHOLD, responseHours: s?.response_hours ?? DEFAULT_RESPONSE_HOURS };
  }

  // ---------------------------------------------------------------- orders

  async create(p: KeyPrincipal, dto: CreateOrderDto) {
    const requester = await this.holders.find(p.tenantId, dto.requester.type, dto.requester.id);
    if (!requester || !requester.regionCode.startsWith(p.scopeRegionCode)) throw new NotFound(`${dto.requester.type} ${dto.requester.id}`);
    if (requester.regionCode !== dto.regionCode) throw new Unprocessable(`the requester lives in ${requester.regionCode}, not ${dto.regionCode}`, 'requester-region');
    const item = (await this.menu(p.tenantId, dto.regionCode)).find((i: any) => i.code === dto.menuCode);
    if (!item) throw new Unprocessable(`no service ${dto.menuCode} on the menu of ${dto.regionCode}`, 'not-on-menu');
    return this.uow.run(async (m) => {
      const id = randomUUID();
      await m.query(
        `INSERT INTO service_orders (tenant_id, id, menu_code, title, requester_type, requester_id, region_code, note, wanted_by, status, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'requested', $10)`,
        [p.tenantId, id, dto.menuCode, item.title, dto.requester.type, dto.requester.id, dto.regionCode, dto.note ?? null, dto.wantedBy ?? null, actorRef(p)],
      );
      await this.history(m, p.tenantId, id, null, 'requested', actorRef(p), dto.note ?? null);
      return view((await this.find(m, p.tenantId, id))!);
    });
  }

  private async find(m: EntityManager, tenantId: string, id: string, lock = false): Promise<OrderRow | null> {
    const [o] = await m.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE o.tenant_id = $1 AND o.id = $2 ${lock ? 'FOR NO KEY UPDATE OF o' : ''}`, [requireTenant(tenantId), id]);
    return o ?? null;
  }

  /**
   * Who sees an order: an organizer, only when it is dispatched to a team of its
   * region (a team elsewhere can neither see nor act on it); everyone else, orders
   * of their region (a township sees what was raised to it).
   */
  private visible(p: KeyPrincipal, o: OrderRow): boolean {
    if (p.role === 'organizer') return o.team_region !== null && o.team_region.startsWith(p.scopeRegionCode);
    return o.region_code.startsWith(p.scopeRegionCode) || (o.escalated_to !== null && o.escalated_to.startsWith(p.scopeRegionCode));
  }

  private async transition(p: KeyPrincipal, id: string, allowed: Status[], work: (m: EntityManager, o: OrderRow) => Promise<void>) {
    return this.uow.run(async (m) => {
      const o = await this.find(m, p.tenantId, id, true);
      if (!o || !this.visible(p, o)) throw new NotFound(`service order ${id}`);
      if (!allowed.includes(o.status)) throw new Conflict(`service order ${id} is ${o.status}; this needs ${allowed.join(' or ')}`, 'order-state');
      await work(m, o);
      return this.detail(m, p.tenantId, id);
    });
  }

  private async history(m: EntityManager, tenantId: string, id: string, from: Status | null, to: Status, actor: string, reason: string | null): Promise<void> {
    await m.query(`INSERT INTO service_order_history (tenant_id, order_id, from_status, to_status, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)`, [tenantId, id, from, to, actor, reason]);
  }

  private async set(m: EntityManager, o: OrderRow, to: Status, fields: Record<string, unknown>, actor: string, reason: string | null): Promise<void> {
    const names = Object.keys(fields);
    await m.query(
      `UPDATE service_orders SET status = $3${names.map((n, i) => `, ${n} = $${i + 4}`).join('')} WHERE tenant_id = $1 AND id = $2`,
      [o.tenant_id, o.id, to, ...names.map((n) => fields[n])],
    );
    await this.history(m, o.tenant_id, o.id, o.status, to, actor, reason);
  }

  /** 派单: the station sends the order to a team that serves its village. */
  async dispatch(p: KeyPrincipal, id: string, teamId: string) {
    return this.transition(p, id, ['requested'], async (m, o) => {
      const [team] = await m.query(`SELECT id, name, region_code FROM teams WHERE tenant_id = $1 AND id = $2`, [p.tenantId, teamId]);
      if (!team || !regionRelated(p, team.region_code)) throw new NotFound(`team ${teamId}`);
      if (!o.region_code.startsWith(team.region_code)) throw new Unprocessable(`team ${team.name} serves ${team.region_code}, not ${o.region_code}`, 'team-region');
      await this.set(m, o, 'dispatched', { team_id: teamId, dispatched_at: new Date(), overdue: false }, actorRef(p), `派给 ${team.name}`);
    });
  }

  /** 接单: an organizer of the team's region accepts. */
  async accept(p: KeyPrincipal, id: string) {
    return this.transition(p, id, ['dispatched'], async (m, o) => {
      await this.set(m, o, 'accepted', { accepted_at: new Date() }, actorRef(p), null);
    });
  }

  /** The team cannot take it: the order goes back to dispatch. */
  async decline(p: KeyPrincipal, id: string, reason: string) {
    return this.transition(p, id, ['dispatched', 'accepted'], async (m, o) => {
      await this.set(m, o, 'requested', { team_id: null, dispatched_at: null, accepted_at: null }, actorRef(p), `declined: ${reason}`);
    });
  }

  async cancel(p: KeyPrincipal, id: string, reason: string) {
    return this.transition(p, id, ['requested', 'dispatched', 'accepted'], async (m, o) => {
      await this.set(m, o, 'cancelled', { closed_at: new Date() }, actorRef(p), reason);
    });
  }

  /** 送单: the team delivered; each member's hours become service records (capped, no overlaps). */
  async deliver(p: KeyPrincipal, id: string, dto: DeliverDto) {
    return this.transition(p, id, ['accepted'], async (m, o) => {
      const members = new Set((await m.query(`SELECT person_id FROM team_members WHERE tenant_id = $1 AND team_id = $2`, [p.tenantId, o.team_id])).map((r: any) => r.person_id));
      const now = Date.now();
      for (const [i, e] of dto.entries.entries()) {
        if (!members.has(e.personId)) throw new Unprocessable(`entries[${i}]: person ${e.personId} is not a member of the team`, 'not-a-member');
        const hours = new Decimal(e.hours);
        const start = e.startedAt ? new Date(e.startedAt) : new Date(now - hours.mul(3_600_000).toNumber());
        const end = new Date(start.getTime() + hours.mul(3_600_000).toNumber());
        if (end.getTime() > now + 60_000) throw new Unprocessable(`entries[${i}]: the service cannot end in the future`, 'future-service');
        await this.volunteering.addServiceRecords(m, { ...p, scopeRegionCode: o.region_code.slice(0, 6) }, { orderId: o.id }, { startsAt: start, endsAt: end, title: `服务订单 ${o.title}` }, [
          { personId: e.personId, hours: e.hours, kind: 'signed' },
        ], new Decimal(MAX_HOURS_PER_ORDER));
      }
      await this.set(m, o, 'delivered', { delivered_at: new Date() }, actorRef(p), null);
    });
  }

  /**
   * 评单: the villager rates (a clerk on their behalf). At or above the region's
   * threshold the hours are verified and credit 益币 in this same transaction;
   * below it they wait in the reviewer's queue with the comment.
   */
  async rate(p: KeyPrincipal, id: string, stars: number, comment: string | undefined) {
    return this.transition(p, id, ['delivered'], async (m, o) => {
      const { ratingThreshold } = await this.settingsFor(p.tenantId, o.region_code, m);
      const records = await this.volunteering.ofOrder(m, p.tenantId, o.id);
      if (stars >= ratingThreshold) {
        // The rating is the verification: it reaches the team's members wherever they live in the county.
        const verifier = { ...p, scopeRegionCode: o.region_code.slice(0, 6) };
        for (const r of records) await this.volunteering.verifyWithin(m, verifier, r.id);
      } else {
        await this.volunteering.noteOrder(m, p.tenantId, o.id, `评分 ${stars} 星（低于 ${ratingThreshold} 星）：${comment ?? '无评语'}`, actorRef(p));
      }
      await this.set(m, o, 'closed', { stars, comment: comment ?? null, closed_at: new Date() }, actorRef(p), `${stars} 星${stars >= ratingThreshold ? '，时长已核验' : '，时长待审核'}`);
    });
  }

  private async detail(m: EntityManager, tenantId: string, id: string) {
    const o = (await this.find(m, tenantId, id))!;
    const history = await m.query(`SELECT from_status, to_status, actor, reason, at FROM service_order_history WHERE tenant_id = $1 AND order_id = $2 ORDER BY id`, [tenantId, id]);
    const service = await this.volunteering.ofOrder(m, tenantId, id);
    const amounts = await this.assets.amounts(tenantId, m);
    const names = await this.users.actorNames(history.map((h: any) => h.actor), m);
    return {
      ...view(o),
      history: history.map((h: any) => ({ from: h.from_status, to: h.to_status, actor: actorView(h.actor, names), reason: h.reason, at: h.at.toISOString() })),
      service: service.map((s: any) => ({
        id: s.id,
        personId: s.person_id,
        hours: formatHours(s.hours),
        status: s.status,
        credited: s.credited === null ? null : amounts.format(s.credited, COIN),
        reviewNote: s.review_note,
      })),
    };
  }

  async get(p: KeyPrincipal, id: string) {
    const o = await this.find(this.dataSource.manager, p.tenantId, id);
    if (!o || !this.visible(p, o)) throw new NotFound(`service order ${id}`);
    return this.detail(this.dataSource.manager, p.tenantId, id);
  }

  async list(p: KeyPrincipal, q: ListOrdersQuery) {
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 2);
    const organizer = p.role === 'organizer';
    const rows: (OrderRow & { key: string })[] = await this.dataSource.query(
      `SELECT ${COLUMNS}, o.requested_at::text AS key FROM ${FROM}
        WHERE o.tenant_id = $1
          AND (CASE WHEN $2 THEN t.region_code IS NOT NULL AND starts_with(t.region_code, $3)
                    ELSE starts_with(o.region_code, $3) OR starts_with(COALESCE(o.escalated_to, '-'), $3) END)
          AND ($4::varchar IS NULL OR o.status = $4) AND ($5::boolean IS NULL OR o.overdue = $5)
          AND ($6::timestamptz IS NULL OR (o.requested_at, o.id) < ($6::timestamptz, $7::uuid))
        ORDER BY o.requested_at DESC, o.id DESC LIMIT $8`,
      [requireTenant(p.tenantId), organizer, listScope(p, q.regionCode), q.status ?? null, q.overdue === undefined ? null : q.overdue === 'true', after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    return toPage(rows, limit, (r) => [r.key, r.id], view);
  }

  // ---------------------------------------------------------------- overdue

  @Cron('*/10 * * * *')
  overdueJob(): Promise<void> {
    return this.jobs.run('overdue service orders', async () => {
      const r = await this.handleOverdue();
      if (r.redispatched || r.escalated) this.logger.log(`overdue service orders: ${r.redispatched} re-dispatched, ${r.escalated} raised to the township`);
    });
  }

  /**
   * Orders left waiting longer than their region's response time: a
   * dispatched order nobody accepted goes to another team serving the village
   * if there is one, else back to dispatch raised to the township; an order
   * never dispatched is raised to the township. Flagged overdue either way.
   * Claimed with SKIP LOCKED, so several instances may run it.
   */
  async handleOverdue(now = new Date(), tenantId: string | null = null): Promise<{ redispatched: number; escalated: number }> {
    const counts = { redispatched: 0, escalated: 0 };
    return this.uow.run(async (m) => {
      const waiting: OrderRow[] = await m.query(
        `SELECT ${COLUMNS} FROM ${FROM}
          WHERE ($1::uuid IS NULL OR o.tenant_id = $1) AND (o.status = 'dispatched' OR (o.status = 'requested' AND o.escalated_to IS NULL))
          ORDER BY o.requested_at FOR NO KEY UPDATE OF o SKIP LOCKED`,
        [tenantId],
      );
      for (const o of waiting) {
        const { responseHours } = await this.settingsFor(o.tenant_id, o.region_code, m);
        const since = o.status === 'dispatched' ? o.dispatched_at! : o.requested_at;
        if (now.getTime() - since.getTime() < responseHours * 3_600_000) continue;
        const township = o.region_code.slice(0, 9);
        if (o.status === 'dispatched') {
          const [other] = await m.query(
            `SELECT id, name FROM teams WHERE tenant_id = $1 AND starts_with($2, region_code) AND id <> $3 AND id NOT IN (
               SELECT DISTINCT (regexp_match(reason, 'team ([0-9a-f-]{36})'))[1]::uuid FROM service_order_history
                WHERE tenant_id = $1 AND order_id = $4 AND reason LIKE 'overdue: re-dispatched from team %')
             ORDER BY length(region_code) DESC, name LIMIT 1`,
            [o.tenant_id, o.region_code, o.team_id, o.id],
          );
          if (other) {
            await this.set(m, o, 'dispatched', { team_id: other.id, dispatched_at: now, overdue: true }, 'job:overdue', `overdue: re-dispatched from team ${o.team_id} to ${other.name}`);
            counts.redispatched++;
            continue;
          }
          await this.set(m, o, 'requested', { team_id: null, dispatched_at: null, overdue: true, escalated_to: township }, 'job:overdue', `overdue: no team accepted within ${responseHours} h; raised to ${township}`);
        } else {
          await this.set(m, o, 'requested', { overdue: true, escalated_to: township }, 'job:overdue', `overdue: not dispatched within ${responseHours} h; raised to ${township}`);
        }
        counts.escalated++;
      }
      return counts;
    });
  }

  // ---------------------------------------------------------------- reports

  /** Counts by stage, median hours to accept and to deliver, mean stars; hours and 益币 per team. */
  async report(p: KeyPrincipal, q: { regionCode?: string; from?: string; to?: string }) {
    const region = listScope(p, q.regionCode);
    const params = [requireTenant(p.tenantId), region, q.from ?? null, q.to ?? null];
    const where = `o.tenant_id = $1 AND starts_with(o.region_code, $2) AND ($3::timestamptz IS NULL OR o.requested_at >= $3) AND ($4::timestamptz IS NULL OR o.requested_at < $4)`;
    const [totals] = await this.dataSource.query(
      `SELECT count(*)::int AS orders, jsonb_object_agg(status, n) AS by_status FROM (SELECT o.status, count(*)::int AS n FROM service_orders o WHERE ${where} GROUP BY o.status) s`,
      params,
    );
    const [times] = await this.dataSource.query(
      `SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.accepted_at - o.requested_at)) / 3600)::numeric, 2)::text AS accept,
              round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.delivered_at - o.requested_at)) / 3600)::numeric, 2)::text AS deliver,
              round(avg(o.stars)::numeric, 2)::text AS stars, count(*) FILTER (WHERE o.overdue)::int AS overdue
         FROM service_orders o WHERE ${where}`,
      params,
    );
    const teams = await this.dataSource.query(
      `SELECT t.id, t.name, t.region_code, count(DISTINCT o.id)::int AS orders, COALESCE(sum(s.hours), 0)::text AS hours,
              COALESCE(sum(s.credited), 0)::text AS credited, round(avg(o.stars)::numeric, 2)::text AS stars
         FROM service_orders o JOIN teams t ON t.tenant_id = o.tenant_id AND t.id = o.team_id
         LEFT JOIN service_hours_by_order s ON s.tenant_id = o.tenant_id AND s.order_id = o.id
        WHERE ${where} GROUP BY t.id, t.name, t.region_code ORDER BY t.region_code, t.name`,
      params,
    );
    const by = (totals.by_status ?? {}) as Record<string, number>;
    const amounts = await this.assets.amounts(p.tenantId);
    return {
      regionCode: region,
      orders: totals.orders,
      byStatus: {
        requested: by.requested ?? 0, dispatched: by.dispatched ?? 0, accepted: by.accepted ?? 0,
        delivered: by.delivered ?? 0, closed: by.closed ?? 0, cancelled: by.cancelled ?? 0,
      },
      overdue: times.overdue,
      medianHoursToAccept: times.accept,
      medianHoursToDeliver: times.deliver,
      meanStars: times.stars,
      teams: teams.map((t: any) => ({ teamId: t.id, name: t.name, regionCode: t.region_code, orders: t.orders, hours: formatHours(t.hours), yibiCredited: amounts.format(t.credited, COIN), meanStars: t.stars })),
    };
  }
}

