import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { Nested, IsBusinessDate, IsDecimalString, IsOptional } from '../platform/http/validators';
import { PageQuery } from '../platform/http/pagination';
import { PageOf } from '../platform/http/page.dto';

const SIGNED = /^-?(0|[1-9]\d{0,9})(\.\d{1,6})?$/;
const decimal = (what: string) => ({ message: `$property must be ${what} decimal string such as "5" or "2.50"` });

export class CapDto {
  @IsIn(['day', 'month', 'year'])
  period!: 'day' | 'month' | 'year';

  @IsOptional() @IsDecimalString({ integerDigits: 10, positive: true })
  maxPoints?: string;

  @IsOptional() @IsInt() @Min(1) @Max(10000)
  maxCount?: number;
}

export class RuleItemDto {
  /** e.g. R01 (红十条) or Y01 (黄十条). */
  @IsString() @Matches(/^[A-Z][A-Z0-9_-]{0,15}$/, { message: '$property must be a code such as R01' })
  code!: string;

  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsIn(['credit', 'debit'])
  direction!: 'credit' | 'debit';

  /** Points per record, or per hour/time when `unit` is set. */
  @IsDecimalString({ integerDigits: 10, positive: true })
  points!: string;

  @IsOptional() @IsIn(['hour', 'time'])
  unit?: 'hour' | 'time';

  @IsOptional() @IsArray() @ArrayMaxSize(3) @Nested(() => CapDto, { each: true })
  caps?: CapDto[];

  @IsOptional() @IsBoolean()
  evidenceRequired?: boolean;

  /** Days of public notice (公示) before posting; default 7, 0 posts on approval. */
  @IsOptional() @IsInt() @Min(0) @Max(60)
  noticeDays?: number;

  @IsOptional() @IsBoolean()
  convertible?: boolean;
}

export class SanctionWhenDto {
  @ValidateIf((o) => o.balanceBelow === undefined) @IsDecimalString({ integerDigits: 10, positive: true })
  deductedAtLeast?: string;

  @ValidateIf((o) => o.balanceBelow === undefined) @IsInt() @Min(1) @Max(3660)
  windowDays?: number;

  @ValidateIf((o) => o.deductedAtLeast === undefined && o.windowDays === undefined) @IsString() @Matches(SIGNED, decimal('a'))
  balanceBelow?: string;
}

export class SanctionLiftDto {
  @IsString() @Matches(SIGNED, decimal('a'))
  balanceAtLeast!: string;
}

/** 基础分: every enrolled household of the set's region gets `points` once per period, effective on the period's first day. */
export class BaseGrantDto {
  @IsDecimalString({ integerDigits: 10, positive: true })
  points!: string;

  @IsIn(['month'])
  period!: 'month';
}

export class SanctionRuleDto {
  @IsString() @Matches(/^[A-Z][A-Z0-9_-]{0,15}$/, { message: '$property must be a code such as S01' })
  code!: string;

  /** Benefits (惠民政策) suspended while the sanction is active; REDEEM blocks redemptions. */
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(20) @IsString({ each: true }) @Matches(/^[A-Z][A-Z0-9_-]{0,31}$/, { each: true, message: 'each benefit code must be upper-case, e.g. REDEEM' })
  benefitCodes!: string[];

  @Nested(() => SanctionWhenDto)
  when!: SanctionWhenDto;

  @IsOptional() @Nested(() => SanctionLiftDto)
  liftWhen?: SanctionLiftDto;
}

export class CreateRuleSetDto {
  @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode!: string;

  @IsString() @Matches(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'asset must be an asset code such as CONDUCT' })
  asset!: string;

  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsBusinessDate()
  effectiveFrom!: string;

  /** The id of the set this one extends (a county's or township's set of the same asset). */
  @IsOptional() @IsUUID('all')
  extends?: string;

  /** The villagers' assembly record that adopted it (村民代表大会决议). */
  @IsOptional() @IsString() @MaxLength(200)
  adoptedBy?: string;

  @IsArray() @ArrayMaxSize(200) @Nested(() => RuleItemDto, { each: true })
  items!: RuleItemDto[];

  @IsOptional() @IsArray() @ArrayMaxSize(20) @Nested(() => SanctionRuleDto, { each: true })
  sanctions?: SanctionRuleDto[];

  /** Points granted when a household enrolls. */
  @IsOptional() @IsDecimalString({ integerDigits: 10, positive: true })
  openingPoints?: string;

  /** Base points (基础分) each period, e.g. 100 a month to deduct from. */
  @IsOptional() @Nested(() => BaseGrantDto)
  baseGrant?: BaseGrantDto;

  /** Points at or below this cannot be redeemed. */
  @IsOptional() @IsString() @Matches(SIGNED, decimal('a'))
  redeemFloor?: string;
}

export class ListRuleSetsQuery extends PageQuery {
  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode?: string;

  @IsOptional() @IsString() @Matches(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'asset must be an asset code' })
  asset?: string;
}

export class ApplicableQuery {
  @IsString() @Matches(/^\d{12}$/, { message: 'villageCode must be a 12-digit village code' })
  villageCode!: string;

  @IsString() @Matches(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'asset must be an asset code' })
  asset!: string;

  /** Default: today (Asia/Shanghai). */
  @IsOptional() @IsBusinessDate()
  date?: string;
}

/** A rule set as stored: its own items and sanctions as drafted, and (where asked) the items in force after inheritance. */
export class RuleSetView {
  id!: string;
  regionCode!: string;
  asset!: string;
  name!: string;
  version!: number;
  status!: 'draft' | 'active' | 'retired';
  effectiveFrom!: string;
  /** The day a newer set took over (exclusive), or null while in force or a draft. */
  effectiveTo!: string | null;
  /** The id of the set this one extends. */
  extends!: string | null;
  adoptedBy!: string | null;
  items!: RuleItemDto[];
  sanctions!: SanctionRuleDto[];
  openingPoints!: string | null;
  /** 基础分: points every enrolled household of the region gets once a period. */
  baseGrant!: BaseGrantDto | null;
  redeemFloor!: string | null;
  createdAt!: string;
  activatedAt!: string | null;
  /** Items after inheritance (the parent's, overridden or added to by this set's). */
  effectiveItems?: RuleItemDto[];
}

export class RuleSetsView extends PageOf(RuleSetView) {}
