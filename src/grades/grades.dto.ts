import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsNotEmpty, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { Nested, IsOptional, REGION_CODE as REGION } from '../platform/http/validators';
import { FEATURES, Feature } from './domain/scorecard';
import { LedgerAnchorView } from '../ledger/ledger.dto';
import { PageOf } from '../platform/http/page.dto';

const DEC = /^-?(0|[1-9]\d{0,11})(\.\d{1,6})?$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export class BinDto {
  @IsOptional() @IsString() @Matches(DEC, { message: 'min must be a decimal string' })
  min?: string;

  @IsOptional() @IsString() @Matches(DEC, { message: 'max must be a decimal string' })
  max?: string;

  @IsString() @Matches(DEC, { message: 'points must be a decimal string such as "10" or "-5"' })
  points!: string;
}

export class FeatureDto {
  @IsIn(FEATURES, { message: `feature must be one of ${FEATURES.join(', ')}` })
  feature!: Feature;

  @IsOptional() @IsInt() @Min(1) @Max(3650)
  windowDays?: number;

  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(20) @Nested(() => BinDto, { each: true })
  bins!: BinDto[];
}

export class BandDto {
  @IsString() @Matches(/^[A-Z+-]{1,8}$/, { message: 'grade must be 1–8 capital letters, "+" or "-", such as AAA' })
  grade!: string;

  @IsString() @Matches(DEC, { message: 'minScore must be a decimal string' })
  minScore!: string;

  /** Suggested credit line in CNY. */
  @IsString() @Matches(DEC, { message: 'creditLine must be CNY as a decimal string' })
  creditLine!: string;

  @IsString() @IsNotEmpty() @MaxLength(20)
  rateTier!: string;
}

export class DisqualifierDto {
  @IsIn(FEATURES, { message: `feature must be one of ${FEATURES.join(', ')}` })
  feature!: Feature;

  @IsOptional() @IsString() @Matches(DEC, { message: 'atLeast must be a decimal string' })
  atLeast?: string;

  /** The highest grade allowed; null: no grade. */
  @ValidateIf((d: DisqualifierDto) => d.maxGrade !== null) @IsString()
  maxGrade!: string | null;
}

export class CreateScorecardDto {
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(6) @Nested(() => FeatureDto, { each: true })
  features!: FeatureDto[];

  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10) @Nested(() => BandDto, { each: true })
  bands!: BandDto[];

  @IsOptional() @IsArray() @ArrayMaxSize(10) @Nested(() => DisqualifierDto, { each: true })
  disqualifiers?: DisqualifierDto[];
}

export class CreateGradeRunDto {
  @IsString() @Matches(REGION, { message: 'regionCode must be a region code' })
  regionCode!: string;

  @IsString() @Matches(DATE, { message: 'asOf must be a date YYYY-MM-DD' })
  asOf!: string;

  @IsUUID('all')
  scorecardId!: string;
}

export class RunsQuery {
  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode?: string;
}

/** A grade run (孝善信用评级): a region's households graded as of a business day by one scorecard version. */
export class GradeRunView {
  id!: string;
  regionCode!: string;
  /** The business day the features count as of (YYYY-MM-DD). */
  asOf!: string;
  scorecardId!: string;
  scorecardVersion!: number;
  /** `published` (公示) is immutable and what banks read. */
  status!: 'draft' | 'published';
  households!: number;
  /** Households per grade (AAA, AA, A, `ungraded`) and `meanScore` (a decimal string). */
  distribution!: Record<string, number | string | null>;
  createdAt!: string;
  publishedAt!: string | null;
}

export class GradeRunsView extends PageOf(GradeRunView) {}

/** What a new run computed. */
export class GradeRunCreatedView {
  id!: string;
  regionCode!: string;
  asOf!: string;
  status!: 'draft';
  households!: number;
  distribution!: Record<string, number | string | null>;
}

export class GradeRunPublishedView extends GradeRunView {
  ledgerAnchor!: LedgerAnchorView | null;
}

/** A scorecard as drafted, with its id and version. */
export class ScorecardView extends CreateScorecardDto {
  id!: string;
  /** Versions count up under the same name. */
  version!: number;
}

export class ScorecardSummaryView {
  id!: string;
  name!: string;
  version!: number;
  createdAt!: string;
}

export class ScorecardsView extends PageOf(ScorecardSummaryView) {}

export class ScorecardRefView {
  id!: string;
  name!: string;
  version!: number;
}

export class FeatureScoreView {
  @IsIn(FEATURES)
  feature!: Feature;
  /** The household's value of the feature as of the run's day. */
  value!: string;
  /** The matched bin, as written in the scorecard; null when none matched (0 points). */
  bin!: BinDto | null;
  points!: string;
  /** Days counted back from the run's day, for windowed features; null otherwise. */
  windowDays!: number | null;
}

export class GradeExplainedView {
  runId!: string;
  householdId!: string;
  asOf!: string;
  scorecard!: ScorecardRefView;
  features!: FeatureScoreView[];
  /** Null for a household the run could not score. */
  score!: string | null;
  /** The band the score reached, before disqualifiers. */
  scoredGrade!: string | null;
  /** The disqualifiers that capped the grade. */
  disqualifiers!: string[] | null;
  grade!: string | null;
  creditLine!: string | null;
  rateTier!: string | null;
}

export class PublicGradeLineView {
  /** Masked. */
  name!: string;
  grade!: string | null;
}

/** A village's latest published grades (孝善信用), as posted on the wall. */
export class PublicGradesView {
  villageCode!: string;
  villageName!: string;
  asOf!: string;
  publishedAt!: string;
  /** The scorecard's name. */
  scorecard!: string;
  households!: PublicGradeLineView[];
  ledgerAnchor!: LedgerAnchorView | null;
}
