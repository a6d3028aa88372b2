import { Body, Controller, Get, Header, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { KeyPrincipal } from '../auth/principal';
import type { CommandAnswer } from '../platform/database/idempotent-command';
import { IdempotencyHandledByService, idempotencyKey } from '../platform/http/idempotency';
import { IdParam } from '../platform/http/validation';
import { ReasonDto } from '../records/records.dto';
import { FundsService } from './funds.service';
import { PinGuardService } from './pin-guard.service';
import {
CreateFundDto,CreateItemDto,CreateRedemptionDto,CreateShopDto,DonationDto,ListRedemptionsQuery,PaidDto,PinDto,
PinParams,
RedemptionQuery,SettleDto,
SettlementsQuery,
StockDto,
} from './redemption.dto';
import { RedemptionsService } from './redemptions.service';
import { SettlementsService } from './settlements.service';
import { ShopsService } from './shops.service';

const FUND_READERS = ['admin', 'auditor', 'clerk', 'reviewer'] as const;
const SHOP_READERS = ['admin', 'auditor', 'clerk', 'reviewer', 'shopkeeper'] as const;
const AT_THE_COUNTER = ['admin', 'shopkeeper'] as const;
const SHOP_BOOKS = ['admin', 'auditor', 'shopkeeper'] as const;

function send(res: Response, a: CommandAnswer): void {
  res.status(a.status).json(a.body);
}

const key = (raw: string | undefined) => idempotencyKey(raw, true)!;

@ApiTags('shops, redemption, settlement, funds')
@Controller('v1')
export class RedemptionController {
  constructor(
    private readonly funds: FundsService,
    private readonly shops: ShopsService,
    private readonly redemptions: RedemptionsService,
    private readonly settlements: SettlementsService,
    private readonly pins: PinGuardService,
  ) {}

  // ---------------------------------------------------------------- funds

  @Post('funds')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  createFund(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateFundDto) {
    return this.funds.create(p, dto);
  }

  @Get('funds')
  @Access({ roles: FUND_READERS })
  listFunds(@CurrentPrincipal() p: KeyPrincipal) {
    return this.funds.list(p);
  }

  /** Balance, the points it backs at the shops' rates, and the coverage ratio (flagged below the fund's threshold). */
  @Get('funds/:id')
  @Access({ roles: FUND_READERS })
  getFund(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string) {
    return this.funds.get(p, id);
  }

  /** A donation in CNY; with `holder`, that household earns XIAOSHAN points at the fund's rate. Requires Idempotency-Key. */
  @Post('funds/:id/donations')
  @Access({ roles: ['admin', 'clerk'] })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async donate(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: DonationDto, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    send(res, await this.funds.donate(p, id, dto, key(k)));
  }

  // ---------------------------------------------------------------- shops

  @Post('shops')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  createShop(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateShopDto) {
    return this.shops.create(p, dto);
  }

  @Get('shops')
  @Access({ roles: SHOP_READERS })
  listShops(@CurrentPrincipal() p: KeyPrincipal) {
    return this.shops.list(p);
  }

  @Get('shops/:id')
  @Access({ roles: SHOP_READERS })
  getShop(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string) {
    return this.shops.get(p, id);
  }

  @Post('shops/:id/items')
  @HttpCode(201)
  @Access({ roles: AT_THE_COUNTER })
  addItem(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: CreateItemDto) {
    return this.shops.addItem(p, id, dto);
  }

  @Get('shops/:id/items')
  @Access({ roles: SHOP_READERS })
  items(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string) {
    return this.shops.items(p, id);
  }

  /** Restock (positive change) or take out of stock (negative); stock never goes below zero. */
  @Post('shops/:id/items/:sku/stock')
  @HttpCode(200)
  @Access({ roles: AT_THE_COUNTER })
  stock(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Param('sku') sku: string, @Body() dto: StockDto) {
    return this.shops.changeStock(p, id, sku, dto.change);
  }

  // ---------------------------------------------------------------- redemption

  /**
   * A basket (`lines`) or a plain amount, authorised by the holder's PIN. `?hold=true` reserves points and
   * stock only (30 minutes unless `holdMinutes`). Requires Idempotency-Key. 422 with a reason when refused;
   * 429 after 5 wrong PINs.
   */
  @Post('redemptions')
  @Access({ roles: AT_THE_COUNTER })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async redeem(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateRedemptionDto, @Query() q: RedemptionQuery, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    const idem = key(k);
    send(res, await this.redemptions.redeem(p, dto, q.hold === 'true', q.holdMinutes, idem));
  }

  @Get('redemptions')
  @Access({ roles: SHOP_BOOKS })
  listRedemptions(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ListRedemptionsQuery) {
    return this.redemptions.list(p, q);
  }

  @Get('redemptions/:id')
  @Access({ roles: SHOP_BOOKS })
  getRedemption(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string) {
    return this.redemptions.get(p, id);
  }

  @Post('redemptions/:id/complete')
  @Access({ roles: AT_THE_COUNTER })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async complete(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    send(res, await this.redemptions.complete(p, id, key(k)));
  }

  @Post('redemptions/:id/cancel')
  @HttpCode(200)
  @Access({ roles: AT_THE_COUNTER })
  cancel(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string) {
    return this.redemptions.cancel(p, id);
  }

  /** Reverses a completed redemption and returns its stock; 409 once it is settled. Requires Idempotency-Key. */
  @Post('redemptions/:id/refund')
  @Access({ roles: AT_THE_COUNTER })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async refund(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: ReasonDto, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    send(res, await this.redemptions.refund(p, id, dto.reason, key(k)));
  }

  /** A clerk sets or changes a holder's redemption PIN (clears a lockout). */
  @Put('holders/:type/:id/pin')
  @Access({ roles: ['admin', 'clerk'] })
  setPin(@CurrentPrincipal() p: KeyPrincipal, @Param() params: PinParams, @Body() dto: PinDto) {
    return this.pins.setPin(p, params.type, params.id, dto.pin);
  }

  // ---------------------------------------------------------------- settlement

  /** Settles every completed, unsettled redemption of the shop up to `through`. Requires Idempotency-Key. */
  @Post('settlements')
  @Access({ roles: ['admin'] })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async settle(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: SettleDto, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    send(res, await this.settlements.settle(p, dto.shopId, dto.through, key(k)));
  }

  @Get('settlements')
  @Access({ roles: SHOP_BOOKS })
  listSettlements(@CurrentPrincipal() p: KeyPrincipal, @Query() q: SettlementsQuery) {
    return this.settlements.list(p, q.shopId);
  }

  @Get('settlements/:id')
  @Access({ roles: SHOP_BOOKS })
  getSettlement(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string) {
    return this.settlements.get(p, id);
  }

  /** The statement as CSV (UTF-8 with BOM, Chinese headers). */
  @Get('settlements/:id/statement.csv')
  @Access({ roles: SHOP_BOOKS })
  @Header('Content-Type', 'text/csv; charset=utf-8')
  async statementCsv(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Res() res: Response) {
    const body = await this.settlements.csv(p, id);
    res.setHeader('Content-Disposition', `attachment; filename="settlement-${id}.csv"`);
    res.status(200).send(body);
  }

  /** Records the payout to the shop. Requires Idempotency-Key. */
  @Post('settlements/:id/paid')
  @Access({ roles: ['admin'] })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async paid(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: PaidDto, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    send(res, await this.settlements.paid(p, id, dto.reference, key(k)));
  }
}
