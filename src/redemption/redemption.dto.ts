import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsNotEmpty, IsObject, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageQuery } from '../platform/http/pagination';
import { IsBusinessDate, IsDecimalString, Nested, IsOptional, REGION_CODE as REGION } from '../platform/http/validators';
import { PageOf } from '../platform/http/page.dto';

const ASSET = /^[A-Z][A-Z0-9_]{1,15}$/;
export const DECIMAL = /^(0|[1-9]\d{0,11})(\.\d{1,6})?$/;
const SKU = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

export class CreateShopDto {
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsString() @Matches(REGION, { message: 'regionCode must be a region code' })
  regionCode!: string;

  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(8) @ArrayUnique() @Matches(ASSET, { each: true, message: 'acceptedAssets must be asset codes' })
  acceptedAssets!: string[];

  /** CNY per point for each accepted asset, e.g. { "CONDUCT": "1" }. */
  @IsObject()
  rates!: Record<string, string>;

  @IsUUID('all')
  fundId!: string;
}

export class CreateItemDto {
  @IsString() @Matches(SKU, { message: 'sku must be 1–40 letters, digits, "_", "." or "-"' })
  sku!: string;

  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsString() @Matches(ASSET, { message: 'asset must be an asset code' })
  asset!: string;

  /** Points, e.g. "20". */
  @IsDecimalString({ positive: true })
  price!: string;

  @IsInt() @Min(0) @Max(1_000_000)
  stock!: number;
}

export class StockDto {
  /** Units added (positive) or taken out (negative) of stock. */
  @IsInt() @Min(-1_000_000) @Max(1_000_000)
  change!: number;
}

export class RedemptionHolderDto {
  @IsIn(['household', 'person'])
  type!: 'household' | 'person';

  /** The holder's id; a household may be named by its 户号 in \`no\` instead. */
  @IsUUID('all')
  id!: string;

  /** 户号, instead of \`id\` (households only): replaced by the household's id before anything else reads the body. */
  @IsOptional() @IsString() @Matches(/^\d{12}-\d{4,8}$/, { message: 'no must be a household number such as 500154101001-0023' })
  no?: string;
}

export class RedemptionLineDto {
  @IsString() @Matches(SKU, { message: 'sku must be an item sku' })
  sku!: string;

  @IsInt() @Min(1) @Max(1000)
  quantity!: number;
}

export class CreateRedemptionDto {
  @IsUUID('all')
  shopId!: string;

  @Nested(() => RedemptionHolderDto)
  holder!: RedemptionHolderDto;

  /** The holder types it at the counter. */
  @IsString() @Matches(/^\d{4,6}$/, { message: 'pin must be 4 to 6 digits' })
  pin!: string;

  /** A basket… */
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @Nested(() => RedemptionLineDto, { each: true })
  lines?: RedemptionLineDto[];

  /** …or a plain amount of one asset. */
  @IsOptional() @IsString() @Matches(ASSET, { message: 'asset must be an asset code' })
  asset?: string;

  @IsOptional() @IsString() @Matches(DECIMAL, { message: 'amount must be a decimal string such as "20"' })
  amount?: string;
}

export class RedemptionQuery {
  /** Reserve points and stock only; complete or cancel later. */
  @IsOptional() @IsIn(['true', 'false'])
  hold?: 'true' | 'false';

  /** How long a hold lasts, in minutes (default 30). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(24 * 60)
  holdMinutes?: number;
}

export class ListRedemptionsQuery extends PageQuery {
  @IsOptional() @IsUUID('all')
  shopId?: string;

  /** Business day (Asia/Shanghai), e.g. today's redemptions at the counter. */
  @IsOptional() @IsBusinessDate()
  on?: string;
}

export class PinDto {
  @IsString() @Matches(/^\d{4,6}$/, { message: 'pin must be 4 to 6 digits' })
  pin!: string;
}

export class PinParams {
  @IsIn(['household', 'person'])
  type!: 'household' | 'person';

  @IsUUID('all')
  id!: string;
}


export class RedemptionLineView {
  /** @example "SOAP" */
  sku!: string;
  /** @example "洗衣皂" */
  name!: string;
  /** @example 2 */
  quantity!: number;
  /** @example "5.00" */
  unitPrice!: string;
  /** @example "10.00" */
  amount!: string;
}

/** A redemption at a shop. The shop sees what was spent, never the holder's balance. */
export class RedemptionView {
  id!: string;
  shopId!: string;
  holder!: RedemptionHolderRefView;
  /** @example "CONDUCT" */
  asset!: string;
  /**
   * Points spent (or held), a decimal string at the asset's scale.
   * @example "10.00"
   */
  amount!: string;
  /** `held` (reserved until `expiresAt`), `completed`, `cancelled`, `expired` or `refunded`. */
  status!: string;
  lines!: RedemptionLineView[];
  expiresAt!: string | null;
  transactionId!: string | null;
  refundTransactionId!: string | null;
  settlementId!: string | null;
  createdAt!: string;
}

export class RedemptionHolderRefView {
  /** @example "household" */
  type!: string;
  id!: string;
}

export class RedemptionsView extends PageOf(RedemptionView) {}

/** A partner shop (积分超市, 爱心商家). */
export class ShopView {
  id!: string;
  /** @example "岳溪镇积分超市" */
  name!: string;
  /** @example "500154101" */
  regionCode!: string;
  /** The fund that pays it at settlement. */
  fundId!: string;
  acceptedAssets!: string[];
  /** CNY per point, by asset code. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { CONDUCT: '1.00' } })
  rates!: Record<string, string>;
}

export class ShopsView extends PageOf(ShopView) {}

export class ShopItemView {
  /** @example "SOAP" */
  sku!: string;
  /** @example "洗衣皂" */
  name!: string;
  /** @example "CONDUCT" */
  asset!: string;
  /**
   * Points.
   * @example "5.00"
   */
  price!: string;
  /** @example 40 */
  stock!: number;
}

export class ShopItemsView extends PageOf(ShopItemView) {}

export class PinUpdatedView {
  updated!: true;
}
