import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'crypto';
import type { Request } from 'express';
import { ConsoleSessions } from './console-session.service';
import { AppConfig } from '../platform/config/app-config';
import { sha256 } from '../platform/util/sha256';
import { Forbidden, Unauthorized } from '../platform/http/app-error';
import { ACCESS_KEY, AccessRule } from './access.decorator';
import { UsersService } from './users.service';
import type { Principal } from './principal';

/**
 * Global guard: authenticates the bearer (ADMIN_TOKEN, an API key or a
 * user's session token) and
 * checks the route's declared roles. Region scope is checked by the services,
 * where the region of the thing touched is known.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminDigest: Buffer;

  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
    private readonly sessions: ConsoleSessions,
    config: AppConfig,
  ) {
    this.adminDigest = sha256(config.adminToken);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (!rule) throw new Forbidden('this route declares no access rule', 'no-access-rule');
    if (rule.public) return true;
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    let token = m?.[1] ?? null;
    if (!token && !header) {
      // The console: a session cookie stands for the session token (or key) it was opened with, CSRF-checked.
      token = this.sessions.token(req);
      if (token && !this.sessions.csrfOk(req)) throw new Forbidden('the console request lacks its CSRF token', 'csrf');
    }
    if (!token) throw new Unauthorized();
    const principal = await this.authenticate(token);
    if (!principal) throw new Unauthorized(token.startsWith('js_') ? '登录已过期，请重新登录 (the session has ended)' : 'the API key is unknown or revoked');
    req.principal = principal;
    if (principal.kind === 'key' && principal.mustChangePassword && !rule.beforePasswordChange) {
      throw new Forbidden('请先修改初始密码 (change the initial password first: PUT /v1/me/password)', 'password-change-required');
    }
    if (principal.kind === 'platform') {
      if (rule.platform) return true;
      throw new Forbidden('the platform admin token manages tenants; use a tenant key for this', 'platform-not-allowed');
    }
    if (!rule.roles.includes(principal.role)) {
      throw new Forbidden(`role ${principal.role} may not call this endpoint`, 'role-not-allowed');
    }
    return true;
  }

  /** ADMIN_TOKEN, an API key (`jf_…`) or a user's session token (`js_…`). */
  async authenticate(token: string): Promise<Principal | null> {
    if (timingSafeEqual(sha256(token), this.adminDigest)) return { kind: 'platform' };
    return this.users.tenantPrincipal(token);
  }
}
