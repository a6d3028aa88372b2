import { IsIn, IsNotEmpty, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { DECIMAL } from '../redemption/redemption.dto';
import { IsBusinessDate, IsDecimalString, IsOptional, Nested, REGION_CODE as REGION } from '../platform/http/validators';
import { PageOf } from '../platform/http/page.dto';

export class CreateFundDto {
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsString() @Matches(REGION, { message: 'regionCode must be a region code' })
  regionCode!: string;

  /** XIAOSHAN points per CNY for donations made on a household's behalf, e.g. "1". */
  @IsOptional() @IsDecimalString({ positive: true })
  conversionRate?: string;

  /** Coverage ratio under which the fund is flagged (default "1"). */
  @IsOptional() @IsString() @Matches(DECIMAL, { message: 'coverageAlertBelow must be a decimal string such as "1.2"' })
  coverageAlertBelow?: string;
}

export class DonationHolderDto {
  @IsIn(['household'])
  type!: 'household';

  @IsUUID('all')
  id!: string;
}

export class DonationDto {
  /** The donor's name as it should appear (a person, a company, 乡贤…). */
  @IsString() @IsNotEmpty() @MaxLength(100)
  donor!: string;

  /** CNY, e.g. "500.00". */
  @IsString() @Matches(/^(0|[1-9]\d{0,9})(\.\d{1,2})?$/, { message: 'amount must be CNY as a decimal string such as "500.00"' })
  amount!: string;

  /** The household on whose behalf it is given (子女为父母捐): it earns XIAOSHAN points at the fund's rate. */
  @IsOptional() @Nested(() => DonationHolderDto)
  holder?: DonationHolderDto;
}

export class SettleDto {
  @IsUUID('all')
  shopId!: string;

  /** Settle completed redemptions up to and including this business day. */
  @IsBusinessDate()
  through!: string;
}

export class PaidDto {
  /** The bank transfer's reference, or the receipt number. */
  @IsString() @IsNotEmpty() @MaxLength(200)
  reference!: string;
}

export class SettlementsQuery {
  @IsOptional() @IsUUID('all')
  shopId?: string;
}

export class FundView {
  id!: string;
  name!: string;
  regionCode!: string;
  /** XIAOSHAN points per CNY for donations on a household's behalf; null: such donations earn nothing. */
  conversionRate!: string | null;
  coverageAlertBelow!: string;
}

export class FundsView extends PageOf(FundView) {}

export class FundOutstandingView {
  asset!: string;
  /** Points of this asset the fund backs. */
  points!: string;
  /** Their value in CNY at the shops' rates. */
  valueCny!: string;
}

export class FundCoverageView extends FundView {
  /** The fund's CNY balance. */
  balance!: string;
  /** Points of every asset it backs, added up. */
  outstandingPoints!: string;
  outstandingCny!: string;
  outstanding!: FundOutstandingView[];
  /** balance ÷ outstandingCny to 4 places; null when it backs nothing. */
  coverageRatio!: string | null;
  belowAlert!: boolean;
  /** In Chinese, when below the fund's threshold. */
  alert?: string;
}

export class DonationView {
  id!: string;
  fundId!: string;
  donor!: string;
  amount!: string;
  householdId!: string | null;
  /** XIAOSHAN points the household earned, or null. */
  points!: string | null;
  transactionId!: string;
}

export class SettlementAssetView {
  asset!: string;
  points!: string;
  amountCny!: string;
}

export class SettlementHolderView {
  type!: string;
  id!: string;
}

export class SettlementLineView {
  redemptionId!: string;
  completedAt!: string;
  holder!: SettlementHolderView;
  asset!: string;
  points!: string;
  /** CNY per point, agreed when redeemed. */
  rate!: string;
  amountCny!: string;
}

export class SettlementView {
  id!: string;
  shopId!: string;
  fundId!: string;
  /** The last business day it covers. */
  through!: string;
  /** How many redemptions. */
  redemptions!: number;
  points!: string;
  amountCny!: string;
  byAsset!: SettlementAssetView[];
  lines!: SettlementLineView[];
  status!: 'issued' | 'paid';
  transactionId!: string;
  paidAt!: string | null;
  paidReference!: string | null;
  paidTransactionId!: string | null;
  createdAt!: string;
}

export class SettlementSummaryView {
  id!: string;
  shopId!: string;
  through!: string;
  redemptions!: number;
  points!: string;
  amountCny!: string;
  status!: 'issued' | 'paid';
  paidAt!: string | null;
  createdAt!: string;
}

export class SettlementsView extends PageOf(SettlementSummaryView) {}
