import { Injectable } from '@nestjs/common';
import { AmountFormat, AssetsService, CNY } from '../ledger/assets.service';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { SettlementsView, SettlementView } from './funds.dto';
import { actorRef, type KeyPrincipal } from '../auth/principal';
import type { EntryDraft } from '../ledger/domain/model';
import { LedgerError } from '../ledger/domain/errors';
import { LedgerPosting } from '../ledger/ledger-posting.service';
import { IdempotentCommands } from '../platform/database/idempotent-command';
import { requireTenant } from '../platform/database/tenant';
import { Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { shanghaiToday } from '../rules/rulesets.service';
import { RedemptionsService, SettledRedemption } from '../redemption/redemptions.service';
import { ShopsService } from '../redemption/shops.service';
import { fundAccount } from './funds.service';
import { queryRows } from '../platform/database/query-rows';

interface SettlementRow {
  id: string;
  shop_id: string;
  fund_id: string;
  through: string;
  redemptions: number;
  points: string;
  amount_cny: string;
  transaction_id: string;
  status: 'issued' | 'paid';
  paid_at: Date | null;
  paid_reference: string | null;
  paid_transaction_id: string | null;
  created_at: Date;
}

const COLUMNS = `id, shop_id, fund_id, to_char(through, 'YYYY-MM-DD') AS through, redemptions, points::text AS points, amount_cny::text AS amount_cny,
  transaction_id, status, paid_at, paid_reference, paid_transaction_id, created_at`;

type LineRow = SettledRedemption;

/** A line's CNY: its points at the rate agreed when redeemed, rounded half up to the fen (CNY's scale). */
const lineCny = (l: LineRow, amounts: AmountFormat) => amounts.round(new Decimal(l.amount).mul(l.rate), CNY, Decimal.ROUND_HALF_UP);

/**
 * Settling a shop: every completed, unsettled, unrefunded redemption up to a
 * day is put on one statement; in one DB transaction the shop's points are
 * retired (back to the issuer) and the statement's CNY moves from the fund to
 * the shop's payable account. The shop row is locked first and the
 * redemptions are marked with the settlement in the same transaction, so two
 * concurrent settlements never take the same redemption. `paid` records the
 * payout, moving the CNY out of the shop's payable account.
 */
@Injectable()
export class SettlementsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly commands: IdempotentCommands,
    private readonly shops: ShopsService,
    private readonly redemptions: RedemptionsService,
    private readonly ledger: LedgerPosting,
    private readonly assets: AssetsService,
  ) {}

  async settle(p: KeyPrincipal, shopId: string, through: string, key: string) {
    if (through > shanghaiToday()) throw new Unprocessable('through is in the future', 'future-date');
    return this.commands.run(p.tenantId, 'POST /v1/settlements', key, { shopId, through }, 201, async (m) => {
      const shop = await this.shops.require(p, shopId, m);
      const lines = await this.redemptions.takeForSettlement(m, p.tenantId, shopId, through);
      if (!lines.length) throw new Unprocessable(`nothing to settle for ${shop.name} through ${through}`, 'nothing-to-settle');
      const amounts = await this.assets.amounts(p.tenantId, m);
      const pointsByAsset = new Map<string, Decimal>();
      let cny = new Decimal(0);
      for (const l of lines) {
        pointsByAsset.set(l.asset_code, (pointsByAsset.get(l.asset_code) ?? new Decimal(0)).plus(l.amount));
        cny = cny.plus(lineCny(l, amounts));
      }
      const [fund] = await queryRows<{ region_code: string }>(m, `SELECT region_code FROM funds WHERE tenant_id = $1 AND id = $2`, [p.tenantId, shop.fund_id]);
      const shopAccount = (asset: string) => ({ holderType: 'shop' as const, holderId: shopId, asset, regionCode: shop.region_code });
      const entries: EntryDraft[] = [];
      for (const [asset, pts] of pointsByAsset) {
        entries.push({ account: shopAccount(asset), amount: pts.negated() }, { account: { holderType: 'system', holderId: 'issuer', asset }, amount: pts });
      }
      if (cny.gt(0)) entries.push({ account: fundAccount(shop.fund_id, fund.region_code), amount: cny.negated() }, { account: shopAccount(CNY), amount: cny });
      const id = randomUUID();
      let txId: string;
      try {
        txId = (
          await this.ledger.post(m, {
            tenantId: p.tenantId,
            kind: 'settle',
            entries,
            memo: `${shop.name} 结算至 ${through}`,
            metadata: { shopId, settlementId: id, through },
            source: { type: 'settlement', id },
            actor: actorRef(p),
          })
        ).id;
      } catch (e) {
        if (e instanceof LedgerError && e.code === 'insufficient-funds') throw new Unprocessable(`基金余额不足以支付本次结算（${amounts.format(cny, CNY)} 元）`, 'fund-insufficient');
        throw e;
      }
      const points = [...pointsByAsset.values()].reduce((a, b) => a.plus(b), new Decimal(0));
      await m.query(
        `INSERT INTO settlements (tenant_id, id, shop_id, fund_id, through, redemptions, points, amount_cny, transaction_id, status, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'issued', $10)`,
        [p.tenantId, id, shopId, shop.fund_id, through, lines.length, points.toFixed(Math.max(0, ...[...pointsByAsset.keys()].map((a) => amounts.scaleOf(a)))), amounts.format(cny, CNY), txId, actorRef(p)],
      );
      await this.redemptions.markSettled(m, p.tenantId, id, lines.map((l) => l.id));
      return this.statement(m, p.tenantId, id);
    });
  }

  /** POST /v1/settlements/{id}/paid: the payout is recorded; the CNY leaves the shop's payable account. */
  async paid(p: KeyPrincipal, id: string, reference: string, key: string) {
    return this.commands.run(p.tenantId, `POST /v1/settlements/${id}/paid`, key, { reference }, 200, async (m) => {
      const [s] = await queryRows<SettlementRow>(m, `SELECT ${COLUMNS} FROM settlements WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`, [requireTenant(p.tenantId), id]);
      if (!s || !(await this.shops.shop(p, s.shop_id, m))) throw new NotFound(`settlement ${id}`);
      if (s.status === 'paid') throw new Conflict(`settlement ${id} was paid on ${s.paid_at!.toISOString()}`, 'settlement-paid');
      let txId: string | null = null;
      if (new Decimal(s.amount_cny).gt(0)) {
        const shop = await this.shops.require(p, s.shop_id, m);
        txId = (
          await this.ledger.post(m, {
            tenantId: p.tenantId,
            kind: 'settle',
            entries: [
              { account: { holderType: 'shop', holderId: s.shop_id, asset: CNY, regionCode: shop.region_code }, amount: new Decimal(s.amount_cny).negated() },
              { account: { holderType: 'system', holderId: 'payouts', asset: CNY }, amount: new Decimal(s.amount_cny) },
            ],
            memo: `${shop.name} 结算款已付：${reference}`,
            metadata: { settlementId: id, reference },
            source: { type: 'settlement-payout', id },
            actor: actorRef(p),
          })
        ).id;
      }
      await m.query(`UPDATE settlements SET status = 'paid', paid_at = now(), paid_reference = $3, paid_transaction_id = $4 WHERE tenant_id = $1 AND id = $2`, [
        p.tenantId, id, reference, txId,
      ]);
      return this.statement(m, p.tenantId, id);
    });
  }

  private async statement(m: EntityManager, tenantId: string, id: string): Promise<SettlementView> {
    const amounts = await this.assets.amounts(tenantId, m);
    const [s] = await queryRows<SettlementRow>(m, `SELECT ${COLUMNS} FROM settlements WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    const lines = await this.redemptions.settledBy(m, tenantId, id);
    const byAsset = new Map<string, { points: Decimal; cny: Decimal }>();
    for (const l of lines) {
      const a = byAsset.get(l.asset_code) ?? { points: new Decimal(0), cny: new Decimal(0) };
      byAsset.set(l.asset_code, { points: a.points.plus(l.amount), cny: a.cny.plus(lineCny(l, amounts)) });
    }
    return {
      id: s.id,
      shopId: s.shop_id,
      fundId: s.fund_id,
      through: s.through,
      redemptions: s.redemptions,
      // Points of the statement's assets added up: at the largest scale among them.
      points: new Decimal(s.points).toFixed(Math.max(0, ...[...byAsset.keys()].map((a) => amounts.scaleOf(a)))),
      amountCny: amounts.format(s.amount_cny, CNY),
      byAsset: [...byAsset].map(([asset, t]) => ({ asset, points: amounts.format(t.points, asset), amountCny: amounts.format(t.cny, CNY) })),
      lines: lines.map((l) => ({
        redemptionId: l.id,
        completedAt: l.completed_at.toISOString(),
        holder: { type: l.holder_type, id: l.holder_id },
        asset: l.asset_code,
        points: amounts.format(l.amount, l.asset_code),
        rate: l.rate,
        amountCny: amounts.format(lineCny(l, amounts), CNY),
      })),
      status: s.status,
      transactionId: s.transaction_id,
      paidAt: s.paid_at ? s.paid_at.toISOString() : null,
      paidReference: s.paid_reference,
      paidTransactionId: s.paid_transaction_id,
      createdAt: s.created_at.toISOString(),
    };
  }

  async get(p: KeyPrincipal, id: string): Promise<SettlementView> {
    const [s] = await queryRows<{ shop_id: string }>(this.dataSource, `SELECT shop_id FROM settlements WHERE tenant_id = $1 AND id = $2`, [requireTenant(p.tenantId), id]);
    if (!s || !(await this.shops.shop(p, s.shop_id))) throw new NotFound(`settlement ${id}`);
    return this.statement(this.dataSource.manager, p.tenantId, id);
  }

  /** A shop's settlements, newest first (a shopkeeper's last statement is the first). */
  async list(p: KeyPrincipal, shopId: string | undefined): Promise<SettlementsView> {
    const id = p.role === 'shopkeeper' ? p.shopId! : shopId;
    if (!id) throw new Unprocessable('say which shop (shopId)', 'shop-required');
    if (p.role === 'shopkeeper' && shopId && shopId !== p.shopId) throw new NotFound(`shop ${shopId}`);
    await this.shops.require(p, id);
    const rows: SettlementRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM settlements WHERE tenant_id = $1 AND shop_id = $2 ORDER BY created_at DESC, id DESC LIMIT 100`, [
      p.tenantId, id,
    ]);
    return {
      items: rows.map((s) => ({ id: s.id, shopId: s.shop_id, through: s.through, redemptions: s.redemptions, points: s.points, amountCny: s.amount_cny, status: s.status, paidAt: s.paid_at?.toISOString() ?? null, createdAt: s.created_at.toISOString() })),
      nextCursor: null,
    };
  }

  /** The statement as CSV (UTF-8 with BOM, so Excel opens it), headers in Chinese for the shop and the fund's bookkeeper. */
  async csv(p: KeyPrincipal, id: string): Promise<string> {
    const s = await this.get(p, id);
    const rows = [
      ['兑换单号', '完成时间', '持有人类型', '持有人', '积分类型', '积分', '单价（元/分）', '金额（元）'],
      ...s.lines.map((l) => [l.redemptionId, l.completedAt, l.holder.type === 'household' ? '农户' : '个人', l.holder.id, l.asset, l.points, l.rate, l.amountCny]),
      ['合计', '', '', '', '', s.points, '', s.amountCny],
    ];
    return '\uFEFF' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
  }
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
