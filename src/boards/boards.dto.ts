import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsOptional } from '../platform/http/validators';

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
