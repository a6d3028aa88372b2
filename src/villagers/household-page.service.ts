import { Injectable } from '@nestjs/common';
import { randomBytes } from 'crypto';
import Decimal from 'decimal.js';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { cookies } from '../auth/console-session.service';
import { EvidenceService } from '../evidence/evidence.service';
import { HoldersService } from '../holders/holders.service';
import { AssetsService } from '../ledger/assets.service';
import { LedgerQueries } from '../ledger/ledger-queries.service';
import { queryRows } from '../platform/database/query-rows';
import { AppError, NotFound } from '../platform/http/app-error';
import { addDays, shanghaiDate } from '../platform/util/business-date';
import { Clock } from '../platform/util/clock';
import { sha256 } from '../platform/util/sha256';
import { RecordsService } from '../records/records.service';
import { PinGuardService } from '../redemption/pin-guard.service';
import { RuleSetsService } from '../rules/rulesets.service';
import { SanctionsService } from '../sanctions/sanctions.service';
import { TenancyService } from '../tenancy/tenancy.service';
import { ClaimEnteredView, HouseholdHistoryView, HouseholdPageView } from './villagers.dto';

export const HOUSEHOLD_COOKIE = 'jifen_h';
export const SESSION_MINUTES = 30;
/** How long a village's standings are reused before they are counted again (the page is cacheable for as long). */
const STANDINGS_MS = 60_000;

interface CardHousehold {
  tenantId: string;
  id: string;
  no: string;
  villageCode: string;
  headName: string;
}

/** What the door card's page shows to anyone holding the card: no login. */
export { HouseholdPageView };

const month = (day: string) => day.slice(0, 7);
const firstOfNextMonth = (day: string) => {
  const [y, m] = day.split('-').map(Number);
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
};

/**
 * The villagers' own page (issue 21): what a door card's QR code opens. The
 * card's token (192 random bits, stored hashed) is the only key to it; a
 * household is never found by anything the request names. Behind the
 * household's PIN (checked by the shops' PIN guard, so wrong PINs here and at a
 * shop count together) a 30-minute session shows the details and takes claims.
 */
@Injectable()
export class HouseholdPageService {
  private readonly standings = new Map<string, { at: number; nets: Map<string, Decimal>; households: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly holders: HoldersService,
    private readonly tenancy: TenancyService,
    private readonly ledger: LedgerQueries,
    private readonly assets: AssetsService,
    private readonly rules: RuleSetsService,
    private readonly records: RecordsService,
    private readonly sanctions: SanctionsService,
    private readonly pins: PinGuardService,
    private readonly evidence: EvidenceService,
    private readonly clock: Clock,
  ) {}

  /** The household of a card, or 404 (unknown, malformed and rotated tokens alike). */
  async household(token: string): Promise<CardHousehold> {
    const h = await this.holders.byCardToken(token);
    if (!h) throw new NotFound('这张户卡无效或已更换，请向村里索取新卡');
    return h;
  }

  async page(token: string): Promise<HouseholdPageView> {
    const h = await this.household(token);
    const today = shanghaiDate(this.clock.now());
    const [village, balances, set, standing, own, amounts] = await Promise.all([
      this.tenancy.findRegion(h.tenantId, h.villageCode),
      this.ledger.holderBalances(h.tenantId, { type: 'household', id: h.id }),
      this.rules.applicableFor(h.tenantId, h.villageCode, 'CONDUCT', today),
      this.villageStanding(h.tenantId, h.villageCode, today),
      // The family's own net is always current (it shows beside its current balance); the others' are at most a minute old.
      this.records.villageNets(h.tenantId, h.villageCode, `${month(today)}-01`, firstOfNextMonth(today), h.id),
      this.assets.amounts(h.tenantId),
    ]);
    const mine = own.get(h.id) ?? new Decimal(0);
    let above = 0;
    let counted = 0;
    for (const [id, net] of standing.nets) {
      if (id === h.id) continue;
      counted++;
      if (net.gt(mine)) above++;
    }
    // Households without a posted record this month stand at 0.
    if (mine.lt(0)) above += Math.max(standing.households - 1 - counted, 0);
    const points = (v: Decimal | string) => amounts.format(v, 'CONDUCT');
    return {
      householdNo: h.no,
      villageCode: h.villageCode,
      villageName: village?.name ?? h.villageCode,
      headName: h.headName,
      balance: balances.balances.find((b) => b.asset === 'CONDUCT')?.balance ?? points('0'),
      month: month(today),
      monthNet: points(mine),
      monthRank: above + 1,
      villageHouseholds: standing.households,
      items: (set?.effectiveItems ?? []).map((i) => ({ code: i.code, name: i.name, direction: i.direction, points: points(i.points), unit: i.unit ?? null })),
      boardUrl: `/public/boards/${h.villageCode}/${month(today)}`,
    };
  }

