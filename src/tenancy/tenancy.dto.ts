import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { IsOptional } from '../platform/http/validators';
import { PageQuery } from '../platform/http/pagination';
import { PageOf } from '../platform/http/page.dto';

export class CreateTenantDto {
  /** 6-digit county code (national statistical division code). */
  @IsString() @Matches(/^\d{6}$/, { message: 'regionCode must be a 6-digit county code' })
  regionCode!: string;

  /** Name of the county center, e.g. 开州区新时代文明实践中心. */
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;
}

export class CreateRegionDto {
  /** 9-digit township or 12-digit village code; it must start with parentCode. */
  @IsString() @Matches(/^(\d{9}|\d{12})$/, { message: 'code must be a 9-digit township or 12-digit village code' })
  code!: string;

  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsString() @Matches(/^(\d{6}|\d{9})$/, { message: 'parentCode must be a 6-digit county or 9-digit township code' })
  parentCode!: string;
}

export class ListRegionsQuery extends PageQuery {
  /** Only this region and its subtree. */
  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'under must be a region code' })
  under?: string;
}

export class TenantView {
  id!: string;
  regionCode!: string;
  name!: string;
}

export class RegionView {
  code!: string;
  name!: string;
  level!: string;
  parentCode!: string | null;
  tenantId!: string;
}

export class TenantsPage extends PageOf(TenantView) {}

export class RegionsPage extends PageOf(RegionView) {}
