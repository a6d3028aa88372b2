import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { KeyPrincipal } from '../auth/principal';
import { SpreadsheetBody, spreadsheetCharset } from '../platform/http/spreadsheet-upload';
import { IdempotencyNotOffered } from '../platform/http/idempotency';
import { IdParam } from '../platform/http/validation';
import { ApproveQuery, ControlTotalsDto, CreateMigrationDto, UploadResultView, MigrationApprovedView, MigrationCreatedView, MigrationView } from './golive.dto';
import { GoLiveService } from './golive.service';


/** Go-live migration: a county's paper ledger brought in with its real dates (docs/golive.md). */
@ApiTags('migrations')
@Controller('v1/migrations')
export class GoLiveController {
  constructor(private readonly golive: GoLiveService) {}

  /** A draft migration. */
  @Post()
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  create(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateMigrationDto): Promise<MigrationCreatedView> {
    return this.golive.create(p, dto);
  }

  /** Its contents and, per village and asset, the declared total against what the households would hold (hold, once applied). */
  @Get(':id')
  @Access({ roles: ['admin', 'auditor'] })
  get(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<MigrationView> {
    return this.golive.get(p, id);
  }

  /** Opening balances from the paper ledger: CSV or .xlsx `householdNo,asset,balance,asOf` (or 户号,积分种类,余额,截至日期), UTF-8 or GBK; all or nothing. */
  @Post(':id/opening-balances')
  @Access({ roles: ['admin'] })
  @IdempotencyNotOffered()
  @HttpCode(200)
  @SpreadsheetBody(UploadResultView, [200])
  async openingBalances(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { status, body } = await this.golive.uploadOpeningBalances(p, id, req, spreadsheetCharset(req));
    res.status(status).json(body);
  }

  /** Decisions already taken on paper: CSV or .xlsx `householdNo,ruleCode,quantity,occurredOn,note` (or 户号,事项代码,数量,发生日期,备注); posted without notice, effective on their day; an upload replaces the one before. */
  @Post(':id/records')
  @Access({ roles: ['admin'] })
  @IdempotencyNotOffered()
  @HttpCode(200)
  @SpreadsheetBody(UploadResultView, [200])
  async records(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { status, body } = await this.golive.uploadRecords(p, id, req, spreadsheetCharset(req));
    res.status(status).json(body);
  }

  /** Past volunteer hours from the paper logs: CSV or .xlsx `idNumber,title,date,hours` (or 身份证号,服务内容,服务日期,时长); counted as backfilled, without 益币; an upload replaces the one before. */
  @Post(':id/service-hours')
  @Access({ roles: ['admin'] })
  @IdempotencyNotOffered()
  @HttpCode(200)
  @SpreadsheetBody(UploadResultView, [200])
  async serviceHours(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { status, body } = await this.golive.uploadServiceHours(p, id, req, spreadsheetCharset(req));
    res.status(status).json(body);
  }

  /** The paper ledger's closing totals per village and asset (replacing those declared before). */
  @Post(':id/control-totals')
  @HttpCode(200)
  @Access({ roles: ['admin'] })
  controlTotals(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: ControlTotalsDto): Promise<MigrationView> {
    return this.golive.controlTotals(p, id, dto);
  }

  /** Applies it all in one database transaction, by an admin other than the drafter; 422 and nothing written when a village's result differs from its declared total. `?dryRun=true`: applies, computes and rolls back (the drafter may), answering what the villages would hold. */
  @Post(':id/approve')
  @HttpCode(200)
  @Access({ roles: ['admin'] })
  approve(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Query() q: ApproveQuery): Promise<MigrationApprovedView> {
    return this.golive.approve(p, id, { dryRun: q.dryRun === 'true' });
  }
}
