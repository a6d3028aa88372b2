import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { requireTenant } from '../platform/database/tenant';
import { pgCode, PG } from '../platform/database/pg-errors';
import { formatAmount } from './domain/amount';
import { LedgerError } from './domain/errors';
import type { AssetSpec } from './domain/model';

/** Amounts at their asset's scale: formatted for answers, or rounded (conversions, CNY values). */
export interface AmountFormat {
  scaleOf(asset: string): number;
  format(v: Decimal.Value, asset: string): string;
  round(v: Decimal.Value, asset: string, rounding: Decimal.Rounding): Decimal;
}

/** The asset funds hold and shops are paid in. */
export const CNY = 'CNY';

/** The assets every new tenant starts with (DOMAIN.md, "Holders and assets"). */
export const DEFAULT_ASSETS: AssetSpec[] = [
  { code: 'CONDUCT', name: '文明积分', holderType: 'household', scale: 2, redeemable: true, allowNegative: true, expiry: { policy: 'none' } },
  { code: 'YIBI', name: '益币', holderType: 'person', scale: 2, redeemable: true, allowNegative: false, expiry: { policy: 'none' } },
  { code: 'XIAOSHAN', name: '孝善积分', holderType: 'household', scale: 2, redeemable: false, allowNegative: false, expiry: { policy: 'none' } },
  { code: 'CNY', name: '人民币', holderType: 'fund', scale: 2, redeemable: false, allowNegative: false, expiry: { policy: 'none' } },
];

interface AssetRow {
  code: string;
  name: string;
  holder_type: AssetSpec['holderType'];
  scale: number;
  redeemable: boolean;
  allow_negative: boolean;
  expiry_policy: AssetSpec['expiry']['policy'];
  expiry_days: number | null;
}

const toSpec = (r: AssetRow): AssetSpec => ({
  code: r.code,
  name: r.name,
  holderType: r.holder_type,
  scale: Number(r.scale),
  redeemable: r.redeemable,
  allowNegative: r.allow_negative,
  expiry: r.expiry_policy === 'days' ? { policy: 'days', days: r.expiry_days! } : { policy: r.expiry_policy },
});

/** Assets are configuration read on every posting, so they are cached per tenant (they are never edited). */
@Injectable()
export class AssetsService {
  private readonly cache = new Map<string, Map<string, AssetSpec>>();

  constructor(private readonly dataSource: DataSource) {}

  /** POST /v1/assets: a tenant's own asset. */
  create(tenantId: string, spec: AssetSpec): Promise<void> {
    return this.insert(this.dataSource.manager, tenantId, spec);
  }

  async insert(m: EntityManager, tenantId: string, a: AssetSpec): Promise<void> {
    try {
      await m.query(
        // clock_timestamp, not now(): assets created in one transaction keep their order.
        `INSERT INTO assets (tenant_id, code, name, holder_type, scale, redeemable, allow_negative, expiry_policy, expiry_days, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, clock_timestamp())`,
        [requireTenant(tenantId), a.code, a.name, a.holderType, a.scale, a.redeemable, a.allowNegative, a.expiry.policy, a.expiry.policy === 'days' ? a.expiry.days : null],
      );
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new LedgerError('asset-exists', `asset ${a.code} already exists`);
      throw e;
    }
    this.cache.delete(tenantId);
  }

  async list(tenantId: string, m?: EntityManager): Promise<AssetSpec[]> {
    return [...(await this.catalog(tenantId, m)).values()];
  }

  /** `m`: read through that transaction's connection (never take a second one while holding it). */
  async get(tenantId: string, code: string, m?: EntityManager): Promise<AssetSpec> {
    const a = (await this.catalog(tenantId, m)).get(code);
    if (!a) throw new LedgerError('unknown-asset', `asset ${code} not found`, 'asset');
    return a;
  }

  /**
   * Formats amounts by their asset's scale: every amount an answer carries goes
   * through here (or `formatAmount` with a scale already at hand), never a
   * hard-coded number of decimals.
   */
  async amounts(tenantId: string, m?: EntityManager): Promise<AmountFormat> {
    const catalog = await this.catalog(tenantId, m);
    const scaleOf = (asset: string) => {
      const a = catalog.get(asset);
      if (!a) throw new LedgerError('unknown-asset', `asset ${asset} not found`, 'asset');
      return a.scale;
    };
    return {
      scaleOf,
      format: (v, asset) => formatAmount(new Decimal(v), scaleOf(asset)),
      round: (v, asset, rounding) => new Decimal(v).toDecimalPlaces(scaleOf(asset), rounding),
    };
  }

  private async catalog(tenantId: string, m?: EntityManager): Promise<Map<string, AssetSpec>> {
    let c = this.cache.get(tenantId);
    if (!c) {
      const rows: AssetRow[] = await (m ?? this.dataSource.manager).query(
        `SELECT code, name, holder_type, scale, redeemable, allow_negative, expiry_policy, expiry_days FROM assets WHERE tenant_id = $1 ORDER BY created_at, code`,
        [requireTenant(tenantId)],
      );
      c = new Map(rows.map((r) => [r.code, toSpec(r)]));
      if (c.size) this.cache.set(tenantId, c);
    }
    return c;
  }
}
