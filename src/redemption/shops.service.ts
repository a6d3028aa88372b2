import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { ApiKeysService } from '../auth/api-keys.service';
import { actorRef, KeyPrincipal, regionRelated } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import { AssetsService } from '../ledger/assets.service';
import { pgCode, PG } from '../platform/database/pg-errors';
import { updateReturning } from '../platform/database/returning';
import { requireTenant } from '../platform/database/tenant';
import { BadInput, Conflict, NotFound, Unprocessable } from '../platform/http/app-error';
import { TenancyService } from '../tenancy/tenancy.service';
import { CreateItemDto, CreateShopDto } from './redemption.dto';
import { decimalProblem } from '../platform/http/validators';
import { queryRows } from '../platform/database/query-rows';

export interface ShopRow {
  id: string;
  name: string;
  region_code: string;
  fund_id: string;
  accepted_assets: string[];
  rates: Record<string, string>;
}

interface ItemRow {
  sku: string;
  name: string;
  asset_code: string;
  price: string;
  stock: number;
}

const shopView = (s: ShopRow) => ({ id: s.id, name: s.name, regionCode: s.region_code, fundId: s.fund_id, acceptedAssets: s.accepted_assets, rates: s.rates });
const itemView = (i: ItemRow) => ({ sku: i.sku, name: i.name, asset: i.asset_code, price: i.price, stock: i.stock });

/**
 * Shops (积分超市, 爱心商家): the region they serve, the assets they accept at a
 * CNY rate per point, the fund that pays them, and items with a points price
 * and stock. A shopkeeper key acts for its own shop only; anyone else's shop is 404 to it.
 */
