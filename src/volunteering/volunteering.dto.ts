import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsNotEmpty, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { Nested, IsOptional } from '../platform/http/validators';
import { PageQuery } from '../platform/http/pagination';

const HOURS = /^(0|[1-9]\d{0,2})(\.\d{1,2})?$/;

export class CreateActivityDto {
  @IsString() @IsNotEmpty() @MaxLength(200)
  title!: string;

  /** e.g. 助老, 环境整治, 政策宣讲 */
  @IsString() @IsNotEmpty() @MaxLength(50)
  category!: string;

  @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode!: string;

  @IsISO8601({ strict: true })
  startsAt!: string;

  @IsISO8601({ strict: true })
  endsAt!: string;

  @IsOptional() @IsString() @Matches(HOURS, { message: 'maxHoursPerPerson must be a decimal string such as "4"' })
  maxHoursPerPerson?: string;
}

export class AttendanceEntryDto {
  @IsUUID('all')
  personId!: string;

  @IsString() @Matches(HOURS, { message: 'hours must be a decimal string such as "2.5"' })
  hours!: string;

  /**
   * signed: the person checked in and out at the activity (credits 益币, at most
   * the span between check-in and check-out); backfilled (补录): recorded only, with a reason.
   */
  @IsIn(['signed', 'backfilled'])
  kind!: 'signed' | 'backfilled';

  /** Why the hours are backfilled (for example 纸质签到表补录); required for backfilled entries. */
  @ValidateIf((e: AttendanceEntryDto) => e.kind === 'backfilled' || e.reason !== undefined)
  @IsString() @IsNotEmpty({ message: 'reason is required for backfilled hours' }) @MaxLength(500)
  reason?: string;
}

export class CheckInDto {
  @IsUUID('all')
  personId!: string;

  /** The activity's 6-digit sign-in code, as shown at the activity. */
  @IsString() @Matches(/^\d{6}$/, { message: 'code must be the 6-digit sign-in code' })
  code!: string;
}

export class AttendanceDto {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(500) @Nested(() => AttendanceEntryDto, { each: true })
  entries!: AttendanceEntryDto[];
}

export class ListActivitiesQuery extends PageQuery {
  @IsOptional() @IsIn(['proposed', 'listed'])
  status?: 'proposed' | 'listed';

  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode?: string;
}

export class ListServiceRecordsQuery extends PageQuery {
  @IsOptional() @IsIn(['submitted', 'verified'])
  status?: 'submitted' | 'verified';

  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode?: string;

  @IsOptional() @IsUUID('all')
  activityId?: string;

  @IsOptional() @IsUUID('all')
  personId?: string;
}
