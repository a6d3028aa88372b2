import { IsString, Matches } from 'class-validator';

export class EligibilityQuery {
  @IsString() @Matches(/^[A-Z][A-Z0-9_-]{0,31}$/, { message: 'benefit must be a benefit code such as REDEEM' })
  benefit!: string;
}

export class EligibilityView {
  eligible!: boolean;
  /** The sanctions that block the benefit, as `<code>: <reason>`. */
  reasons!: string[];
}

export class SanctionsEvaluatedView {
  /** Households re-evaluated. */
  households!: number;
  activated!: number;
  lifted!: number;
}
