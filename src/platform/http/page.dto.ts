import { ApiProperty } from '@nestjs/swagger';
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

/**
 * The class of a page of `item`s ({ items, nextCursor }), for the OpenAPI document: a
 * module declares `export class TenantsPage extends PageOf(TenantView) {}` in its dto
 * file and its handler returns `Promise<TenantsPage>`. Decorated by hand because the
 * swagger plugin cannot see through a generic.
 */
export function PageOf<T>(item: new (...args: never[]) => T) {
  class PageOfItems {
    @ApiProperty({ type: () => [item] })
    items!: T[];

    @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
    nextCursor!: string | null;
  }
  return PageOfItems;
}
