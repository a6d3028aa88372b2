import { IsString, Matches, MaxLength } from 'class-validator';
import { IsBusinessDate, IsOptional } from '../platform/http/validators';
import { RULE_CODE_RE } from '../records/records.dto';

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
