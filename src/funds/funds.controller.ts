import { Body, Controller, Get, Header, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { KeyPrincipal } from '../auth/principal';
import { IdempotencyHandledByService, requiredIdempotencyKey, sendAnswer } from '../platform/http/idempotency';
import { IdParam } from '../platform/http/validation';
import { CreateFundDto, DonationDto, DonationView, PaidDto, SettleDto, SettlementsQuery, SettlementView } from './funds.dto';
import { FundsService } from './funds.service';
import { SettlementsService } from './settlements.service';

const FUND_READERS = ['admin', 'auditor', 'clerk', 'reviewer'] as const;
const SHOP_BOOKS = ['admin', 'auditor', 'shopkeeper'] as const;

@ApiTags('shops, redemption, settlement, funds')
@Controller('v1')
export class FundsController {
  constructor(
    private readonly funds: FundsService,
    private readonly settlements: SettlementsService,
  ) {}

  /** Creates a fund (基金) with its conversion rate (admin). */
  @Post('funds')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  createFund(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateFundDto) {
    return this.funds.create(p, dto);
  }

  /** Funds in scope. */
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
  @ApiResponse({ status: 201, type: DonationView, description: 'Donated; a replay of the same Idempotency-Key answers the same.' })
  @Access({ roles: ['admin', 'clerk'] })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async donate(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: DonationDto, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    sendAnswer(res, await this.funds.donate(p, id, dto, requiredIdempotencyKey(k)));
  }

  /** Settles every completed, unsettled redemption of the shop up to `through`. Requires Idempotency-Key. */
  @Post('settlements')
  @ApiResponse({ status: 201, type: SettlementView, description: 'The statement issued; a replay of the same Idempotency-Key answers the same.' })
  @Access({ roles: ['admin'] })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async settle(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: SettleDto, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    sendAnswer(res, await this.settlements.settle(p, dto.shopId, dto.through, requiredIdempotencyKey(k)));
  }

  /** Settlement statements in scope, newest first. */
  @Get('settlements')
  @Access({ roles: SHOP_BOOKS })
  listSettlements(@CurrentPrincipal() p: KeyPrincipal, @Query() q: SettlementsQuery) {
    return this.settlements.list(p, q.shopId);
  }

  /** A settlement statement with its lines. */
  @Get('settlements/:id')
  @Access({ roles: SHOP_BOOKS })
  getSettlement(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string) {
    return this.settlements.get(p, id);
  }

  /** The statement as CSV (UTF-8 with BOM, Chinese headers). */
  @Get('settlements/:id/statement.csv')
  @Access({ roles: SHOP_BOOKS })
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiResponse({
    status: 200,
    description: 'One line per redemption and a total line; UTF-8 with a BOM, so Excel opens it.',
    content: { 'text/csv': { schema: { type: 'string' } } },
    headers: { 'Content-Disposition': { description: 'attachment; filename="settlement-<id>.csv"', schema: { type: 'string' } } },
  })
  async statementCsv(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Res() res: Response) {
    const body = await this.settlements.csv(p, id);
    res.setHeader('Content-Disposition', `attachment; filename="settlement-${id}.csv"`);
    res.status(200).send(body);
  }

  /** Records the payout to the shop. Requires Idempotency-Key. */
  @Post('settlements/:id/paid')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: SettlementView, description: 'The statement, paid.' })
  @Access({ roles: ['admin'] })
  @IdempotencyHandledByService()
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async paid(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: PaidDto, @Headers('idempotency-key') k: string | undefined, @Res() res: Response) {
    sendAnswer(res, await this.settlements.paid(p, id, dto.reference, requiredIdempotencyKey(k)));
  }
}
