import { ArrayMaxSize, IsArray, IsIn, IsNotEmpty, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../platform/http/pagination';
import { ReasonDto } from '../platform/http/reason.dto';
import { IsBusinessDate, Nested, IsOptional } from '../platform/http/validators';
import { ActorRefView } from '../auth/actor.dto';
import { PageOf } from '../platform/http/page.dto';

export const RULE_CODE_RE = /^[A-Z][A-Z0-9_-]{0,15}$/;
export const QUANTITY_RE = /^(0|[1-9]\d{0,5})(\.\d{1,2})?$/;
export const MESSAGES = {
  ruleCode: 'ruleCode must be a code such as R01',
  quantity: 'quantity must be a decimal string such as "1" or "2.5"',
  occurredOn: 'occurredOn must be a date YYYY-MM-DD',
};

export class RecordHolderDto {
  @IsIn(['household', 'person'])
  type!: 'household' | 'person';

  /** The holder's id; a household may be named by its 户号 in \`no\` instead. */
  @IsUUID('all')
  id!: string;

  /** 户号, instead of \`id\` (households only): replaced by the household's id before anything else reads the body. */
  @IsOptional() @IsString() @Matches(/^\d{12}-\d{4,8}$/, { message: 'no must be a household number such as 500154101001-0023' })
  no?: string;
}

export class CreateRecordDto {
  @Nested(() => RecordHolderDto)
  holder!: RecordHolderDto;

  /** The rule item's code in the set that applies to the holder's village on occurredOn. */
  @IsString() @Matches(RULE_CODE_RE, { message: MESSAGES.ruleCode })
  ruleCode!: string;

  /** Needed only when two assets' rule sets use the same code. */
  @IsOptional() @IsString() @Matches(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'asset must be an asset code' })
  asset?: string;

  /** Hours or times for unit items; default "1". */
  @IsOptional() @IsString() @Matches(QUANTITY_RE, { message: MESSAGES.quantity })
  quantity?: string;

  @IsBusinessDate()
  occurredOn!: string;

  /** References to photos or documents (URLs or file ids). */
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsString({ each: true }) @MaxLength(500, { each: true })
  evidence?: string[];

  @IsOptional() @IsString() @MaxLength(500)
  note?: string;
}

export class ObjectionDto extends ReasonDto {
  /** Who objects (a villager's name, as said at the notice board). */
  @IsString() @IsNotEmpty() @MaxLength(100)
  raisedBy!: string;
}

export class ResolveDto extends ReasonDto {
  @IsIn(['upheld', 'dismissed'])
  outcome!: 'upheld' | 'dismissed';
}

export class ListRecordsQuery extends PageQuery {
  @IsOptional() @IsIn(['submitted', 'approved', 'in_notice', 'posted', 'rejected', 'objected', 'voided'])
  status?: string;

  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode?: string;

  @IsOptional() @IsUUID('all')
  holderId?: string;

  /** `claim`: the reviewers' queue of households' own claims (申报); `entry`: everything else. */
  @IsOptional() @IsIn(['entry', 'claim'])
  source?: 'entry' | 'claim';
}

export class SimulateDto {
  @IsBusinessDate()
  from!: string;

  @IsBusinessDate()
  to!: string;
}

export class TemplateQuery {
  /** The village whose households the template lists. */
  @IsString() @Matches(/^\d{12}$/, { message: 'villageCode must be a 12-digit village code' })
  villageCode!: string;
}

export class ImportQuery {
  /** Accept the good lines and report the bad ones, instead of all-or-nothing. */
  @IsOptional() @IsIn(['true', 'false'])
  partial?: 'true' | 'false';

  /**
   * Gone (issue 18): approval on entry let one key enter and post a file. `true`
   * answers 422 naming the two-step way: import, then another reviewer calls
   * POST /v1/records/imports/{importId}/approve.
   */
  @IsOptional() @IsIn(['true', 'false'])
  approve?: 'true' | 'false';

  /** Check every line as the import would and report, then roll back: nothing is written (200). */
  @IsOptional() @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';

  /** Kept for old clients; ignored (the approval names its meeting: ImportApprovalDto.approvalRef). */
  @IsOptional() @IsString() @MaxLength(80)
  approvalRef?: string;
}

export class ListImportsQuery {
  /** `true`: only imports not approved yet (the reviewers' queue). */
  @IsOptional() @IsIn(['true', 'false'])
  pending?: 'true' | 'false';
}

export class ImportApprovalDto {
  /** The meeting whose decisions the file transcribes, e.g. "2026年3月村民代表评议会纪要"; kept with the import and in every record's history. */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(80)
  approvalRef?: string;
}

