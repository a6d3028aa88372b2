import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { Principal, Role } from './principal';

export const ACCESS_KEY = 'jifen:access';

export interface AccessRule {
  /** The platform admin (ADMIN_TOKEN) may call it. */
  platform?: boolean;
  /** Tenant key roles that may call it. */
  roles: readonly Role[];
  /** No credentials needed (health, public boards). */
  public?: boolean;
  /** Open to a user who must still change the initial password (who am I, change it, sign out). */
  beforePasswordChange?: boolean;
}

/**
 * Every route declares who may call it. The guard refuses any route that does
 * not (fail closed), and a test checks that every route has a rule.
 */
export function Access(rule: AccessRule) {
  // x-roles and x-platform say who may call it, in the document integrators (and the fuzz test) read.
  return applyDecorators(
    SetMetadata(ACCESS_KEY, rule),
    ApiBearerAuth(),
    ApiExtension('x-roles', [...rule.roles]),
    ...(rule.platform ? [ApiExtension('x-platform', true)] : []),
  );
}
export const Public = () => applyDecorators(SetMetadata(ACCESS_KEY, { public: true, roles: [] } satisfies AccessRule), ApiSecurity({}));
export const PlatformOnly = () => Access({ platform: true, roles: [] });

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().principal,
);
