import { RejectedLineView } from '../records/records.dto';
import { ActorRefView } from '../auth/actor.dto';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { IsDecimalString, IsOptional, Nested } from '../platform/http/validators';

export class CreateMigrationDto {
  /** What is being brought in, e.g. 泉秀村 2019–2026 积分台账. */
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  /** Where the paper is: the ledger books' numbers, the meeting that decided it. */
  @IsString() @IsNotEmpty() @MaxLength(200)
  reference!: string;
}

export class ControlTotalDto {
  @IsString() @Matches(/^\d{12}$/, { message: 'villageCode must be a 12-digit village code' })
  villageCode!: string;

  @IsString() @Matches(/^[A-Z][A-Z0-9_]{1,15}$/, { message: 'asset must be an asset code' })
  asset!: string;

  /** The village's total of that asset in the paper ledger, after everything the migration brings in. */
  @IsDecimalString({ signed: true })
  balance!: string;
}

export class ControlTotalsDto {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(2000) @Nested(() => ControlTotalDto, { each: true })
  totals!: ControlTotalDto[];
}

export class ApproveQuery {
  /** Apply, compute the villages' totals, and roll everything back (nothing is written). */
  @IsOptional() @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';
}

/** What a migration upload staged: 200 with the count, or 422 (`application/json`) with every refused line, nothing staged. */
export class UploadResultView {
  accepted!: number;
  rejected!: RejectedLineView[];
}

export class MigrationCreatedView {
  id!: string;
  name!: string;
  /** The paper ledger or decision it carries over. */
  reference!: string;
  status!: 'draft';
}

export class MigrationCountsView {
  openingBalances!: number;
  records!: number;
  serviceHours!: number;
}

export class PredatingBoardView {
  id!: string;
  villageCode!: string;
  period!: string;
}

export class PredatingGradeRunView {
  id!: string;
  regionCode!: string;
  asOf!: string;
}

/** Publications made before the days the migration reaches back to: they stay as published. */
export class PredatingView {
  boards!: PredatingBoardView[];
  gradeRuns!: PredatingGradeRunView[];
}

/** A village's declared total (from the paper ledger) against what its households would hold. */
export class ReconciliationLineView {
  villageCode!: string;
  asset!: string;
  declared!: string | null;
  computed!: string;
  difference!: string | null;
  matches!: boolean;
}

export class MigrationView {
  id!: string;
  name!: string;
  reference!: string;
  status!: 'draft' | 'applied';
  createdBy!: ActorRefView;
  createdAt!: string;
  approvedBy!: ActorRefView | null;
  appliedAt!: string | null;
  /** Postings made when applied. */
  transactions!: number | null;
  counts!: MigrationCountsView;
  /** The earliest day its lines reach back to. */
  earliestDay!: string | null;
  predates!: PredatingView;
  reconciliation!: ReconciliationLineView[];
}

/** Applied, or (`dryRun`) applied, reconciled and rolled back. */
export class MigrationApprovedView {
  id!: string;
  status!: 'draft' | 'applied';
  /** Present and true on a dry run. */
  dryRun?: boolean;
  transactions!: number;
  /** A dry run's result per village. */
  reconciliation?: ReconciliationLineView[];
}
