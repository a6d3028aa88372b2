import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsOptional } from './validators';

export class PageQuery {
  /** Page size, 1..500 (default 50). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit?: number;

  /** Opaque cursor from the previous page's nextCursor. */
  @IsOptional() @IsString() @MaxLength(512)
  cursor?: string;
}