  /** Every household's net this month in the village, counted once a minute at most (a village of 300 is one GROUP BY). */
  private async villageStanding(tenantId: string, villageCode: string, today: string) {
    const key = `${tenantId}|${villageCode}|${month(today)}`;
    const now = Date.now();
    const cached = this.standings.get(key);
    if (cached && now - cached.at < STANDINGS_MS) return cached;
    const [nets, households] = await Promise.all([
      this.records.villageNets(tenantId, villageCode, `${month(today)}-01`, firstOfNextMonth(today)),
      this.holders.countInVillage(tenantId, villageCode),
    ]);
    if (this.standings.size > 10_000) this.standings.clear();
    const fresh = { at: now, nets, households };
    this.standings.set(key, fresh);
    return fresh;
  }

  /**
   * POST /h/{token}/session: the household's PIN opens a 30-minute session
   * (a random token in an HttpOnly cookie, kept only as its hash). Five wrong
   * PINs lock the page and the household's redemptions for 15 minutes.
   */
  async openSession(token: string, pin: string): Promise<{ cookie: string; expiresAt: Date }> {
    const h = await this.household(token);
    await this.pins.check(h.tenantId, 'household', h.id, pin, { shopId: null, actor: `household:${h.id}` });
    const cookie = randomBytes(32).toString('base64url');
    const [row] = await queryRows<{ expires_at: Date }>(
      this.dataSource,
      `INSERT INTO household_sessions (token_hash, tenant_id, household_id, expires_at) VALUES ($1, $2, $3, now() + make_interval(mins => $4)) RETURNING expires_at`,
      [sha256(cookie).toString('hex'), h.tenantId, h.id, SESSION_MINUTES],
    );
    // Sessions that lapsed are swept as new ones open: the table stays the size of the last half hour.
    await this.dataSource.query(`DELETE FROM household_sessions WHERE expires_at < now() - interval '1 day'`);
    return { cookie, expiresAt: row.expires_at };
  }

  async closeSession(req: Request): Promise<void> {
    const cookie = readCookie(req);
    if (cookie) await this.dataSource.query(`DELETE FROM household_sessions WHERE token_hash = $1`, [sha256(cookie).toString('hex')]);
  }

  /** The card's household, if the request carries a live session of that same household (401 otherwise: another card's session opens nothing here). */
  async unlocked(token: string, req: Request): Promise<CardHousehold> {
    const h = await this.household(token);
    const cookie = readCookie(req);
    const [session] = cookie
      ? await queryRows<{ household_id: string }>(
          this.dataSource,
          `SELECT household_id FROM household_sessions WHERE token_hash = $1 AND tenant_id = $2 AND household_id = $3 AND expires_at > now()`,
          [sha256(cookie).toString('hex'), h.tenantId, h.id],
        )
      : [];
    if (!session) throw new AppError(401, 'pin-required', '请先输入这一户的 PIN（30 分钟内有效）');
    return h;
  }

