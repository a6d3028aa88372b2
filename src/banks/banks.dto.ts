import { IsIn, IsISO8601, IsNotEmpty, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsBusinessDate, IsOptional } from '../platform/http/validators';


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
  /** The householdRef a grade lookup answered. */
  @IsUUID('all')
  householdRef!: string;

  /** CNY. */
  @IsString() @Matches(/^(0|[1-9]\d{0,11})(\.\d{1,2})?$/, { message: 'amount must be CNY as a decimal string' })
  amount!: string;

  /** Annual rate, e.g. "0.0385". */
  @IsString() @Matches(/^0(\.\d{1,6})?$|^1(\.0{1,6})?$/, { message: 'rate must be a decimal fraction such as "0.0385"' })
  rate!: string;

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
  /** Opaque reference to the household: pass it back when reporting a loan. */
  householdRef!: string;
  /** AAA, AA, A, or null when the household is not graded. */
  grade!: string | null;
  /** The score, a decimal string. */
  score!: string | null;
  /** The credit line the scorecard gives for the grade, CNY as a decimal string. */
  creditLine!: string | null;
  rateTier!: string | null;
  /** The business day the run counts as of (YYYY-MM-DD). */
  asOf!: string;
  runId!: string;
}

/** An export signing key of the county (Ed25519). */
export class SigningKeyView {
  /** First 16 hex digits of SHA-256 over the public key (SPKI, DER): what X-Export-Key-Id names. */
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
  /** CNY, a decimal string. */
  amount!: string;
  /** Annual rate, a decimal fraction. */
  rate!: string;
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

export class BankAccessLogView {
  items!: BankAccessView[];
  nextCursor!: string | null;
}

export class BankView {
  id!: string;
  name!: string;
}

export class BanksView {
  items!: BankView[];
  nextCursor!: string | null;
}

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

export class ConsentsView {
  items!: ConsentView[];
  nextCursor!: string | null;
}