export class BaseGrantsDto {
  /** The month, e.g. 2026-12. */
  @IsString() @Matches(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'period must be a month, e.g. 2026-12' })
  period!: string;
}

/** A line of an uploaded file that was refused, and why (in Chinese, for the clerk). */
export class RejectedLineView {
  /** Counted with the header as line 1. */
  line!: number;
  errors!: string[];
}

/**
 * What an upload did: 201 (or 200 for a dry run) with the lines accepted; 422,
 * also as `application/json` (not a problem), with every refused line when
 * the file was refused as a whole (nothing of it was written).
 */
export class ImportResultView {
  accepted!: number;
  rejected!: RejectedLineView[];
  /** Set on a dry run: nothing was written. */
  dryRun?: boolean;
  /** The import the records belong to (another reviewer approves it). */
  importId?: string;
}

export { ActorRefView };

export class HolderRefView {
  /** @example "household" */
  type!: string;
  id!: string;
}

export class RecordHistoryView {
  from!: string | null;
  to!: string;
  actor!: ActorRefView;
  reason!: string | null;
  at!: string;
}

/** A record (红黑榜 / 红黄榜 item) of a holder, valued by its rule set. */
export class RecordView {
  id!: string;
  holder!: HolderRefView;
  regionCode!: string;
  ruleCode!: string;
  ruleName!: string;
  ruleSetId!: string;
  ruleSetVersion!: number;
  asset!: string;
  /** `credit` (红榜, adds) or `debit` (黄榜, deducts). */
  direction!: string;
  quantity!: string;
  /** After caps; always positive (`direction` says which way). */
  points!: string;
  uncappedPoints!: string;
  capped!: boolean;
  occurredOn!: string;
  /** Evidence references: `sha256:<hex>` for photos kept by jifen (GET …/evidence/{n}), or what the clerk entered. */
  evidence!: string[];
  /** `entry` (a clerk, an import, a migration) or `claim` (申报 by the household from its page). */
  source!: 'entry' | 'claim';
  note!: string | null;
  /** `submitted`, `approved`, `in_notice`, `posted`, `rejected`, `objected` or `voided`. */
  status!: 'submitted' | 'approved' | 'in_notice' | 'posted' | 'rejected' | 'objected' | 'voided';
  noticeEndsOn!: string | null;
  transactionId!: string | null;
  reversalTransactionId!: string | null;
  createdAt!: string;
  /** One record's own view only. */
  enteredBy?: ActorRefView;
  /** One record's own view only. */
  history?: RecordHistoryView[];
}

/** A cap of a rule item: at most so many points, or so many records, a day, month or year. */
export class CapView {
  period!: 'day' | 'month' | 'year';
  maxPoints?: string;
  maxCount?: number;
}

/** A record as entered, with the cap that cut its value, if one did. */
export class RecordEnteredView extends RecordView {
  cappedBy!: CapView | null;
}

export class RecordsView extends PageOf(RecordView) {}

/** An import (a CSV or workbook of records) with where its records stand. */
export class ImportView {
  id!: string;
  /** Records the import entered. */
  records!: number;
  /** Of those, still waiting for approval. */
  submitted!: number;
  posted!: number;
  createdAt!: string;
  /** The caller imported it, so may not approve it. */
  enteredByMe!: boolean;
  approvedAt!: string | null;
  approvalRef!: string | null;
}

export class ImportsView {
  items!: ImportView[];
}

export class RefusedPostingView {
  /** The import's line, when known. */
  line!: number | null;
  error!: string;
}

export class ImportApprovalView {
  importId!: string;
  /** Records approved now (in notice or posting). */
  approved!: number;
  inNotice!: number;
  posted!: number;
  /** Approved records the ledger refused to post (a balance spent meanwhile): they stay approved and are retried daily. */
  refused!: RefusedPostingView[];
  /** Set when posting stopped halfway: the notice job posts these within a minute. */
  pendingPosting?: number;
}

export class SimulatedHolderView {
  holder!: HolderRefView;
  records!: number;
  /** What was posted for the period. */
  posted!: string;
  /** What this rule set would have given. */
  simulated!: string;
  difference!: string;
}

export class SimulationTotalsView {
  records!: number;
  posted!: string;
  simulated!: string;
  difference!: string;
}

export class SimulationView {
  ruleSetId!: string;
  version!: number;
  asset!: string;
  from!: string;
  to!: string;
  holders!: SimulatedHolderView[];
  totals!: SimulationTotalsView;
}

export class BaseGrantRunView {
  /** The month granted, YYYY-MM. */
  period!: string;
  villages!: number;
  /** Households granted now (none twice). */
  granted!: number;
  /** The points of each village's grant. */
  points!: string[];
}

export class RecordsPostedView {
  posted!: number;
}
