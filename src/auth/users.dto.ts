import { IsIn, IsNotEmpty, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { IsOptional } from '../platform/http/validators';
import { PageQuery } from '../platform/http/pagination';
import { ROLES, Role } from './principal';
import { PageOf } from '../platform/http/page.dto';

/** The roles a person may hold: every key role except `bank` (banks are machines). */
export const USER_ROLES = ROLES.filter((r) => r !== 'bank') as Exclude<Role, 'bank'>[];
export type UserRole = (typeof USER_ROLES)[number];

const PHONE = /^1\d{10}$/;
const PHONE_MESSAGE = 'phone must be a mobile number of 11 digits, such as 13800138000';

export class CreateUserDto {
  /** Needed only when the platform admin creates a tenant's first user. */
  @IsOptional() @IsUUID('all')
  tenantId?: string;

  /** The person's name as colleagues know it, e.g. 王文书. */
  @IsString() @IsNotEmpty() @MaxLength(50)
  name!: string;

  /** Mobile number; signs in with it. One user per number across the platform. */
  @IsString() @Matches(PHONE, { message: PHONE_MESSAGE })
  phone!: string;

  @IsIn(USER_ROLES, { message: `role must be one of ${USER_ROLES.join(', ')}` })
  role!: UserRole;

  /** Region subtree for clerk/reviewer/organizer; defaults to the whole county. */
  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'scopeRegionCode must be a region code' })
  scopeRegionCode?: string;

  /** Required for shopkeepers. */
  @IsOptional() @IsUUID('all')
  shopId?: string;
}

export class UserView {
  id!: string;
  tenantId!: string;
  name!: string;
  /** Masked: 138****8000. */
  phone!: string;
  role!: UserRole;
  scopeRegionCode!: string;
  shopId!: string | null;
  mustChangePassword!: boolean;
  disabled!: boolean;
  lastSignInAt!: string | null;
  createdAt!: string;
}

export class UserCreated {
  id!: string;
  tenantId!: string;
  name!: string;
  /** As given, this once. */
  phone!: string;
  role!: UserRole;
  scopeRegionCode!: string;
  shopId!: string | null;
  /** Shown once; must be changed at the first sign-in. */
  initialPassword!: string;
}

export class ListUsersQuery extends PageQuery {
  /** Needed only by the platform admin. */
  @IsOptional() @IsUUID('all')
  tenantId?: string;
}

export class SignInUserDto {
  @IsString() @MaxLength(20)
  phone!: string;

  @IsString() @MinLength(1) @MaxLength(200)
  password!: string;
}

export class ChangePasswordDto {
  @IsString() @MinLength(1) @MaxLength(200)
  currentPassword!: string;

  /** At least 8 characters, not the phone number, not the current password. */
  @IsString() @MinLength(8, { message: '新密码至少 8 位' }) @MaxLength(200)
  newPassword!: string;
}

export class SessionUser {
  id!: string;
  name!: string;
  role!: UserRole;
  scopeRegionCode!: string;
  shopId!: string | null;
  mustChangePassword!: boolean;
}

export class SessionOpened {
  /** A bearer token, like a key; lapses after 12 hours without use. */
  token!: string;
  /** When it lapses if not used again. */
  expiresAt!: string;
  user!: SessionUser;
}

export class InitialPasswordView {
  initialPassword!: string;
}

export class UsersPage extends PageOf(UserView) {}

/** Who is acting: the platform admin (type and name only), or a user or key of a county. */
export class MeView {
  type!: 'platform' | 'key' | 'user';
  name!: string;
  id?: string;
  tenantId?: string;
  role?: Role;
  scopeRegionCode?: string;
  /** The scope's name, for the console's header. */
  scopeRegionName?: string;
  shopId?: string | null;
  bankId?: string | null;
  mustChangePassword?: boolean;
}
