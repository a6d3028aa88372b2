import { IsString, Matches, MaxLength } from 'class-validator';
import { IsBusinessDate, IsOptional } from '../platform/http/validators';
import { RULE_CODE_RE } from '../records/records.dto';
import { BalanceItemView, HolderEntryItemView } from '../ledger/ledger.dto';

export class HouseholdPinDto {
  /** The household's PIN, as set by the village (4 to 6 digits). */
  @IsString() @Matches(/^\d{4,6}$/, { message: 'PIN 是 4 到 6 位数字' })
  pin!: string;
}

/** A claim's fields, sent as multipart/form-data beside its `photos`. */
export class ClaimDto {
  /** A credit item of the village's rules (红榜), e.g. R01. */
  @IsString() @Matches(RULE_CODE_RE, { message: '请选择一项好人好事' })
  ruleCode!: string;

  /** The day it happened (within the last month, not in the future). */
  @IsBusinessDate()
  occurredOn!: string;

  /** What happened, in the household's words. */
  @IsOptional() @IsString() @MaxLength(500)
  note?: string;
}

export class PageRuleItemView {
  code!: string;
  name!: string;
  /** credit: 红榜 (adds points); debit: 黄榜 (deducts). */
  direction!: 'credit' | 'debit';
  points!: string;
  /** hour or time, for points per unit; null for points per record. */
  unit!: string | null;
}

/** What the door card's QR code opens. */
export class HouseholdPageView {
  /** 户号. */
  householdNo!: string;
  villageCode!: string;
  villageName!: string;
  /** Masked. */
  headName!: string;
  /** CONDUCT points now. */
  balance!: string;
  /** YYYY-MM. */
  month!: string;
  monthNet!: string;
  /** Rank in the village this month by net points (1 = most; ties share a rank). */
  monthRank!: number;
  villageHouseholds!: number;
  items!: PageRuleItemView[];
  boardUrl!: string;
}

export class HouseholdSessionView {
  /** When the PIN session lapses. */
  expiresAt!: string;
}

export class HouseholdSanctionView {
  code!: string;
  benefitCodes!: string[];
  activatedAt!: string;
  reason!: string;
  /** In words: what lifts it. */
  liftsWhen!: string;
}

export class HouseholdRecordView {
  id!: string;
  ruleCode!: string;
  ruleName!: string;
  /** credit or debit. */
  direction!: string;
  points!: string;
  occurredOn!: string;
  status!: string;
  /** How it was entered: clerk, import, claim, migration. */
  source!: string;
  noticeEndsOn!: string | null;
  photos!: number;
  /** A rejection's reason. */
  reason!: string | null;
  createdAt!: string;
}

export class HouseholdHistoryView {
  householdNo!: string;
  balances!: BalanceItemView[];
  /** CONDUCT points that may be redeemed, above the floor. */
  redeemable!: string;
  redeemFloor!: string;
  sanctions!: HouseholdSanctionView[];
  /** The latest 100 entries. */
  entries!: HolderEntryItemView[];
  records!: HouseholdRecordView[];
  today!: string;
  /** The earliest day a claim may name. */
  earliestClaimDay!: string;
}

export class ClaimEnteredView {
  /** The record entered, waiting for review. */
  id!: string;
  status!: string;
  ruleCode!: string;
  ruleName!: string;
  points!: string;
  photos!: number;
}
