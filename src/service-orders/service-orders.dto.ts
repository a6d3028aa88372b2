import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsISO8601, IsNotEmpty, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { Nested, IsOptional, REGION_CODE as REGION } from '../platform/http/validators';
import { PageQuery } from '../platform/http/pagination';
import { PageOf } from '../platform/http/page.dto';
import { ActorRefView } from '../auth/actor.dto';

const HOURS = /^(0|[1-9]\d{0,2})(\.\d{1,2})?$/;

export class CreateTeamDto {
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsString() @Matches(REGION, { message: 'regionCode must be a region code' })
  regionCode!: string;

  @IsArray() @ArrayMaxSize(200) @IsUUID('all', { each: true })
  memberIds!: string[];
}

export class CreateMenuItemDto {
  @IsString() @Matches(/^[A-Z][A-Z0-9_-]{0,15}$/, { message: 'code must be a code such as S01' })
  code!: string;

  @IsString() @IsNotEmpty() @MaxLength(100)
  title!: string;

  @IsString() @IsNotEmpty() @MaxLength(50)
  category!: string;

  @IsString() @Matches(REGION, { message: 'regionCode must be a region code' })
  regionCode!: string;
}

export class ServiceSettingsDto {
  @IsString() @Matches(REGION, { message: 'regionCode must be a region code' })
  regionCode!: string;

  /** Ratings at or above it verify the hours at once (default 4). */
  @IsInt() @Min(1) @Max(5)
  ratingThreshold!: number;

  /** Hours a dispatched order may wait for a team to accept it (default 48). */
  @IsInt() @Min(1) @Max(24 * 30)
  responseHours!: number;
}

export class RequesterDto {
  @IsIn(['household', 'person'])
  type!: 'household' | 'person';

  /** The holder's id; a household may be named by its 户号 in \`no\` instead. */
  @IsUUID('all')
  id!: string;

  /** 户号, instead of \`id\` (households only): replaced by the household's id before anything else reads the body. */
  @IsOptional() @IsString() @Matches(/^\d{12}-\d{4,8}$/, { message: 'no must be a household number such as 500154101001-0023' })
  no?: string;
}

export class CreateOrderDto {
  @IsString() @Matches(/^[A-Z][A-Z0-9_-]{0,15}$/, { message: 'menuCode must be a code such as S01' })
  menuCode!: string;

  @Nested(() => RequesterDto)
  requester!: RequesterDto;

  @IsString() @Matches(/^\d{12}$/, { message: 'regionCode must be a 12-digit village code' })
  regionCode!: string;

  @IsOptional() @IsString() @MaxLength(500)
  note?: string;

  @IsOptional() @IsISO8601({ strict: true })
  wantedBy?: string;
}

export class DispatchDto {
  @IsUUID('all')
  teamId!: string;
}

export class OrderReasonDto {
  @IsString() @IsNotEmpty() @MaxLength(500)
  reason!: string;
}

export class DeliveryEntryDto {
  @IsUUID('all')
  personId!: string;

  @IsString() @Matches(HOURS, { message: 'hours must be a decimal string such as "2" or "1.5"' })
  hours!: string;

  /** When the work started (default: the delivery time less the hours). */
  @IsOptional() @IsISO8601({ strict: true })
  startedAt?: string;
}

export class DeliverDto {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @Nested(() => DeliveryEntryDto, { each: true })
  entries!: DeliveryEntryDto[];
}

export class RateDto {
  @IsInt() @Min(1) @Max(5)
  stars!: number;

  @IsOptional() @IsString() @MaxLength(500)
  comment?: string;
}

export class ListOrdersQuery extends PageQuery {
  @IsOptional() @IsIn(['requested', 'dispatched', 'accepted', 'delivered', 'closed', 'cancelled'])
  status?: string;

  @IsOptional() @IsString() @Matches(REGION, { message: 'regionCode must be a region code' })
  regionCode?: string;

  @IsOptional() @IsIn(['true', 'false'])
  overdue?: 'true' | 'false';
}

export class MenuQuery {
  @IsString() @Matches(/^\d{12}$/, { message: 'villageCode must be a 12-digit village code' })
  villageCode!: string;
}

export class OrdersReportQuery {
  @IsOptional() @IsString() @Matches(REGION, { message: 'regionCode must be a region code' })
  regionCode?: string;

  @IsOptional() @IsISO8601({ strict: true })
  from?: string;

  @IsOptional() @IsISO8601({ strict: true })
  to?: string;
}

export class TeamView {
  id!: string;
  name!: string;
  regionCode!: string;
  memberIds!: string[];
}

export class TeamsView extends PageOf(TeamView) {}

export class MenuItemView {
  code!: string;
  title!: string;
  category!: string;
  /** The region whose menu defines it (the village's, its township's or its county's). */
  definedAt!: string;
}

export class MenuView extends PageOf(MenuItemView) {}

export class RequesterRefView {
  type!: string;
  id!: string;
}

/** A service order (点单 → 派单 → 接单 → 送单 → 评单). */
export class ServiceOrderView {
  id!: string;
  menuCode!: string;
  title!: string;
  requester!: RequesterRefView;
  regionCode!: string;
  note!: string | null;
  wantedBy!: string | null;
  status!: 'requested' | 'dispatched' | 'accepted' | 'delivered' | 'closed' | 'cancelled';
  teamId!: string | null;
  overdue!: boolean;
  /** The region it was escalated to when overdue. */
  escalatedTo!: string | null;
  stars!: number | null;
  comment!: string | null;
  requestedAt!: string;
  dispatchedAt!: string | null;
  acceptedAt!: string | null;
  deliveredAt!: string | null;
  closedAt!: string | null;
}

export class ServiceOrdersPage extends PageOf(ServiceOrderView) {}

export class OrderHistoryView {
  from!: string | null;
  to!: string;
  actor!: ActorRefView;
  reason!: string | null;
  at!: string;
}

export class OrderServiceRecordView {
  id!: string;
  personId!: string;
  hours!: string;
  status!: string;
  /** 益币 credited, once verified. */
  credited!: string | null;
  reviewNote!: string | null;
}

export class ServiceOrderDetailView extends ServiceOrderView {
  history!: OrderHistoryView[];
  /** The members' hours, once delivered. */
  service!: OrderServiceRecordView[];
}

export class OrderStatusCountsView {
  requested!: number;
  dispatched!: number;
  accepted!: number;
  delivered!: number;
  closed!: number;
  cancelled!: number;
}

export class TeamReportView {
  teamId!: string;
  name!: string;
  regionCode!: string;
  orders!: number;
  hours!: string;
  yibiCredited!: string;
  meanStars!: string | null;
}

export class ServiceOrdersReportView {
  regionCode!: string;
  orders!: number;
  byStatus!: OrderStatusCountsView;
  overdue!: number;
  medianHoursToAccept!: string | null;
  medianHoursToDeliver!: string | null;
  meanStars!: string | null;
  teams!: TeamReportView[];
}

export class OverdueRunView {
  /** Overdue orders sent back to dispatch. */
  redispatched!: number;
  /** Orders escalated to the township or county. */
  escalated!: number;
}
