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
