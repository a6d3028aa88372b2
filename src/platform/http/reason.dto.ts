import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Why: voiding a record, refunding a redemption, cancelling an order. */
export class ReasonDto {
  @IsString() @IsNotEmpty() @MaxLength(500)
  reason!: string;
}
