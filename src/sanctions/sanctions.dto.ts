import { IsString, Matches } from 'class-validator';

export class EligibilityQuery {
  @IsString() @Matches(/^[A-Z][A-Z0-9_-]{0,31}$/, { message: 'benefit must be a benefit code such as REDEEM' })
  benefit!: string;
}