  /** GET /h/{token}/history: entries and records, what may be redeemed now, and any sanction with what lifts it. */
  async history(token: string, req: Request): Promise<HouseholdHistoryView> {
    const h = await this.unlocked(token, req);
    const today = shanghaiDate(this.clock.now());
    const ref = { type: 'household' as const, id: h.id };
    const [entries, records, balances, set, active, amounts] = await Promise.all([
      this.ledger.holderEntries(h.tenantId, ref, { limit: 100 }),
      this.records.householdRecords(h.tenantId, h.id),
      this.ledger.holderBalances(h.tenantId, ref),
      this.rules.applicableFor(h.tenantId, h.villageCode, 'CONDUCT', today),
      this.sanctions.active(h.tenantId, h.id),
      this.assets.amounts(h.tenantId),
    ]);
    const conduct = balances.balances.find((b) => b.asset === 'CONDUCT');
    const floor = Decimal.max(new Decimal(set?.redeemFloor ?? 0), 0);
    const available = new Decimal(conduct?.available ?? 0);
    const rules = new Map(((set?.sanctions ?? []) as { code: string; liftWhen?: { balanceAtLeast: string } }[]).map((r) => [r.code, r]));
    return {
      householdNo: h.no,
      balances: balances.balances,
      redeemable: amounts.format(Decimal.max(available.minus(floor), 0), 'CONDUCT'),
      redeemFloor: amounts.format(floor, 'CONDUCT'),
      sanctions: active.map((s) => {
        const rule = rules.get(s.code);
        return {
          code: s.code,
          benefitCodes: s.benefitCodes,
          activatedAt: s.activatedAt,
          reason: s.reason,
          liftsWhen: rule?.liftWhen ? `积分回到 ${rule.liftWhen.balanceAtLeast} 分以上、且不再满足处罚条件时自动解除` : '不再满足处罚条件时自动解除',
        };
      }),
      entries: entries.items,
      records: records.map((r) => ({
        id: r.id,
        ruleCode: r.ruleCode,
        ruleName: r.ruleName,
        direction: r.direction,
        points: r.points,
        occurredOn: r.occurredOn,
        status: r.status,
        source: r.source,
        noticeEndsOn: r.noticeEndsOn,
        photos: r.evidence.filter((e) => e.startsWith('sha256:')).length,
        reason: r.reason,
        createdAt: r.createdAt,
      })),
      today,
      earliestClaimDay: addDays(today, -CLAIM_DAYS_BACK),
    };
  }

  /** POST /h/{token}/claims: a good deed claimed with up to three photos, each checked and stripped before the record is entered. */
  async claim(token: string, req: Request, dto: { ruleCode: string; occurredOn: string; note?: string }, photos: { bytes: Buffer; name?: string }[]): Promise<ClaimEnteredView> {
    const h = await this.unlocked(token, req);
    const today = shanghaiDate(this.clock.now());
    if (dto.occurredOn < addDays(today, -CLAIM_DAYS_BACK)) {
      throw new AppError(422, 'claim-too-old', `只能申报 ${CLAIM_DAYS_BACK} 天以内的好人好事`);
    }
    const stored = [];
    for (const [i, photo] of photos.entries()) stored.push(await this.evidence.accept(h.tenantId, `household:${h.id}`, photo.bytes, photo.name, `第 ${i + 1} 张照片`));
    const record = await this.records.submitClaim(h.tenantId, { id: h.id, regionCode: h.villageCode }, { ...dto, evidence: stored.map((s) => s.ref) });
    return { id: record.id, status: record.status, ruleCode: record.ruleCode, ruleName: record.ruleName, points: record.points, photos: stored.length };
  }
}

/** How far back a household may claim: a month (older deeds are the clerk's to enter). */
export const CLAIM_DAYS_BACK = 31;

/** The household session's cookie, if it is one we could have issued. */
function readCookie(req: Request): string | null {
  const v = cookies(req)[HOUSEHOLD_COOKIE];
  return v && /^[A-Za-z0-9_-]{43}$/.test(v) ? v : null;
}
