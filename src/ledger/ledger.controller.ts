import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import { READER_ROLES, type KeyPrincipal } from '../auth/principal';
import { BadInput, NotFound } from '../platform/http/app-error';
import { IdempotencyHandledByService, idempotencyKey, sendAnswer } from '../platform/http/idempotency';
import { IdParam, isUuid } from '../platform/http/validation';
import { AssetsService } from './assets.service';
import { AssetsView, AssetView, BalancesQuery, BalancesView, CreateAssetDto, EntriesQuery, ExpireDto, ExpiryRunView, HolderEntriesView, HolderParams, LedgerVerifyView, PointsReportQuery, PointsReportView, ReverseDto, TransactionView, TransferDto } from './ledger.dto';
import { LedgerExpiry } from './ledger.expiry';
import { LedgerAdjustments } from './ledger-adjustments.service';
import { LedgerQueries } from './ledger-queries.service';
import { LedgerAudit } from './ledger-audit.service';

const ALL_TENANT_ROLES = ['admin', 'auditor', 'clerk', 'reviewer', 'organizer', 'shopkeeper', 'bank'] as const;


@ApiTags('ledger')
@Controller('v1')
export class LedgerController {
  constructor(
    private readonly adjustments: LedgerAdjustments,
    private readonly queries: LedgerQueries,
    private readonly assets: AssetsService,
    private readonly audit: LedgerAudit,
    private readonly expiry: LedgerExpiry,
  ) {}

  /** The tenant's assets (积分种类) with their scale and who holds them. */
  @Get('assets')
  @Access({ roles: ALL_TENANT_ROLES })
  async listAssets(@CurrentPrincipal() p: KeyPrincipal): Promise<AssetsView> {
    const items = (await this.assets.list(p.tenantId)).map((a) => ({
      code: a.code, name: a.name, holderType: a.holderType, scale: a.scale, redeemable: a.redeemable, allowNegative: a.allowNegative, expiry: a.expiry,
    }));
    return { items, nextCursor: null };
  }

  /** Creates an asset of the tenant (admin). */
  @Post('assets')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  async createAsset(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateAssetDto): Promise<AssetView> {
    const expiry = dto.expiry ?? { policy: 'none' as const };
    if ((expiry.policy === 'days') !== (expiry.days !== undefined)) {
      throw new BadInput('expiry.days goes with policy "days" only', [{ field: 'expiry.days', messages: ['expiry.days is required for policy "days" and only for it'] }]);
    }
    const spec = { code: dto.code, name: dto.name, holderType: dto.holderType, scale: dto.scale, redeemable: dto.redeemable, allowNegative: dto.allowNegative ?? false, expiry };
    await this.assets.create(p.tenantId, spec);
    return spec;
  }

  /** Admin adjustment. Requires Idempotency-Key. */
  @Post('transfers')
  @ApiResponse({ status: 201, type: TransactionView, description: 'Posted; a replay of the same Idempotency-Key answers the same.' })
  @Access({ roles: ['admin'] })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async transfer(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: TransferDto, @Headers('idempotency-key') key: string | undefined, @Res() res: Response) {
    const k = idempotencyKey(key, true);
    sendAnswer(res, await this.adjustments.transfer(p, dto, k, dto));
  }

  /** A ledger transaction with its entries, business day, actor and hash. */
  @Get('transactions/:id')
  @Access({ roles: READER_ROLES })
  getTransaction(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<TransactionView> {
    return this.queries.getTransaction(p, id);
  }

  /** Reverse a transaction once; a second reversal is 409. */
  @Post('transactions/:id/reverse')
  @ApiResponse({ status: 201, type: TransactionView, description: 'The reversing transaction.' })
  @Access({ roles: ['admin'] })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async reverse(
    @CurrentPrincipal() p: KeyPrincipal,
    @Param('id', IdParam) id: string,
    @Body() dto: ReverseDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res() res: Response,
  ) {
    sendAnswer(res, await this.adjustments.reverse(p, id, dto.reason, idempotencyKey(key, false)));
  }

  /** A holder's balances, now or as of a business day (`asOf`). */
  @Get('holders/:type/:id/balances')
  @Access({ roles: READER_ROLES })
  async balances(@CurrentPrincipal() p: KeyPrincipal, @Param() params: HolderParams, @Query() q: BalancesQuery): Promise<BalancesView> {
    if (!isUuid(params.id)) throw new NotFound(`${params.type} ${params.id}`);
    if (q.asOf && new Date(`${q.asOf}T00:00:00Z`).toISOString().slice(0, 10) !== q.asOf) {
      throw new BadInput('asOf is not a calendar date', [{ field: 'asOf', messages: [`${q.asOf} does not exist`] }]);
    }
    const ref = { type: params.type, id: params.id.toLowerCase() };
    const found = await this.queries.balances(p, ref, q.asOf); // checks the holder and its scope
    if (q.asOf) return found;
    // Today's view says what expires within 30 days, for assets with an expiry policy.
    const soon = await this.expiry.expiringSoon(p.tenantId, ref.type, ref.id);
    const policies = new Map((await this.assets.list(p.tenantId)).map((a) => [a.code, a.expiry.policy]));
    return {
      ...found,
      balances: found.balances.map((b) => (policies.get(b.asset) && policies.get(b.asset) !== 'none' ? { ...b, expiringSoon: soon.get(b.asset) ?? [] } : b)),
    };
  }

  /** A holder's ledger entries, newest first, filterable by business days. */
  @Get('holders/:type/:id/entries')
  @Access({ roles: READER_ROLES })
  entries(@CurrentPrincipal() p: KeyPrincipal, @Param() params: HolderParams, @Query() q: EntriesQuery): Promise<HolderEntriesView> {
    if (!isUuid(params.id)) throw new NotFound(`${params.type} ${params.id}`);
    return this.queries.entries(p, { type: params.type, id: params.id.toLowerCase() }, q);
  }

  /**
   * Moves what is left of expired lots (oldest points spent first) to each asset's expiry account, as of a
   * day (default today). Idempotent and resumable; it also runs every night at 00:10 (Asia/Shanghai).
   */
  @Post('jobs/expire')
  @HttpCode(200)
  @Access({ roles: ['admin'] })
  expire(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: ExpireDto): Promise<ExpiryRunView> {
    return this.expiry.expire(p.tenantId, dto.asOf ?? new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10));
  }

  /**
   * Points issued, redeemed and outstanding (held by households and people) per
   * month, Asia/Shanghai, for the console's chart.
   */
  @Get('reports/points')
  @Access({ roles: ['admin', 'auditor'] })
  async pointsReport(@CurrentPrincipal() p: KeyPrincipal, @Query() q: PointsReportQuery): Promise<PointsReportView> {
    return this.queries.pointsByMonth(p.tenantId, q.asset ?? 'CONDUCT', q.months ?? 6);
  }

  /** Recomputes trial balance, balances against entries, and the seal chain, for this tenant. */
  @Get('ledger/verify')
  @Access({ roles: ['admin', 'auditor'] })
  async verify(@CurrentPrincipal() p: KeyPrincipal): Promise<LedgerVerifyView> {
    return this.audit.verify(p.tenantId);
  }
}
