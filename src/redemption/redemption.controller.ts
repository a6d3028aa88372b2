import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiTags, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { KeyPrincipal } from '../auth/principal';
import { IdempotencyHandledByService, requiredIdempotencyKey, sendAnswer } from '../platform/http/idempotency';
import { IdParam } from '../platform/http/validation';
import { ReasonDto } from '../platform/http/reason.dto';
import { PinGuardService } from './pin-guard.service';
import {
  CreateItemDto, CreateRedemptionDto, CreateShopDto, ListRedemptionsQuery, PinDto, PinParams, PinUpdatedView, RedemptionQuery, RedemptionView, RedemptionsView, ShopItemsView, ShopItemView, ShopsView, ShopView, StockDto,
} from './redemption.dto';
import { RedemptionsService } from './redemptions.service';
import { ShopsService } from './shops.service';

const SHOP_READERS = ['admin', 'auditor', 'clerk', 'reviewer', 'shopkeeper'] as const;
const AT_THE_COUNTER = ['admin', 'shopkeeper'] as const;
// A shop's books: its redemptions and settlements (the funds module's controller names the same readers).
const SHOP_BOOKS = ['admin', 'auditor', 'shopkeeper'] as const;


@ApiTags('shops, redemption, settlement, funds')
@Controller('v1')
export class RedemptionController {
  constructor(
    private readonly shops: ShopsService,
    private readonly redemptions: RedemptionsService,
    private readonly pins: PinGuardService,
  ) {}

  /** Creates a partner shop with the assets it accepts and their rates (admin). */
  @Post('shops')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  createShop(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateShopDto): Promise<ShopView> {
    return this.shops.create(p, dto);
  }

  /** Partner shops in scope. */
  @Get('shops')
  @Access({ roles: SHOP_READERS })
  listShops(@CurrentPrincipal() p: KeyPrincipal): Promise<ShopsView> {
    return this.shops.list(p);
  }

  /** A partner shop. */
  @Get('shops/:id')
  @Access({ roles: SHOP_READERS })
  getShop(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ShopView> {
    return this.shops.get(p, id);
  }

  /** Adds or restocks an item of a shop's catalogue. */
  @Post('shops/:id/items')
  @HttpCode(201)
  @Access({ roles: AT_THE_COUNTER })
  addItem(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: CreateItemDto): Promise<ShopItemView> {
    return this.shops.addItem(p, id, dto);
  }

  /** A shop's catalogue. */
  @Get('shops/:id/items')
  @Access({ roles: SHOP_READERS })
  items(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ShopItemsView> {
    return this.shops.items(p, id);
  }

  /** Restock (positive change) or take out of stock (negative); stock never goes below zero. */
  @Post('shops/:id/items/:sku/stock')
  @HttpCode(200)
  @Access({ roles: AT_THE_COUNTER })
  stock(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Param('sku') sku: string, @Body() dto: StockDto): Promise<ShopItemView> {
    return this.shops.changeStock(p, id, sku, dto.change);
  }

  /**
   * A basket (`lines`) or a plain amount, authorised by the holder's PIN. `?hold=true` reserves points and
   * stock only (30 minutes unless `holdMinutes`). Requires Idempotency-Key. 422 with a reason when refused;
   * 429 after 5 wrong PINs.
   */
  @Post('redemptions')
  @Access({ roles: AT_THE_COUNTER })
  @ApiResponse({ status: 201, type: RedemptionView, description: 'Redeemed (or held, with `?hold=true`); a replay of the same Idempotency-Key answers the same.' })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async redeem(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateRedemptionDto, @Query() q: RedemptionQuery, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    const idem = requiredIdempotencyKey(k);
    sendAnswer(res, await this.redemptions.redeem(p, dto, q.hold === 'true', q.holdMinutes, idem));
  }

  /** Redemptions in scope (a shopkeeper: its own shop), by day. */
  @Get('redemptions')
  @Access({ roles: SHOP_BOOKS })
  listRedemptions(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ListRedemptionsQuery): Promise<RedemptionsView> {
    return this.redemptions.list(p, q);
  }

  /** A redemption with its lines. */
  @Get('redemptions/:id')
  @Access({ roles: SHOP_BOOKS })
  getRedemption(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<RedemptionView> {
    return this.redemptions.get(p, id);
  }

  /** Completes a held redemption (the points are spent). */
  @Post('redemptions/:id/complete')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: RedemptionView })
  @Access({ roles: AT_THE_COUNTER })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async complete(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    sendAnswer(res, await this.redemptions.complete(p, id, requiredIdempotencyKey(k)));
  }

  /** Cancels a held redemption (the points are released). */
  @Post('redemptions/:id/cancel')
  @HttpCode(200)
  @Access({ roles: AT_THE_COUNTER })
  cancel(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<RedemptionView> {
    return this.redemptions.cancel(p, id);
  }

  /** Reverses a completed redemption and returns its stock; 409 once it is settled. Requires Idempotency-Key. */
  @Post('redemptions/:id/refund')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: RedemptionView })
  @Access({ roles: AT_THE_COUNTER })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async refund(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: ReasonDto, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    sendAnswer(res, await this.redemptions.refund(p, id, dto.reason, requiredIdempotencyKey(k)));
  }

  /** A clerk sets or changes a holder's redemption PIN (clears a lockout). */
  @Put('holders/:type/:id/pin')
  @Access({ roles: ['admin', 'clerk'] })
  setPin(@CurrentPrincipal() p: KeyPrincipal, @Param() params: PinParams, @Body() dto: PinDto): Promise<PinUpdatedView> {
    return this.pins.setPin(p, params.type, params.id, dto.pin);
  }
}
