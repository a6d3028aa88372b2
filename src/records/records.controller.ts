import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import { actorRef, type KeyPrincipal } from '../auth/principal';
import { NotFound, Unprocessable } from '../platform/http/app-error';
import { SpreadsheetBody, spreadsheetCharset } from '../platform/http/spreadsheet-upload';
import { IdempotencyNotOffered } from '../platform/http/idempotency';
import { IdParam } from '../platform/http/validation';
import { RecordsImportService } from './records-import.service';
import { BaseGrantsService } from './base-grants.service';
import { ReasonDto } from '../platform/http/reason.dto';
import {
  BaseGrantRunView, BaseGrantsDto, CreateRecordDto, ImportApprovalDto, ImportApprovalView, ImportQuery, ImportResultView, ImportsView, ListImportsQuery, ListRecordsQuery, ObjectionDto,
  RecordEnteredView, RecordsPostedView, RecordView, RecordsView, ResolveDto, SimulateDto, SimulationView, TemplateQuery,
} from './records.dto';
import { RecordsService } from './records.service';

const READERS = ['admin', 'auditor', 'clerk', 'reviewer'] as const;

const REVIEWERS = ['admin', 'reviewer'] as const;

@ApiTags('records')
@Controller('v1')
export class RecordsController {
  constructor(
    private readonly records: RecordsService,
    private readonly importer: RecordsImportService,
    private readonly baseGrantsService: BaseGrantsService,
  ) {}

  /**
   * Import a month's records from a CSV file (UTF-8 with or without BOM, or GBK
   * as Excel saves it) or an .xlsx workbook (its first sheet). Columns by
   * header, in any order: 户号 (or holderType+holderId, or 户主身份证号),
   * 户主姓名 (checked against the 户号), 事项代码 or 事项名称, 数量, 发生日期
   * (2026-12-01, 2026/12/1, 2026年12月1日 or an Excel date), 备注; the English
   * header holderType,holderId,ruleCode,quantity,occurredOn,note as well.
   * All-or-nothing unless ?partial=true.
   */
  @Post('records/import')
  @Access({ roles: ['admin', 'clerk', 'reviewer'] })
  @IdempotencyNotOffered()
  @SpreadsheetBody(ImportResultView, [201, 200])
  async importCsv(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ImportQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (q.approve === 'true') {
      throw new Unprocessable('导入后须由另一位审核人审批：先导入（不带 approve），再由另一位审核人调用 POST /v1/records/imports/{importId}/approve', 'approve-on-entry-removed');
    }
    const charset = spreadsheetCharset(req);
    const { status, body } = await this.importer.importFile(p, req, charset, {
      partial: q.partial === 'true',
      dryRun: q.dryRun === 'true',
    });
    res.status(status).json(body);
  }

