import { IsIn, IsISO8601, IsNotEmpty, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsBusinessDate, IsOptional } from '../platform/http/validators';
import { ActorRefView } from '../auth/actor.dto';
import { PageOf } from '../platform/http/page.dto';


export class CreateBankDto {
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;
}

export class CreateConsentDto {
  @IsUUID('all')
  householdId!: string;

  @IsUUID('all')
  bankId!: string;

  @IsIn(['credit-grade'])
  scope!: 'credit-grade';

  @IsBusinessDate()
  expiresOn!: string;

  /** Where the signed consent form is kept (archive number, scan id). */
  @IsString() @IsNotEmpty() @MaxLength(200)
  documentRef!: string;
}

export class ConsentsQuery {
  @IsOptional() @IsUUID('all')
  householdId?: string;

  @IsOptional() @IsUUID('all')
  bankId?: string;
}

export class GradeLookupQuery {
  /** The head of household's resident ID number (18 characters). */
  @IsString() @Matches(/^\d{17}[\dXx]$/, { message: 'idNumber must be an 18-character resident ID number' })
  idNumber!: string;
}

export class ExportQuery {
  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode?: string;

  @IsOptional() @IsIn(['csv', 'ndjson'])
  format?: 'csv' | 'ndjson';
}

export class LoanDto {
  /**
   * The householdRef a grade lookup answered.
   * @example "8c1f5b2e-3a4d-4e6f-9a0b-1c2d3e4f5a6b"
   */
  @IsUUID('all')
  householdRef!: string;

  /**
   * CNY.
   * @example "30000.00"
   */
  @IsString() @Matches(/^(0|[1-9]\d{0,11})(\.\d{1,2})?$/, { message: 'amount must be CNY as a decimal string' })
  amount!: string;

  /**
   * Annual rate.
   * @example "0.0385"
   */
  @IsString() @Matches(/^0(\.\d{1,6})?$|^1(\.0{1,6})?$/, { message: 'rate must be a decimal fraction such as "0.0385"' })
  rate!: string;

  /** @example "2026-12-06" */
  @IsBusinessDate()
  grantedOn!: string;
}

export class AccessLogQuery {
  @IsOptional() @IsUUID('all')
  bankId?: string;

  @IsOptional() @IsISO8601({ strict: true })
  from?: string;

  @IsOptional() @IsISO8601({ strict: true })
  to?: string;
}

export class CreditReportQuery {
  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode?: string;
}

/**
 * A consenting household's grade, from the latest published run of its region.
 * (Responses are classes, not interfaces, so that the OpenAPI document describes
 * them: the swagger plugin reads *.dto.ts, and a bank's generated client is typed.)
 */
export class GradeLookupView {
  /**
   * Opaque reference to the household: pass it back when reporting a loan.
   * @example "8c1f5b2e-3a4d-4e6f-9a0b-1c2d3e4f5a6b"
   */
  householdRef!: string;
  /**
   * AAA, AA, A, or null when the household is not graded.
   * @example "AA"
   */
  grade!: string | null;
  /**
   * The score, a decimal string.
   * @example "78"
   */
  score!: string | null;
  /**
   * The credit line the scorecard gives for the grade, CNY as a decimal string.
   * @example "50000.00"
   */
  creditLine!: string | null;
  /** @example "优惠2档" */
  rateTier!: string | null;
  /**
   * The business day the run counts as of (YYYY-MM-DD).
   * @example "2026-11-30"
   */
  asOf!: string;
  /** @example "5e0b7c1d-2f3a-4b5c-8d9e-0f1a2b3c4d5e" */
  runId!: string;
}

/** An export signing key of the county (Ed25519). */
export class SigningKeyView {
  /**
   * First 16 hex digits of SHA-256 over the public key (SPKI, DER): what X-Export-Key-Id names.
   * @example "3f9a0c1b2d4e5f60"
   */
  keyId!: string;
  algorithm!: 'Ed25519';
  /** The public key, SPKI DER in base64. */
  publicKey!: string;
  publicKeyPem!: string;
  activeFrom!: string;
  /** When a newer key took over; null for the current key. */
  retiredAt!: string | null;
}

/** The current key, and exactly which bytes X-Export-Signature signs. */
export class CurrentSigningKeyView extends SigningKeyView {
  signedMessage!: string;
}

export class SigningKeysView {
  items!: SigningKeyView[];
}

/** A loan the bank granted on a grade, as recorded. */
export class LoanView {
  id!: string;
  householdRef!: string;
  /**
   * CNY, a decimal string.
   * @example "30000.00"
   */
  amount!: string;
  /**
   * Annual rate, a decimal fraction.
   * @example "0.0385"
   */
  rate!: string;
  /** @example "2026-12-06" */
  grantedOn!: string;
}

/** Every read of a bank, append-only. */
export class BankAccessView {
  id!: string;
  bankId!: string;
  keyId!: string;
  /** e.g. `GET /v1/bank/grades`. */
  endpoint!: string;
  /** Households the read returned. */
  households!: number;
  runId!: string | null;
  at!: string;
}

export class BankAccessLogView extends PageOf(BankAccessView) {}

export class BankView {
  id!: string;
  name!: string;
}

export class BanksView extends PageOf(BankView) {}

/** A household's consent to one bank's reading its grade, as granted. */
export class ConsentGrantedView {
  id!: string;
  householdId!: string;
  bankId!: string;
  scope!: string;
  expiresOn!: string;
  /** The signed paper form's reference (授权书). */
  documentRef!: string;
  status!: string;
}

export class ConsentView extends ConsentGrantedView {
  createdAt!: string;
  revokedAt!: string | null;
}

export class ConsentsView extends PageOf(ConsentView) {}

export class ConsentEventView {
  /** granted, revoked or expired. */
  event!: string;
  actor!: ActorRefView;
  at!: string;
}

export class ConsentHistoryView {
  consentId!: string;
  items!: ConsentEventView[];
}

export class ConsentRevokedView {
  id!: string;
  status!: 'revoked';
}

export class VillageCreditView {
  villageCode!: string;
  consentedHouseholds!: number;
  loans!: number;
  /** CNY lent. */
  amount!: string;
}

export class CreditTotalsView {
  consentedHouseholds!: number;
  loans!: number;
  amount!: string;
}

export class CreditReportView {
  /** Villages with consents or loans. */
  villages!: VillageCreditView[];
  totals!: CreditTotalsView;
}
