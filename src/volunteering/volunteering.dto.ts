import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsNotEmpty, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { Nested, IsOptional } from '../platform/http/validators';
import { PageQuery } from '../platform/http/pagination';
import { PageOf } from '../platform/http/page.dto';

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

/** An activity of the library (活动库), or a proposal for it. */
export class ActivityView {
  id!: string;
  title!: string;
  category!: string;
  regionCode!: string;
  startsAt!: string;
  endsAt!: string;
  maxHoursPerPerson!: string | null;
  status!: 'proposed' | 'listed';
  /** The 6-digit code volunteers sign in with; null until listed. */
  signInCode!: string | null;
}

export class ActivitiesPage extends PageOf(ActivityView) {}

export class ServiceRecordView {
  id!: string;
  /** The activity served, or null for a service order's hours. */
  activityId!: string | null;
  orderId!: string | null;
  activityTitle!: string;
  reviewNote!: string | null;
  personId!: string;
  regionCode!: string;
  hours!: string;
  /** `signed` (checked in and out) or `backfilled`. */
  kind!: string;
  status!: string;
  /** 益币 credited on verification, or null. */
  credited!: string | null;
  transactionId!: string | null;
  createdAt!: string;
}

export class ServiceRecordsPage extends PageOf(ServiceRecordView) {}

export class CheckInView {
  activityId!: string;
  personId!: string;
  event!: 'check-in';
  /** The server's time. */
  at!: string;
}

export class CheckOutView {
  activityId!: string;
  personId!: string;
  event!: 'check-out';
  at!: string;
  /** The span since the check-in. */
  hours!: string;
}

export class CheckInRowView {
  personId!: string;
  /** Masked to auditors. */
  name!: string;
  checkedInAt!: string;
  checkedOutAt!: string | null;
  hours!: string | null;
}

export class CheckInsView {
  items!: CheckInRowView[];
}

export class ServiceRecordEnteredView {
  id!: string;
  personId!: string;
  hours!: string;
  kind!: string;
  /** `submitted`: waits for verification. */
  status!: string;
}

export class AttendanceView {
  items!: ServiceRecordEnteredView[];
}

export class ServiceVerifiedView {
  id!: string;
  status!: 'verified';
  /** 益币 credited (0 for backfilled hours). */
  credited!: string;
  transactionId!: string | null;
}

export class ServiceSummaryView {
  personId!: string;
  verifiedHours!: string;
  credited!: string;
  serviceRecords!: number;
  /** 1–5 stars at 100/300/600/1000/1500 hours. */
  stars!: number;
}