@Injectable()
export class ShopsService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenancy: TenancyService,
    private readonly holders: HoldersService,
    private readonly assets: AssetsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  onModuleInit(): void {
    this.apiKeys.registerOwnerCheck('shopId', async (tenantId, id) => (await queryRows(this.dataSource, `SELECT 1 FROM shops WHERE tenant_id = $1 AND id = $2`, [tenantId, id])).length > 0);
    this.holders.registerFinder('shop', async (t, id, m) => {
      const [s] = await queryRows<{ region_code: string }>(m, `SELECT region_code FROM shops WHERE tenant_id = $1 AND id = $2`, [requireTenant(t), id]);
      return s ? { type: 'shop', id, regionCode: s.region_code } : null;
    });
  }

  async create(p: KeyPrincipal, dto: CreateShopDto) {
    await this.tenancy.requireRegion(p, p.tenantId, dto.regionCode);
    // The fund, as the holders directory knows it (the funds module registers it): unknown outside the key's reach.
    const fund = await this.holders.find(p.tenantId, 'fund', dto.fundId);
    if (!fund || !regionRelated(p, fund.regionCode)) throw new NotFound(`fund ${dto.fundId}`);
    if (!dto.regionCode.startsWith(fund.regionCode)) {
      throw new Unprocessable(`fund ${fund.name ?? fund.id} serves ${fund.regionCode}; a shop in ${dto.regionCode} cannot draw on it`, 'fund-region');
    }
    const problems: { field: string; messages: string[] }[] = [];
    for (const code of dto.acceptedAssets) {
      const asset = (await this.assets.list(p.tenantId)).find((a) => a.code === code);
      if (!asset) problems.push({ field: 'acceptedAssets', messages: [`asset ${code} does not exist`] });
      else if (!asset.redeemable) problems.push({ field: 'acceptedAssets', messages: [`asset ${code} is not redeemable`] });
      const rate = dto.rates?.[code];
      const problem = decimalProblem(rate, { positive: true });
      if (problem) problems.push({ field: `rates.${code}`, messages: [`rates.${code} (CNY per point, such as "0.5") ${problem}`] });
    }
    for (const code of Object.keys(dto.rates ?? {})) {
      if (!dto.acceptedAssets.includes(code)) problems.push({ field: `rates.${code}`, messages: [`${code} is not an accepted asset`] });
    }
    if (problems.length) throw new BadInput('the shop is not valid', problems);
    const id = randomUUID();
    await this.dataSource.query(
      `INSERT INTO shops (tenant_id, id, name, region_code, fund_id, accepted_assets, rates, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [p.tenantId, id, dto.name, dto.regionCode, dto.fundId, JSON.stringify(dto.acceptedAssets), JSON.stringify(dto.rates), actorRef(p)],
    );
    return shopView((await this.shop(p, id))!);
  }

  /**
   * The shop as this key may see it: its own shop for a shopkeeper; a shop in
   * or above the key's region for others. Null otherwise (answer 404).
   */
  async shop(p: KeyPrincipal, id: string, m: EntityManager = this.dataSource.manager): Promise<ShopRow | null> {
    const [s]: ShopRow[] = await m.query(`SELECT id, name, region_code, fund_id, accepted_assets, rates FROM shops WHERE tenant_id = $1 AND id = $2`, [
      requireTenant(p.tenantId),
      id,
    ]);
    if (!s) return null;
    if (p.role === 'shopkeeper' ? p.shopId !== s.id : !regionRelated(p, s.region_code)) return null;
    return s;
  }

  async require(p: KeyPrincipal, id: string, m?: EntityManager): Promise<ShopRow> {
    const s = await this.shop(p, id, m);
    if (!s) throw new NotFound(`shop ${id}`);
    return s;
  }

  async get(p: KeyPrincipal, id: string) {
    return shopView(await this.require(p, id));
  }

  async list(p: KeyPrincipal) {
    // A shopkeeper sees its own shop wherever it is; others see the shops in or above their region.
    const own = p.role === 'shopkeeper';
    const rows: ShopRow[] = await this.dataSource.query(
      `SELECT id, name, region_code, fund_id, accepted_assets, rates FROM shops
        WHERE tenant_id = $1 AND (starts_with(region_code, $2) OR starts_with($2, region_code)) AND ($3::uuid IS NULL OR id = $3)
        ORDER BY created_at, id`,
      [requireTenant(p.tenantId), own ? '' : p.scopeRegionCode, own ? p.shopId : null],
    );
    return { items: rows.map(shopView), nextCursor: null };
  }

  async addItem(p: KeyPrincipal, shopId: string, dto: CreateItemDto) {
    const s = await this.require(p, shopId);
    if (!s.accepted_assets.includes(dto.asset)) throw new Unprocessable(`${s.name} does not accept ${dto.asset}`, 'asset-not-accepted');
    const scale = (await this.assets.get(p.tenantId, dto.asset)).scale;
    if (new Decimal(dto.price).decimalPlaces() > scale || new Decimal(dto.price).lte(0)) {
      throw new BadInput('price is not valid', [{ field: 'price', messages: [`price must be positive with at most ${scale} decimals`] }]);
    }
    try {
      await this.dataSource.query(`INSERT INTO shop_items (tenant_id, shop_id, sku, name, asset_code, price, stock) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        p.tenantId, shopId, dto.sku, dto.name, dto.asset, new Decimal(dto.price).toFixed(scale), dto.stock,
      ]);
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new Conflict(`item ${dto.sku} already exists in this shop`, 'sku-exists');
      throw e;
    }
    return { ...itemView({ sku: dto.sku, name: dto.name, asset_code: dto.asset, price: new Decimal(dto.price).toFixed(scale), stock: dto.stock }) };
  }

  async items(p: KeyPrincipal, shopId: string) {
    await this.require(p, shopId);
    const rows: ItemRow[] = await this.dataSource.query(
      `SELECT sku, name, asset_code, price::text AS price, stock FROM shop_items WHERE tenant_id = $1 AND shop_id = $2 ORDER BY sku`,
      [p.tenantId, shopId],
    );
    return { items: rows.map(itemView), nextCursor: null };
  }

  /** Restock (or take out of stock); never below zero. */
  async changeStock(p: KeyPrincipal, shopId: string, sku: string, change: number) {
    await this.require(p, shopId);
    const [row] = await updateReturning<ItemRow>(
      this.dataSource.manager,
      `UPDATE shop_items SET stock = stock + $4 WHERE tenant_id = $1 AND shop_id = $2 AND sku = $3 AND stock + $4 >= 0
       RETURNING sku, name, asset_code, price::text AS price, stock`,
      [p.tenantId, shopId, sku, change],
    );
    if (row) return itemView(row);
    const [exists] = await queryRows(this.dataSource, `SELECT 1 FROM shop_items WHERE tenant_id = $1 AND shop_id = $2 AND sku = $3`, [p.tenantId, shopId, sku]);
    if (!exists) throw new NotFound(`item ${sku}`);
    throw new Unprocessable(`stock of ${sku} cannot go below zero`, 'stock-negative');
  }
}
