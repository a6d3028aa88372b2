import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsString, Matches, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { Nested, IsBusinessDate, IsOptional } from '../platform/http/validators';
import { isUuid } from '../platform/http/validation';
import { PageQuery } from '../platform/http/pagination';
import { ActorRefView } from '../auth/actor.dto';
import { PageOf } from '../platform/http/page.dto';

export const HOLDER_TYPES = ['household', 'person', 'shop', 'fund'] as const;

/** A holder reference `{ type, id }`, or the string "issuer" where allowed. */
function IsParty(allowIssuer: boolean) {
  return ValidateBy({
    name: 'isParty',
    validator: {
      validate: (v: unknown) =>
        (allowIssuer && v === 'issuer') ||
        (typeof v === 'object' && v !== null && !Array.isArray(v) &&
          Object.keys(v).length === 2 &&
          HOLDER_TYPES.includes((v as { type: (typeof HOLDER_TYPES)[number] }).type) && isUuid((v as { id: unknown }).id)),
      defaultMessage: (a) =>
        `${a?.property} must be ${allowIssuer ? '"issuer" or ' : ''}{ "type": "household"|"person"|"shop"|"fund", "id": "<uuid>" }`,
    },
  });
}

const HOLDER_SCHEMA = {
  type: 'object',
  properties: { type: { type: 'string', enum: [...HOLDER_TYPES] }, id: { type: 'string', format: 'uuid' } },
  required: ['type', 'id'],
};

const DECIMAL_MESSAGE = { message: '$property must be a decimal string such as "12.50"' };

export class TransferDto {
  @IsString() @Matches(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'asset must be an asset code such as CONDUCT' })
  asset!: string;

  @ApiProperty({ oneOf: [{ type: 'string', enum: ['issuer'] }, HOLDER_SCHEMA] })
  @IsParty(true)
  from!: { type: (typeof HOLDER_TYPES)[number]; id: string } | 'issuer';

  @ApiProperty({ oneOf: [{ type: 'string', enum: ['issuer'] }, HOLDER_SCHEMA] })
  @IsParty(true)
  to!: { type: (typeof HOLDER_TYPES)[number]; id: string } | 'issuer';

  /** Decimal string, e.g. "12.50"; at most the asset's scale in decimals. */
  @IsString(DECIMAL_MESSAGE) @MaxLength(40)
  amount!: string;

  @IsString() @IsNotEmpty() @MaxLength(500)
  memo!: string;

  @IsOptional() @IsObject()
  metadata?: Record<string, unknown>;
}

export class ReverseDto {
  @IsString() @IsNotEmpty() @MaxLength(500)
  reason!: string;
}

export class ExpiryDto {
  @IsIn(['none', 'days', 'yearEnd'])
  policy!: 'none' | 'days' | 'yearEnd';

  @IsOptional() @IsInt() @Min(1) @Max(36500)
  days?: number;
}

export class CreateAssetDto {
  @IsString() @Matches(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'code must be 2-16 upper-case letters, digits or _' })
  code!: string;

  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsIn(HOLDER_TYPES)
  holderType!: (typeof HOLDER_TYPES)[number];

  @IsInt() @Min(0) @Max(6)
  scale!: number;

  @IsBoolean()
  redeemable!: boolean;

  /** Whether penalties may take a holder below zero (CONDUCT does). Default false. */
  @IsOptional() @IsBoolean()
  allowNegative?: boolean;

  @IsOptional() @Nested(() => ExpiryDto)
  expiry?: ExpiryDto;
}

export class HolderParams {
  @IsIn(HOLDER_TYPES)
  type!: (typeof HOLDER_TYPES)[number];

  @IsString() @MaxLength(36)
  id!: string;
}

export class BalancesQuery {
  /** End of this business day (Asia/Shanghai). */
  @IsOptional() @IsBusinessDate()
  asOf?: string;
}

export class EntriesQuery extends PageQuery {
  @IsOptional() @Matches(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'asset must be an asset code' })
  asset?: string;

  /** Only entries effective on or after this business day. */
  @IsOptional() @IsBusinessDate()
  effectiveFrom?: string;

  /** Only entries effective on or before this business day. */
  @IsOptional() @IsBusinessDate()
  effectiveTo?: string;
}

export class ExpireDto {
  /** Expire lots whose expiry day is on or before this business day (default today, Asia/Shanghai). */
  @IsOptional() @IsBusinessDate()
  asOf?: string;
}

export class PointsReportQuery {
  @IsOptional() @IsString() @Matches(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'asset must be an asset code' })
  asset?: string;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(24)
  months?: number;
}

