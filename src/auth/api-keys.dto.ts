import { IsIn, IsNotEmpty, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsOptional } from '../platform/http/validators';
import { PageQuery } from '../platform/http/pagination';
import { ROLES, Role, type ActorView } from './principal';
import { PageOf } from '../platform/http/page.dto';

export class CreateApiKeyDto {
  @IsUUID('all')
  tenantId!: string;

  /** Who holds the key, e.g. "关面乡 审核员 张*". */
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role!: Role;

  /** Region subtree for clerk/reviewer/organizer; defaults to the whole county. */
  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'scopeRegionCode must be a region code' })
  scopeRegionCode?: string;

  /** Required for shopkeeper keys. */
  @IsOptional() @IsUUID('all')
  shopId?: string;

  /** Required for bank keys. */
  @IsOptional() @IsUUID('all')
  bankId?: string;
}

export class ApiKeyIssued {
  id!: string;
  role!: Role;
  /** Shown once, in the first answer; only its hash is stored, so a replay of the same Idempotency-Key answers without it. */
  apiKey?: string;
  tenantId!: string;
  name!: string;
  scopeRegionCode!: string;
  shopId!: string | null;
  bankId!: string | null;
}

export class ApiKeyView {
  id!: string;
  tenantId!: string;
  name!: string;
  role!: Role;
  scopeRegionCode!: string;
  shopId!: string | null;
  bankId!: string | null;
  createdAt!: string;
  revokedAt!: string | null;
}

export class ApiKeyEventView {
  keyId!: string;
  event!: 'created' | 'revoked';
  role!: string;
  /** `platform`, or `key:<id>` of the tenant admin's key. */
  actor!: ActorView;
  at!: string;
}

export class ListKeysQuery extends PageQuery {
  @IsUUID('all')
  tenantId!: string;
}

export class ApiKeysPage extends PageOf(ApiKeyView) {}

export class ApiKeyEventsPage extends PageOf(ApiKeyEventView) {}