  /** The import template (.xlsx) for a village: its households listed by 户号 and head's name, the rule items as a drop-down list. */
  @Get('records/import/template')
  @ApiResponse({
    status: 200,
    description: 'The workbook (.xlsx).',
    content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } } },
    headers: { 'Content-Disposition': { description: 'attachment, named after the village', schema: { type: 'string' } } },
  })
  @Access({ roles: ['admin', 'clerk', 'reviewer'] })
  async template(@CurrentPrincipal() p: KeyPrincipal, @Query() q: TemplateQuery, @Res() res: Response): Promise<void> {
    const t = await this.importer.template(p, q.villageCode);
    res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.setHeader('Content-Disposition', `attachment; filename="import-${q.villageCode}.xlsx"; filename*=UTF-8''${encodeURIComponent(`${t.villageName}积分登记表.xlsx`)}`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(t.file);
  }

  /** Imports with records in the key's region, newest first; `?pending=true`: those waiting for approval. */
  @Get('records/imports')
  @Access({ roles: READERS })
  listImports(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ListImportsQuery): Promise<ImportsView> {
    return this.records.listImports(p, q.pending === 'true');
  }

  /**
   * Approves every record of an import still submitted, at once, by a reviewer
   * other than the importer (422 `maker-checker`); records with no notice
   * period post in short transactions, the others go into notice.
   */
  @Post('records/imports/:id/approve')
  @HttpCode(200)
  @Access({ roles: REVIEWERS })
  approveImport(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: ImportApprovalDto): Promise<ImportApprovalView> {
    return this.records.approveImport(p, id, dto.approvalRef);
  }

  /** Enter a conduct record; it is valued at once (caps applied) and waits for review. */
  @Post('records')
  @HttpCode(201)
  @Access({ roles: ['admin', 'clerk'] })
  submit(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateRecordDto): Promise<RecordEnteredView> {
    return this.records.submit(p, dto);
  }

  /** Records in scope, newest first, by status, holder or source (`claim`: the reviewers' queue of claims). */
  @Get('records')
  @Access({ roles: READERS })
  list(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ListRecordsQuery): Promise<RecordsView> {
    return this.records.list(p, q);
  }

  /** A record with its history. */
  @Get('records/:id')
  @Access({ roles: READERS })
  get(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<RecordView> {
    return this.records.get(p, id);
  }

  /** A record's n-th photo (from 0), metadata stripped; staff in the record's scope. */
  @Get('records/:id/evidence/:n')
  @Access({ roles: READERS })
  @ApiResponse({
    status: 200,
    description: 'The photo as stored: re-encoded, without EXIF, GPS or other metadata.',
    content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } }, 'image/png': { schema: { type: 'string', format: 'binary' } } },
  })
  async evidence(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Param('n') n: string, @Res() res: Response): Promise<void> {
    if (!/^(0|[1-9]\d?)$/.test(n)) throw new NotFound(`evidence ${n} of record ${id}`);
    const file = await this.records.evidence(p, id, Number(n));
    res.setHeader('Content-Type', file.mediaType);
    res.setHeader('Content-Length', String(file.bytes));
    // Content-addressed: the bytes of this URL never change, but they are a household's: private caches only.
    res.setHeader('Cache-Control', 'private, max-age=86400');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    file.body.on('error', (e) => res.destroy(e));
    file.body.pipe(res);
  }

  /** Approve (not by the enterer): into public notice, or posted at once when the item has no notice. */
  @Post('records/:id/approve')
  @HttpCode(200)
  @Access({ roles: REVIEWERS })
  approve(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<RecordView> {
    return this.records.approve(p, id);
  }

  /** Rejects a submitted record with a reason (not by its enterer); the household sees the reason. */
  @Post('records/:id/reject')
  @HttpCode(200)
  @Access({ roles: REVIEWERS })
  reject(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: ReasonDto): Promise<RecordView> {
    return this.records.reject(p, id, dto.reason);
  }

  /** An objection raised during public notice. */
  @Post('records/:id/objections')
  @HttpCode(200)
  @Access({ roles: ['admin', 'clerk', 'reviewer'] })
  object(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: ObjectionDto): Promise<RecordView> {
    return this.records.object(p, id, dto.reason, dto.raisedBy);
  }

  /** upheld → rejected; dismissed → posted. */
  @Post('records/:id/resolve')
  @HttpCode(200)
  @Access({ roles: REVIEWERS })
  resolve(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: ResolveDto): Promise<RecordView> {
    return this.records.resolve(p, id, dto.outcome, dto.reason);
  }

  /** Void a posted record; its transaction is reversed. */
  @Post('records/:id/void')
  @HttpCode(200)
  @Access({ roles: REVIEWERS })
  void(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: ReasonDto): Promise<RecordView> {
    return this.records.void(p, id, dto.reason);
  }

  /** What a (draft) rule set would have given over a period, per holder, against what was posted. Writes nothing. */
  @Post('rulesets/:id/simulate')
  @HttpCode(200)
  @Access({ roles: ['admin', 'auditor', 'reviewer'] })
  simulate(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: SimulateDto): Promise<SimulationView> {
    return this.records.simulate(p, id, dto.from, dto.to);
  }

  /** Grant a month's base points (基础分) now, for this tenant (the scheduler also runs it); twice grants nothing twice. */
  @Post('jobs/base-grants')
  @HttpCode(200)
  @Access({ roles: ['admin'] })
  baseGrants(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: BaseGrantsDto): Promise<BaseGrantRunView> {
    return this.baseGrantsService.grant(dto.period, p.tenantId, actorRef(p));
  }

  /** Run the notice job now for this tenant (it also runs every minute). */
  @Post('jobs/post-records')
  @HttpCode(200)
  @Access({ roles: ['admin'] })
  async postDue(@CurrentPrincipal() p: KeyPrincipal): Promise<RecordsPostedView> {
    return { posted: await this.records.postDueRecords(undefined, p.tenantId) };
  }
}
