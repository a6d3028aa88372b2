import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { KeyPrincipal } from '../auth/principal';
import { IdParam } from '../platform/http/validation';
import { BankRead } from './bank-rate-limit.interceptor';
import { AccessLogQuery, BankAccessLogView, BankView, BanksView, ConsentGrantedView, ConsentHistoryView, ConsentRevokedView, ConsentsQuery, ConsentsView, CreateBankDto, CreateConsentDto, CreditReportQuery, CreditReportView, CurrentSigningKeyView, ExportQuery, GradeLookupQuery, GradeLookupView, LoanDto, LoanView, SigningKeyView, SigningKeysView } from './banks.dto';
import { BanksService } from './banks.service';
import { SigningKeyService } from './signing-key.service';

@ApiTags('banks')
@Controller('v1')
export class BanksController {
  constructor(
    private readonly banks: BanksService,
    private readonly signing: SigningKeyService,
  ) {}

  /** Registers a bank (admin); its keys are issued separately. */
  @Post('banks')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  create(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateBankDto): Promise<BankView> {
    return this.banks.createBank(p, dto);
  }

  /** The tenant's banks. */
  @Get('banks')
  @Access({ roles: ['admin', 'auditor', 'clerk'] })
  list(@CurrentPrincipal() p: KeyPrincipal): Promise<BanksView> {
    return this.banks.listBanks(p);
  }

  /** The household's separate consent for one bank and one purpose, with the signed form's reference. */
  @Post('consents')
  @HttpCode(201)
  @Access({ roles: ['admin', 'clerk'] })
  consent(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateConsentDto): Promise<ConsentGrantedView> {
    return this.banks.grantConsent(p, dto);
  }

  /** Households' consents to banks, by household or bank. */
  @Get('consents')
  @Access({ roles: ['admin', 'auditor', 'clerk'] })
  consents(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ConsentsQuery): Promise<ConsentsView> {
    return this.banks.listConsents(p, q);
  }

  /** A consent's history: granted, revoked, expired, with who and when (append-only). */
  @Get('consents/:id/history')
  @Access({ roles: ['admin', 'auditor', 'clerk'] })
  consentHistory(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ConsentHistoryView> {
    return this.banks.consentHistory(p, id);
  }

  /** Revokes a consent; the bank stops seeing the household at once. */
  @Delete('consents/:id')
  @Access({ roles: ['admin', 'clerk'] })
  revoke(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ConsentRevokedView> {
    return this.banks.revokeConsent(p, id);
  }

  /** The county's current public key that verifies X-Export-Signature, its keyId, and what exactly is signed. */
  @Get('bank/signing-key')
  @Access({ roles: ['admin', 'auditor', 'bank'] })
  signingKey(@CurrentPrincipal() p: KeyPrincipal): Promise<CurrentSigningKeyView> {
    return this.signing.describe(p.tenantId);
  }

  /** Every export key of the county, current and retired, newest first: pick the one X-Export-Key-Id names. */
  @Get('bank/signing-keys')
  @Access({ roles: ['admin', 'auditor', 'bank'] })
  signingKeys(@CurrentPrincipal() p: KeyPrincipal): Promise<SigningKeysView> {
    return this.signing.list(p.tenantId);
  }

  /** Rotates the county's export key: the current one retires (and stays listed), a new one signs from now on. */
  @Post('bank/signing-keys')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  rotateSigningKey(@CurrentPrincipal() p: KeyPrincipal): Promise<SigningKeyView> {
    return this.signing.rotate(p);
  }

  /** A consenting household's grade from the latest published run, by the head's ID number; 404 otherwise. Logged. */
  @Get('bank/grades')
  @Access({ roles: ['bank'] })
  @BankRead({ status: 200, type: GradeLookupView })
  @ApiResponse({ status: 404, description: 'No consenting household with a published grade for this ID number (the same answer for all three cases).' })
  grade(@CurrentPrincipal() p: KeyPrincipal, @Query() q: GradeLookupQuery): Promise<GradeLookupView> {
    return this.banks.gradeByIdNumber(p, q.idNumber);
  }

  /** Every consenting household of the latest published run in a region, signed (X-Export-Digest, X-Export-Signature). Logged. */
  @Get('bank/grades/export')
  @Access({ roles: ['bank'] })
  @ApiProduces('text/csv', 'application/x-ndjson')
  @BankRead({
    status: 200,
    description: 'The export (CSV with a header line, or one JSON object a line), streamed. Verify X-Export-Signature over X-Export-Digest (see GET /v1/bank/signing-key).',
    content: { 'text/csv': { schema: { type: 'string' } }, 'application/x-ndjson': { schema: { type: 'string' } } },
    headers: {
      'X-Export-Digest': { description: 'SHA-256 of the body, hex', schema: { type: 'string' } },
      'X-Export-Signature': { description: 'Ed25519 signature, base64, of: digest + "\\n" + run id + "\\n" + your bankId', schema: { type: 'string' } },
      'X-Export-Key-Id': { description: 'The keyId of the signing key (GET /v1/bank/signing-keys)', schema: { type: 'string' } },
      'X-Export-Run-Id': { description: 'The grade run exported', schema: { type: 'string' } },
      'X-Export-As-Of': { description: 'The business day the run counts as of', schema: { type: 'string', format: 'date' } },
      'X-Export-Households': { description: 'Lines in the export', schema: { type: 'integer' } },
    },
  })
  async export(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ExportQuery, @Res() res: Response) {
    await this.banks.export(p, q.regionCode, q.format ?? 'csv', res);
  }

  /** A loan granted on a grade, reported back by the bank. */
  @Post('bank/loans')
  @HttpCode(201)
  @Access({ roles: ['bank'] })
  @BankRead({ status: 201, type: LoanView })
  loan(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: LoanDto): Promise<LoanView> {
    return this.banks.reportLoan(p, dto);
  }

  /** Every bank read, append-only (auditor, admin). */
  @Get('bank-access-log')
  @Access({ roles: ['admin', 'auditor'] })
  accessLog(@CurrentPrincipal() p: KeyPrincipal, @Query() q: AccessLogQuery): Promise<BankAccessLogView> {
    return this.banks.accessLog(p, q);
  }

  /** Consenting households, loans granted and their amounts, per village. */
  @Get('reports/credit')
  @Access({ roles: ['admin', 'auditor'] })
  report(@CurrentPrincipal() p: KeyPrincipal, @Query() q: CreditReportQuery): Promise<CreditReportView> {
    return this.banks.creditReport(p, q.regionCode);
  }
}
