import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, type KeyPrincipal } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import { AssetsService } from '../ledger/assets.service';
import { LedgerError } from '../ledger/domain/errors';
import { LedgerHolds } from '../ledger/ledger-holds.service';
import { LedgerPosting } from '../ledger/ledger-posting.service';
import { IdempotentCommands } from '../platform/database/idempotent-command';
import { updateReturning } from '../platform/database/returning';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { BadInput, Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { decodeCursor, pageLimit, toPage } from '../platform/http/pagination';
import { BackgroundJobs } from '../platform/jobs/background-jobs';
import { SanctionsService } from '../sanctions/sanctions.service';
import { RuleSetsService, shanghaiToday } from '../rules/rulesets.service';
import { PinGuardService } from './pin-guard.service';
import { CreateRedemptionDto, ListRedemptionsQuery } from './redemption.dto';
import { ShopRow, ShopsService } from './shops.service';
import { queryRows } from '../platform/database/query-rows';

export const REDEEM_BENEFIT = 'REDEEM';
export const DEFAULT_HOLD_MINUTES = 30;
const SWEEP_INTERVAL_MS = 15_000;

type Status = 'held' | 'completed' | 'cancelled' | 'expired' | 'refunded';

interface RedemptionRow {
  tenant_id: string;
  id: string;
  shop_id: string;
  holder_type: 'household' | 'person';
  holder_id: string;
  region_code: string;
  asset_code: string;
  amount: string;
  rate: string;
  status: Status;
  hold_id: string | null;
  expires_at: Date | null;
  transaction_id: string | null;
  refund_transaction_id: string | null;
  settlement_id: string | null;
  created_at: Date;
  completed_at: Date | null;
}

const COLUMNS = `tenant_id, id, shop_id, holder_type, holder_id, region_code, asset_code, amount::text AS amount, rate::text AS rate, status, hold_id,
  expires_at, transaction_id, refund_transaction_id, settlement_id, created_at, completed_at`;

/** What the shop sees of a redemption: never a balance, only what was spent. */
export interface RedemptionView {
  id: string;
  shopId: string;
  holder: { type: string; id: string };
  asset: string;
  amount: string;
  status: Status;
  lines: { sku: string; name: string; quantity: number; unitPrice: string; amount: string }[];
  expiresAt: string | null;
  transactionId: string | null;
  refundTransactionId: string | null;
  settlementId: string | null;
  createdAt: string;
}

/**
 * Spending points at a shop. Every redemption is authorised by the holder's
 * PIN, checked against the shop (asset accepted, holder in its region), the
 * holder's sanctions (benefit REDEEM), the spendable balance above the rule
 * set's redeemFloor, and stock, all in one DB transaction: the ledger checks the
 * spendable amount (floor included) under its own account locks, then stock is
 * taken with a conditional update, so neither points nor stock can be spent
 * twice. Account rows are always locked before stock rows, and an item's row,
 * which every customer of that item shares, only at the end. One step
 * (completed at once) or a hold that reserves points and stock until it is
 * completed, cancelled or expires.
 */
@Injectable()
export class RedemptionsService implements OnModuleInit {

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly commands: IdempotentCommands,
    private readonly shops: ShopsService,
    private readonly holders: HoldersService,
    private readonly assets: AssetsService,
    private readonly ledger: LedgerPosting,
    private readonly holds: LedgerHolds,
    private readonly ruleSets: RuleSetsService,
    private readonly sanctions: SanctionsService,
    private readonly pins: PinGuardService,
    private readonly jobs: BackgroundJobs,
  ) {}

  onModuleInit(): void {
    // Held redemptions past their timeout give back points and stock without anyone asking.
    this.jobs.every('expiring held redemptions', SWEEP_INTERVAL_MS, () => this.expireHeld());
  }

  async redeem(p: KeyPrincipal, dto: CreateRedemptionDto, hold: boolean, holdMinutes: number | undefined, key: string) {
    if (Boolean(dto.lines) === Boolean(dto.asset || dto.amount) || (!dto.lines && !(dto.asset && dto.amount))) {
      throw new BadInput('give either lines or asset and amount', [{ field: 'lines', messages: ['a redemption is a basket (lines) or a plain amount (asset and amount), not both'] }]);
    }
    const shop = await this.shops.require(p, dto.shopId);
    const holder = await this.holders.find(p.tenantId, dto.holder.type, dto.holder.id);
    // A holder outside the shop's region is unknown to it.
    if (!holder || !holder.regionCode.startsWith(shop.region_code)) throw new NotFound(`${dto.holder.type} ${dto.holder.id}`);
    const actor = actorRef(p);
    await this.pins.check(p.tenantId, dto.holder.type, dto.holder.id, dto.pin, { shopId: shop.id, actor });
    const { pin: _pin, ...request } = dto; // the PIN is not part of what is kept for replays
    return this.commands.run(p.tenantId, 'POST /v1/redemptions', key, { ...request, hold, holdMinutes: holdMinutes ?? null }, 201, async (m) => {
      const id = randomUUID();
      // Priced now, stock taken last: the item's row is shared by every customer buying it, so it is
      // locked only for the end of the transaction, never while this one waits for an account.
      const lines = dto.lines ? await this.price(m, p.tenantId, shop, dto.lines) : [];
      const asset = dto.lines ? lines[0].asset : dto.asset!;
      if (lines.some((l) => l.asset !== asset)) throw new Unprocessable('一次兑换只能使用一种积分，请分开结算', 'mixed-assets');
      const spec = await this.assets.get(p.tenantId, asset);
      const amount = dto.lines ? lines.reduce((s, l) => s.plus(l.amount), new Decimal(0)) : new Decimal(dto.amount!);
      if (!amount.gt(0) || amount.decimalPlaces() > spec.scale) throw new BadInput('amount is not valid', [{ field: 'amount', messages: [`amount must be positive with at most ${spec.scale} decimals`] }]);
      if (!shop.accepted_assets.includes(asset)) throw new Unprocessable(`本店不接受${spec.name}（${asset}）`, 'asset-not-accepted');
      if (spec.holderType !== dto.holder.type) throw new Unprocessable(`${spec.name} 属于${spec.holderType === 'household' ? '农户' : '个人'}，不能由此持有人兑换`, 'wrong-holder-type');
      if (holder.type === 'household') {
        const blocking = (await this.sanctions.active(p.tenantId, holder.id, m)).filter((s) => s.benefitCodes.includes(REDEEM_BENEFIT));
        if (blocking.length) throw new Unprocessable('该户因红黄榜惩戒暂停积分兑换', 'sanctioned');
      }
      // Points at or below the rule set's redeemFloor are not spendable; the ledger checks it under its own locks, in their order.
      const set = await this.ruleSets.applicableFor(p.tenantId, holder.regionCode, asset, shanghaiToday(), m);
      const spendFloor = Decimal.max(new Decimal(set?.redeemFloor ?? 0), 0);
      const from = { holderType: holder.type, holderId: holder.id, asset, regionCode: holder.regionCode };
      const to = { holderType: 'shop' as const, holderId: shop.id, asset, regionCode: shop.region_code };
      const memo = `${shop.name} 兑换`;
      let holdId: string | null = null;
      let expiresAt: Date | null = null;
      let txId: string | null = null;
      try {
        if (hold) {
          const h = await this.holds.hold(
            { tenantId: p.tenantId, asset, from: { type: holder.type, id: holder.id }, to: { type: 'shop', id: shop.id }, amount, kind: 'redeem', memo, actor, timeoutMs: (holdMinutes ?? DEFAULT_HOLD_MINUTES) * 60_000, spendFloor },
            m,
          );
          holdId = h.id;
          expiresAt = new Date(h.expiresAt);
        } else {
          const tx = await this.ledger.post(m, {
            tenantId: p.tenantId,
            kind: 'redeem',
            entries: [
              { account: from, amount: amount.negated() },
              { account: to, amount },
            ],
            memo,
            metadata: { shopId: shop.id, redemptionId: id },
            source: { type: 'redemption', id },
            actor,
            spendFloor,
          });
          txId = tx.id;
        }
      } catch (e) {
        // The shop learns "not enough", never the balance.
        if (e instanceof LedgerError && e.code === 'insufficient-funds') throw new Unprocessable('积分不足', 'insufficient-points');
        throw e;
      }
      if (lines.length) await this.takeStock(m, p.tenantId, shop, lines);
      await m.query(
        `INSERT INTO redemptions (tenant_id, id, shop_id, holder_type, holder_id, region_code, asset_code, amount, rate, status, hold_id, expires_at, transaction_id, created_by, completed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [p.tenantId, id, shop.id, holder.type, holder.id, holder.regionCode, asset, amount.toFixed(spec.scale), shop.rates[asset], hold ? 'held' : 'completed', holdId, expiresAt, txId, actor, hold ? null : new Date()],
      );
      if (lines.length) {
        await m.query(
          `INSERT INTO redemption_lines (tenant_id, redemption_id, sku, name, quantity, unit_price, amount)
           SELECT $1, $2, * FROM unnest($3::varchar[], $4::varchar[], $5::int[], $6::numeric[], $7::numeric[])`,
          [p.tenantId, id, lines.map((l) => l.sku), lines.map((l) => l.name), lines.map((l) => l.quantity), lines.map((l) => l.unitPrice), lines.map((l) => l.amount.toFixed(spec.scale))],
        );
      }
      return this.view(m, p.tenantId, id);
    });
  }

  /** The basket priced from the shop's items, without locking them (sku order, quantities of a sku added up). */
  private async price(m: EntityManager, tenantId: string, shop: ShopRow, wanted: { sku: string; quantity: number }[]) {
    const bySku = new Map<string, number>();
    for (const l of wanted) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
    const skus = [...bySku.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const rows: { sku: string; name: string; asset_code: string; price: string; stock: number }[] = await m.query(
      `SELECT sku, name, asset_code, price::text AS price, stock FROM shop_items WHERE tenant_id = $1 AND shop_id = $2 AND sku = ANY($3::varchar[])`,
      [tenantId, shop.id, skus],
    );
    const found = new Map(rows.map((r) => [r.sku, r]));
    return skus.map((sku) => {
      const row = found.get(sku);
      const quantity = bySku.get(sku)!;
      if (!row) throw new NotFound(`item ${sku}`);
      if (row.stock < quantity) throw new Unprocessable(`${row.name}（${sku}）库存不足`, 'out-of-stock');
      return { sku, name: row.name, asset: row.asset_code, quantity, unitPrice: row.price, amount: new Decimal(row.price).mul(quantity) };
    });
  }

  /**
   * Takes the priced lines' stock with conditional updates, in sku order (so
   * concurrent baskets never deadlock), at the price the basket was charged:
   * a price changed meanwhile refuses the redemption (409), stock gone meanwhile is 422.
   */
  private async takeStock(m: EntityManager, tenantId: string, shop: ShopRow, lines: { sku: string; name: string; quantity: number; unitPrice: string }[]): Promise<void> {
    for (const l of lines) {
      const [row] = await updateReturning<{ sku: string }>(
        m,
        `UPDATE shop_items SET stock = stock - $4 WHERE tenant_id = $1 AND shop_id = $2 AND sku = $3 AND stock >= $4 AND price = $5::numeric RETURNING sku`,
        [tenantId, shop.id, l.sku, l.quantity, l.unitPrice],
      );
      if (row) continue;
      const [now] = await queryRows<{ price: string }>(m, `SELECT price::text AS price FROM shop_items WHERE tenant_id = $1 AND shop_id = $2 AND sku = $3`, [tenantId, shop.id, l.sku]);
      if (!now) throw new NotFound(`item ${l.sku}`);
      if (now.price !== l.unitPrice) throw new Conflict(`${l.name}（${l.sku}）的价格刚刚变了，请重新结算`, 'price-changed');
      throw new Unprocessable(`${l.name}（${l.sku}）库存不足`, 'out-of-stock');
    }
  }

  private async lockRedemption(m: EntityManager, p: KeyPrincipal, id: string): Promise<RedemptionRow> {
    const [r]: RedemptionRow[] = await m.query(`SELECT ${COLUMNS} FROM redemptions WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`, [requireTenant(p.tenantId), id]);
    if (!r || !(await this.shops.shop(p, r.shop_id, m))) throw new NotFound(`redemption ${id}`);
    return r;
  }

  private requireStatus(r: RedemptionRow, status: Status): void {
    if (r.status !== status) throw new Conflict(`redemption ${r.id} is ${r.status}; this needs ${status}`, 'redemption-state');
  }

  /** Completes a hold: the reserved points move to the shop. */
  async complete(p: KeyPrincipal, id: string, key: string) {
    return this.commands.run(p.tenantId, `POST /v1/redemptions/${id}/complete`, key, {}, 200, async (m) => {
      const r = await this.lockRedemption(m, p, id);
      this.requireStatus(r, 'held');
      if (r.expires_at && r.expires_at.getTime() <= Date.now()) throw new Conflict(`redemption ${id} expired at ${r.expires_at.toISOString()}`, 'redemption-state');
      const tx = await this.holds.completeHold(p.tenantId, r.hold_id!, null, actorRef(p), m);
      await m.query(`UPDATE redemptions SET status = 'completed', transaction_id = $3, completed_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2`, [
        p.tenantId, id, tx.id,
      ]);
      return this.view(m, p.tenantId, id);
    });
  }

  /** Cancels a hold: points and stock are given back. */
  async cancel(p: KeyPrincipal, id: string) {
    return this.uow.run(async (m) => {
      const r = await this.lockRedemption(m, p, id);
      this.requireStatus(r, 'held');
      await this.holds.cancelHold(p.tenantId, r.hold_id!, m).catch(async (e) => {
        // The ledger's own sweep may have expired the hold a moment before: same outcome.
        if (!(e instanceof LedgerError && e.code === 'hold-not-pending')) throw e;
      });
      await this.restoreStock(m, r); // account rows before stock rows, as a redemption takes them
      await m.query(`UPDATE redemptions SET status = 'cancelled', updated_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id]);
      return this.view(m, p.tenantId, id);
    });
  }

  /**
   * Refunds a completed redemption: its posting is reversed and its stock
   * returned. Refused (409) once the redemption is settled: the shop has been
   * paid for it, so a refund would leave the fund paying for points given back.
   */
  async refund(p: KeyPrincipal, id: string, reason: string, key: string) {
    return this.commands.run(p.tenantId, `POST /v1/redemptions/${id}/refund`, key, { reason }, 200, async (m) => {
      const r = await this.lockRedemption(m, p, id);
      this.requireStatus(r, 'completed');
      if (r.settlement_id) throw new Conflict(`redemption ${id} was settled in ${r.settlement_id}; it can no longer be refunded`, 'already-settled');
      const tx = await this.ledger.post(m, await this.ledger.reversalRequest(p.tenantId, r.transaction_id!, `退货: ${reason}`, actorRef(p), m));
      await this.restoreStock(m, r); // account rows before stock rows, as a redemption takes them
      await m.query(`UPDATE redemptions SET status = 'refunded', refund_transaction_id = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [p.tenantId, id, tx.id]);
      return this.view(m, p.tenantId, id);
    });
  }

  private async restoreStock(m: EntityManager, r: RedemptionRow): Promise<void> {
    await m.query(
      `UPDATE shop_items s SET stock = s.stock + l.quantity
         FROM redemption_lines l
        WHERE l.tenant_id = $1 AND l.redemption_id = $2 AND s.tenant_id = l.tenant_id AND s.shop_id = $3 AND s.sku = l.sku`,
      [r.tenant_id, r.id, r.shop_id],
    );
  }

  /**
   * Expires held redemptions past their timeout: the ledger hold is released
   * (if the ledger's own sweep has not done so yet) and the stock returned.
   * Claimed with SKIP LOCKED, so several instances may run it; idempotent.
   */
  async expireHeld(now = new Date()): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.uow.run(async (m) => {
        const due: RedemptionRow[] = await m.query(
          `SELECT ${COLUMNS} FROM redemptions WHERE status = 'held' AND expires_at <= $1 ORDER BY expires_at LIMIT 100 FOR NO KEY UPDATE SKIP LOCKED`,
          [now],
        );
        for (const r of due) {
          await this.holds.expireHoldsWithin(m, r.tenant_id, [r.hold_id!], now);
          await this.restoreStock(m, r); // account rows before stock rows, as a redemption takes them
          await m.query(`UPDATE redemptions SET status = 'expired', updated_at = now() WHERE tenant_id = $1 AND id = $2`, [r.tenant_id, r.id]);
        }
        return due.length;
      });
      total += n;
      if (n === 0) return total;
    }
  }

  private async view(m: EntityManager, tenantId: string, id: string): Promise<RedemptionView> {
    const [r] = await queryRows<RedemptionRow>(m, `SELECT ${COLUMNS} FROM redemptions WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    const lines = await queryRows<RedemptionLine>(
      m,
      `SELECT sku, name, quantity, unit_price::text AS unit_price, amount::text AS amount FROM redemption_lines WHERE tenant_id = $1 AND redemption_id = $2 ORDER BY sku`,
      [tenantId, id],
    );
    return toView(r, lines);
  }

  async get(p: KeyPrincipal, id: string): Promise<RedemptionView> {
    const [r]: RedemptionRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM redemptions WHERE tenant_id = $1 AND id = $2`, [requireTenant(p.tenantId), id]);
    if (!r || !(await this.shops.shop(p, r.shop_id))) throw new NotFound(`redemption ${id}`);
    return this.view(this.dataSource.manager, p.tenantId, id);
  }

  /** A shop's redemptions, newest first; `on` a business day (today's at the counter). A shopkeeper sees only its own shop's. */
  async list(p: KeyPrincipal, q: ListRedemptionsQuery) {
    const shopId = p.role === 'shopkeeper' ? p.shopId : (q.shopId ?? null);
    if (p.role === 'shopkeeper' && q.shopId && q.shopId !== p.shopId) throw new NotFound(`shop ${q.shopId}`);
    if (shopId) await this.shops.require(p, shopId);
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 2);
    const rows: (RedemptionRow & { key: string })[] = await this.dataSource.query(
      `SELECT ${COLUMNS}, created_at::text AS key FROM redemptions
        WHERE tenant_id = $1 AND ($2::uuid IS NULL OR shop_id = $2) AND starts_with(region_code, $3)
          AND ($4::date IS NULL OR (created_at AT TIME ZONE 'Asia/Shanghai')::date = $4::date)
          AND ($5::timestamptz IS NULL OR (created_at, id) < ($5::timestamptz, $6::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $7`,
      [p.tenantId, shopId, p.role === 'shopkeeper' ? '' : p.scopeRegionCode, q.on ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    const lines: (RedemptionLine & { redemption_id: string })[] = rows.length
      ? await this.dataSource.query(
          `SELECT redemption_id, sku, name, quantity, unit_price::text AS unit_price, amount::text AS amount FROM redemption_lines
            WHERE tenant_id = $1 AND redemption_id = ANY($2::uuid[]) ORDER BY sku`,
          [p.tenantId, rows.map((r) => r.id)],
        )
      : [];
    return toPage(rows, limit, (r) => [r.key, r.id], (r) => toView(r, lines.filter((l) => l.redemption_id === r.id)));
  }

  // ---------------------------------------------------------------- for settlement (the funds module)

  /**
   * The shop's completed, unsettled redemptions up to a business day, locked for
   * the caller's transaction: the shop's row first, then the redemptions, so
   * two settlements of one shop queue and never take the same redemption.
   */
  async takeForSettlement(m: EntityManager, tenantId: string, shopId: string, through: string): Promise<SettledRedemption[]> {
    await m.query(`SELECT 1 FROM shops WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`, [requireTenant(tenantId), shopId]);
    return queryRows<SettledRedemption>(
      m,
      `SELECT ${SETTLED_COLUMNS} FROM redemptions
        WHERE tenant_id = $1 AND shop_id = $2 AND status = 'completed' AND settlement_id IS NULL
          AND (completed_at AT TIME ZONE 'Asia/Shanghai')::date <= $3::date
        ORDER BY completed_at, id FOR NO KEY UPDATE`,
      [tenantId, shopId, through],
    );
  }

  /** Marks the redemptions taken (takeForSettlement, same transaction) as settled by `settlementId`. */
  async markSettled(m: EntityManager, tenantId: string, settlementId: string, redemptionIds: string[]): Promise<void> {
    await m.query(`UPDATE redemptions SET settlement_id = $2, updated_at = now() WHERE tenant_id = $1 AND id = ANY($3::uuid[])`, [requireTenant(tenantId), settlementId, redemptionIds]);
  }

  /** The redemptions a settlement took, in the order of its statement. */
  settledBy(m: EntityManager, tenantId: string, settlementId: string): Promise<SettledRedemption[]> {
    return queryRows<SettledRedemption>(m, `SELECT ${SETTLED_COLUMNS} FROM redemptions WHERE tenant_id = $1 AND settlement_id = $2 ORDER BY completed_at, id`, [
      requireTenant(tenantId),
      settlementId,
    ]);
  }
}

/** A completed redemption as a settlement statement shows it (numerics as text). */
export interface SettledRedemption {
  id: string;
  holder_type: string;
  holder_id: string;
  asset_code: string;
  amount: string;
  rate: string;
  completed_at: Date;
}

const SETTLED_COLUMNS = `id, holder_type, holder_id, asset_code, amount::text AS amount, rate::text AS rate, completed_at`;

interface RedemptionLine {
  sku: string;
  name: string;
  quantity: number;
  unit_price: string;
  amount: string;
}

function toView(r: RedemptionRow, lines: RedemptionLine[] | null): RedemptionView {
  return {
    id: r.id,
    shopId: r.shop_id,
    holder: { type: r.holder_type, id: r.holder_id },
    asset: r.asset_code,
    amount: r.amount,
    status: r.status,
    lines: (lines ?? []).map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitPrice: l.unit_price, amount: l.amount })),
    expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
    transactionId: r.transaction_id,
    refundTransactionId: r.refund_transaction_id,
    settlementId: r.settlement_id,
    createdAt: r.created_at.toISOString(),
  };
}
