import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsOptional } from '../platform/http/validators';
import { LedgerAnchorView } from '../ledger/ledger.dto';
import { PageOf } from '../platform/http/page.dto';

export class CreateBoardDto {
  @IsString() @Matches(/^\d{12}$/, { message: 'villageCode must be a 12-digit village code' })
  villageCode!: string;

  /** A month (2026-10) or a quarter (2026-Q4). */
  @IsString() @Matches(/^\d{4}-((0[1-9]|1[0-2])|Q[1-4])$/, { message: 'period must be a month (2026-10) or a quarter (2026-Q4)' })
  period!: string;

  /** How many households the red list shows (default 10). */
  @IsOptional() @IsInt() @Min(1) @Max(100)
  size?: number;
}

export class BoardsQuery {
  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'villageCode must be a region code' })
  villageCode?: string;
}

export class ParticipationQuery {
  /** The township or county (default: the caller's scope). */
  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode?: string;

  /** The month, e.g. 2026-12. */
  @IsString() @Matches(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'period must be a month, e.g. 2026-12' })
  period!: string;
}

export class RedLineView {
  rank!: number;
  householdId!: string;
  name!: string;
  /** Net conduct points of the period. */
  net!: string;
  credits!: string;
  debitItems!: number;
}

export class BlackItemView {
  ruleCode!: string;
  ruleName!: string;
  points!: string;
  occurredOn!: string;
}

export class BoardSanctionView {
  code!: string;
  benefitCodes!: string[];
}

export class BlackLineView {
  householdId!: string;
  name!: string;
  items!: BlackItemView[];
  sanctions!: BoardSanctionView[];
}

/** A village's red and black board (红黑榜) for a month or quarter. */
export class BoardView {
  id!: string;
  villageCode!: string;
  /** 2026-11 or 2026-Q4. */
  period!: string;
  status!: 'draft' | 'published';
  red!: RedLineView[];
  black!: BlackLineView[];
  createdAt!: string;
  publishedAt!: string | null;
}

export class BoardsView extends PageOf(BoardView) {}

export class BoardPublishedView extends BoardView {
  /** The ledger's seal printed on the board. */
  ledgerAnchor!: LedgerAnchorView | null;
}

export class PublicRedLineView {
  rank!: number;
  /** Masked. */
  name!: string;
  net!: string;
}

export class PublicBlackItemView {
  ruleName!: string;
  points!: string;
  occurredOn!: string;
}

export class PublicBlackLineView {
  name!: string;
  items!: PublicBlackItemView[];
  /** Some benefits suspended. */
  sanctioned!: boolean;
}

/** The published board as the public sees it: masked names, no ids. */
export class PublicBoardView {
  villageCode!: string;
  villageName!: string;
  period!: string;
  /** 2026年11月, 2026年第四季度. */
  periodLabel!: string;
  publishedAt!: string;
  ledgerAnchor!: LedgerAnchorView | null;
  red!: PublicRedLineView[];
  black!: PublicBlackLineView[];
}

export class VillageParticipationView {
  villageCode!: string;
  villageName!: string;
  households!: number;
  /** Households with a record posted for the month or a claim made in it. */
  active!: number;
  /** active ÷ households, to 3 places. */
  rate!: number;
  issued!: string;
  redeemed!: string;
  claims!: number;
  claimsApproved!: number;
}

export class ParticipationView {
  regionCode!: string;
  period!: string;
  asset!: string;
  /** Lowest rate first. */
  villages!: VillageParticipationView[];
}