export class AnchorsQuery {
  /** The county's 6-digit code, or the tenant's id. */
  @IsString() @Matches(/^(\d{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, { message: 'tenant must be a county code (6 digits) or a tenant id' })
  tenant!: string;
}

/** Points of a lot that expire on a day (assets with an expiry policy). */
export class ExpiringView {
  expiresOn!: string;
  amount!: string;
}

/** A holder's account in one asset. Amounts are decimal strings at the asset's scale. */
export class BalanceItemView {
  asset!: string;
  balance!: string;
  /** Held by pending redemptions. */
  pending!: string;
  /** balance − pending. */
  available!: string;
  /** Today's view only, for assets that expire: what expires within 30 days. */
  expiringSoon?: ExpiringView[];
}

export class BalancesView {
  /** The business day asked for, or null for now. */
  asOf!: string | null;
  balances!: BalanceItemView[];
}

export class HolderEntryItemView {
  transactionId!: string;
  asset!: string;
  /** Signed from the holder's side: + in, − out. */
  amount!: string;
  balanceAfter!: string;
  kind!: string;
  /** When it was booked. */
  createdAt!: string;
  /** The business day it counts on (Asia/Shanghai). */
  effectiveOn!: string;
  memo!: string;
}

export class HolderEntriesView extends PageOf(HolderEntryItemView) {}

/** A system account by its name ("issuer", "donations", "payouts", …), or a holder's as `{ type, id }`. */
const ACCOUNT_SCHEMA = {
  oneOf: [
    { type: 'string', description: 'A system account by its name, e.g. issuer' },
    { type: 'object', properties: { type: { type: 'string' }, id: { type: 'string' } }, required: ['type', 'id'] },
  ],
};

export class LedgerEntryView {
  @ApiProperty(ACCOUNT_SCHEMA)
  account!: { type: string; id: string } | string;

  asset!: string;
  /** Positive; `direction` says which way. */
  amount!: string;
  direction!: 'credit' | 'debit';
  balanceAfter!: string;
}

export class TransactionSourceView {
  /** What the transaction came from: record, redemption, donation, settlement, … */
  type!: string;
  id!: string;
}

export class TransactionView {
  id!: string;
  kind!: string;
  memo!: string;
  metadata!: Record<string, unknown>;
  source!: TransactionSourceView | null;
  actor!: ActorRefView;
  /** The transaction this one reverses. */
  reversalOf!: string | null;
  /** When it was booked. */
  createdAt!: string;
  /** The business day it counts on (Asia/Shanghai). */
  effectiveOn!: string;
  /** Its link in the tenant's hash chain, hex. */
  hash!: string;
  entries!: LedgerEntryView[];
}

export class AssetView {
  code!: string;
  name!: string;
  /** Who holds it: household, person, shop or fund. */
  holderType!: string;
  /** Decimal places. */
  scale!: number;
  redeemable!: boolean;
  allowNegative!: boolean;
  expiry!: ExpiryDto;
}

export class AssetsView extends PageOf(AssetView) {}

export class ExpiredHolderView {
  type!: string;
  id!: string;
}

export class ExpiredLineView {
  holder!: ExpiredHolderView;
  asset!: string;
  amount!: string;
}

export class ExpiryRunView {
  asOf!: string;
  /** Accounts that had points expire. */
  accounts!: number;
  expired!: ExpiredLineView[];
}

export class PointsMonthView {
  /** YYYY-MM (Asia/Shanghai). */
  month!: string;
  issued!: string;
  redeemed!: string;
  /** Held by households and people at the month's end. */
  outstanding!: string;
}

export class PointsReportView {
  asset!: string;
  months!: PointsMonthView[];
}

export class LedgerVerifyView {
  /** Every transaction's entries sum to zero per asset. */
  balanced!: boolean;
  /** Every account's balance equals the sum of its entries. */
  balancesMatchEntries!: boolean;
  /** The hash chain recomputes to the stored seals. */
  chainIntact!: boolean;
  checkedTransactions!: number;
  problems!: string[];
}

export class AnchorPublicationView {
  type!: 'board' | 'grades';
  id!: string;
  regionCode!: string;
}

export class LedgerAnchorView {
  sealHash!: string;
  /** The first 16 hex digits, as printed on the wall. */
  shortHash!: string;
  sealNo!: string;
  lastTransactionId!: string;
  sealedAt!: string;
  anchoredAt!: string;
  publication!: AnchorPublicationView;
}

export class LedgerAnchorsView {
  tenantId!: string;
  countyCode!: string;
  items!: LedgerAnchorView[];
}
