import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../platform/config/app-config';
import { decoyPasswordHash, hashPassword, initialPassword, verifyPassword } from '../platform/crypto/password';
import { maskPhone, PiiCipher } from '../platform/crypto/pii';
import { pgCode, PG } from '../platform/database/pg-errors';
import { queryRows } from '../platform/database/query-rows';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { BadInput, Conflict, NotFound, TooManyAttempts, Unauthorized, Unprocessable } from '../platform/http/app-error';
import { decodeCursor, Page, pageLimit, toPage } from '../platform/http/pagination';
import { sha256 } from '../platform/util/sha256';
import { TenancyService } from '../tenancy/tenancy.service';
import { ApiKeysService } from './api-keys.service';
import { actorRef, KeyPrincipal, Principal } from './principal';
import { ChangePasswordDto, CreateUserDto, ListUsersQuery, MeView, SessionOpened, UserCreated, UserRole, UserView } from './users.dto';

/** A session lapses after this long without use. */
export const SESSION_IDLE_HOURS = 12;
/** Failed sign-ins of one phone number within the window that lock it. */
export const MAX_SIGN_IN_FAILURES = 5;
export const SIGN_IN_WINDOW_MINUTES = 15;
/** last_used_at is written at most this often per session (a write per request would be a write per request). */
const TOUCH_EVERY_MS = 60_000;

const SESSION_RE = /^js_[A-Za-z0-9_-]{43}$/;

interface UserRow {
  tenant_id: string;
  id: string;
  name: string;
  phone_masked: string;
  role: UserRole;
  scope_region_code: string;
  shop_id: string | null;
  must_change_password: boolean;
  disabled_at: Date | null;
  last_sign_in_at: Date | null;
  created_at: Date;
}

const USER_COLUMNS = `tenant_id, id, name, phone_masked, role, scope_region_code, shop_id, must_change_password, disabled_at, last_sign_in_at, created_at`;

const toView = (u: UserRow): UserView => ({
  id: u.id,
  tenantId: u.tenant_id,
  name: u.name,
  phone: u.phone_masked,
  role: u.role,
  scopeRegionCode: u.scope_region_code,
  shopId: u.shop_id,
  mustChangePassword: u.must_change_password,
  disabled: u.disabled_at !== null,
  lastSignInAt: u.last_sign_in_at?.toISOString() ?? null,
  createdAt: u.created_at.toISOString(),
});

const principalOf = (u: UserRow): KeyPrincipal => ({
  kind: 'key',
  keyId: u.id,
  tenantId: u.tenant_id,
  role: u.role,
  scopeRegionCode: u.scope_region_code,
  shopId: u.shop_id,
  bankId: null,
  actor: { type: 'user', id: u.id, name: u.name },
  mustChangePassword: u.must_change_password,
});

/**
 * People, as opposed to machines: users sign in with a phone number and a
 * password and act with one role and scope, exactly as a key does (the same
 * principal, `actor.type = 'user'`). A session token is a bearer token like a
 * key (`js_…`, 256 random bits, stored as its SHA-256).
 */
@Injectable()
export class UsersService {
  private readonly pii: PiiCipher;

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly keys: ApiKeysService,
    private readonly tenancy: TenancyService,
    config: AppConfig,
  ) {
    this.pii = new PiiCipher(config.piiKey);
  }

  /** Phones are found by a keyed hash of their own domain (never equal to another field's lookup). */
  private phoneLookup(phone: string): Buffer {
    return this.pii.lookup(`user-phone:${phone.trim()}`);
  }

  private tenantOf(p: Principal, tenantId: string | undefined): string {
    if (p.kind === 'key') return p.tenantId;
    if (!tenantId) throw new BadInput('tenantId is required for the platform admin', [{ field: 'tenantId', messages: ['tenantId is required'] }]);
    return tenantId;
  }

  async create(p: Principal, dto: CreateUserDto): Promise<UserCreated> {
    const tenantId = this.tenantOf(p, dto.tenantId);
    const { scope } = await this.keys.grant(p, tenantId, dto);
    const password = initialPassword();
    const id = randomUUID();
    try {
      await this.dataSource.query(
        `INSERT INTO users (tenant_id, id, name, phone_lookup, phone_cipher, phone_masked, role, scope_region_code, shop_id, password_hash, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [tenantId, id, dto.name, this.phoneLookup(dto.phone), this.pii.encrypt(dto.phone), maskPhone(dto.phone), dto.role, scope, dto.shopId ?? null, await hashPassword(password), actorRef(p)],
      );
    } catch (e) {
      if (pgCode(e) === PG.uniqueViolation) throw new Conflict('这个手机号已经有账号了 (a user with this phone number exists)', 'phone-taken');
      throw e;
    }
    return { id, tenantId, name: dto.name, phone: dto.phone, role: dto.role, scopeRegionCode: scope, shopId: dto.shopId ?? null, initialPassword: password };
  }

  async list(p: Principal, q: ListUsersQuery): Promise<Page<UserView>> {
    const tenantId = this.tenantOf(p, q.tenantId);
    const limit = pageLimit(q);
    const after = decodeCursor(q.cursor, 1);
    const scope = p.kind === 'key' ? p.scopeRegionCode : '';
    const rows = await queryRows<UserRow>(
      this.dataSource,
      `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND starts_with(scope_region_code, $2) AND ($3::uuid IS NULL OR id > $3::uuid) ORDER BY id LIMIT $4`,
      [requireTenant(tenantId), scope, after?.[0] ?? null, limit + 1],
    );
    return toPage(rows, limit, (u) => [u.id], toView);
  }

  private async user(p: Principal, id: string): Promise<UserRow> {
    const [u] = await queryRows<UserRow>(this.dataSource, `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    if (!u || (p.kind === 'key' && (u.tenant_id !== p.tenantId || !u.scope_region_code.startsWith(p.scopeRegionCode)))) throw new NotFound(`user ${id}`);
    return u;
  }

  /** Disabled: cannot sign in, and every session ends now. */
  async setDisabled(p: Principal, id: string, disabled: boolean): Promise<UserView> {
    await this.user(p, id);
    if (p.kind === 'key' && p.actor.type === 'user' && p.actor.id === id && disabled) throw new Unprocessable('不能停用自己的账号', 'self-disable');
    await this.uow.run(async (m) => {
      await m.query(`UPDATE users SET disabled_at = CASE WHEN $2::boolean THEN coalesce(disabled_at, now()) END WHERE id = $1`, [id, disabled]);
      if (disabled) await m.query(`UPDATE user_sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL`, [id]);
    });
    return toView(await this.user(p, id));
  }

  /** A new initial password, shown once; the user's sessions end and it must change the password at the next sign-in. */
  async resetPassword(p: Principal, id: string): Promise<{ initialPassword: string }> {
    await this.user(p, id);
    const password = initialPassword();
    const hash = await hashPassword(password);
    await this.uow.run(async (m) => {
      await m.query(`UPDATE users SET password_hash = $2, must_change_password = true WHERE id = $1`, [id, hash]);
      await m.query(`UPDATE user_sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL`, [id]);
    });
    return { initialPassword: password };
  }

  /**
   * POST /v1/sessions. A wrong password, an unknown phone and a disabled user
   * get the same 401 after the same work (a decoy hash). The fifth failure of a
   * phone number within 15 minutes, and every attempt after it until the
   * window passes, is 429 with Retry-After, whatever the password.
   */
  async signIn(phone: string, password: string): Promise<SessionOpened> {
    const lookup = this.phoneLookup(phone);
    await this.refuseIfLocked(lookup);
    const [u] = await queryRows<UserRow & { password_hash: string }>(
      this.dataSource,
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE phone_lookup = $1`,
      [lookup],
    );
    const ok = await verifyPassword(password, u?.password_hash ?? (await decoyPasswordHash()));
    if (!u || !ok || u.disabled_at) {
      await this.dataSource.query(
        `WITH old AS (DELETE FROM sign_in_failures WHERE phone_lookup = $1 AND at < now() - interval '1 day')
         INSERT INTO sign_in_failures (phone_lookup) VALUES ($1)`,
        [lookup],
      );
      await this.refuseIfLocked(lookup);
      throw new Unauthorized('手机号或密码不对');
    }
    const token = `js_${randomBytes(32).toString('base64url')}`;
    const now = new Date();
    await this.uow.run(async (m) => {
      await m.query(`INSERT INTO user_sessions (id, tenant_id, user_id, token_hash, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $5)`, [randomUUID(), u.tenant_id, u.id, sha256(token), now]);
      await m.query(`UPDATE users SET last_sign_in_at = $2 WHERE id = $1`, [u.id, now]);
    });
    return {
      token,
      expiresAt: new Date(now.getTime() + SESSION_IDLE_HOURS * 3600_000).toISOString(),
      user: { id: u.id, name: u.name, role: u.role, scopeRegionCode: u.scope_region_code, shopId: u.shop_id, mustChangePassword: u.must_change_password },
    };
  }

  private async refuseIfLocked(lookup: Buffer): Promise<void> {
    const [w] = await queryRows<{ failures: number; wait: number | null }>(
      this.dataSource,
      `SELECT count(*)::int AS failures,
              ceil(extract(epoch FROM (min(at) + make_interval(mins => $2)) - now()))::int AS wait
         FROM (SELECT at FROM sign_in_failures WHERE phone_lookup = $1 AND at > now() - make_interval(mins => $2) ORDER BY at DESC LIMIT $3) recent`,
      [lookup, SIGN_IN_WINDOW_MINUTES, MAX_SIGN_IN_FAILURES],
    );
    if (w.failures >= MAX_SIGN_IN_FAILURES) {
      const wait = Math.max(1, w.wait ?? SIGN_IN_WINDOW_MINUTES * 60);
      throw new TooManyAttempts(`密码连续输错 ${MAX_SIGN_IN_FAILURES} 次，请 ${Math.ceil(wait / 60)} 分钟后再试`, wait);
    }
  }

  /** A tenant principal for a presented token: a user's session (`js_…`) or an API key (`jf_…`); null when neither is valid. */
  tenantPrincipal(token: string): Promise<KeyPrincipal | null> {
    return token.startsWith('js_') ? this.verifySession(token) : this.keys.verify(token);
  }

  /** The principal of a live session token, or null (unknown, ended, lapsed, or its user disabled). */
  async verifySession(token: string): Promise<KeyPrincipal | null> {
    if (!SESSION_RE.test(token)) return null;
    const [row] = await queryRows<UserRow & { session_id: string; last_used_at: Date }>(
      this.dataSource,
      `SELECT ${USER_COLUMNS.split(', ').map((c) => `u.${c}`).join(', ')}, s.id AS session_id, s.last_used_at
         FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.last_used_at > now() - make_interval(hours => $2) AND u.disabled_at IS NULL`,
      [sha256(token), SESSION_IDLE_HOURS],
    );
    if (!row) return null;
    if (Date.now() - row.last_used_at.getTime() > TOUCH_EVERY_MS) {
      await this.dataSource.query(`UPDATE user_sessions SET last_used_at = now() WHERE id = $1 AND ended_at IS NULL`, [row.session_id]);
    }
    return principalOf(row);
  }

  /** DELETE /v1/sessions/current. */
  async endSession(token: string | null): Promise<void> {
    if (token && SESSION_RE.test(token)) await this.dataSource.query(`UPDATE user_sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS NULL`, [sha256(token)]);
  }

  /** GET /v1/me: who is acting, with the scope's name for the console's header. */
  async me(p: Principal): Promise<MeView> {
    if (p.kind === 'platform') return { type: 'platform' as const, name: '平台管理员' };
    const region = await this.tenancy.findRegion(p.tenantId, p.scopeRegionCode);
    return {
      type: p.actor.type,
      id: p.actor.id,
      name: p.actor.name,
      tenantId: p.tenantId,
      role: p.role,
      scopeRegionCode: p.scopeRegionCode,
      scopeRegionName: region?.name ?? p.scopeRegionCode,
      shopId: p.shopId,
      bankId: p.bankId,
      mustChangePassword: p.mustChangePassword ?? false,
    };
  }

  /** PUT /v1/me/password: the user's other sessions end; this one goes on. */
  async changePassword(p: Principal, dto: ChangePasswordDto, currentToken: string | null): Promise<void> {
    if (p.kind !== 'key' || p.actor.type !== 'user') throw new Unprocessable('only a signed-in user has a password', 'not-a-user');
    const [u] = await queryRows<{ password_hash: string; phone_cipher: Buffer }>(this.dataSource, `SELECT password_hash, phone_cipher FROM users WHERE id = $1`, [p.actor.id]);
    if (!(await verifyPassword(dto.currentPassword, u.password_hash))) throw new BadInput('当前密码不对', [{ field: 'currentPassword', messages: ['当前密码不对'] }]);
    const problems: string[] = [];
    if (dto.newPassword === dto.currentPassword) problems.push('新密码不能和当前密码相同');
    if (dto.newPassword.includes(this.pii.decrypt(u.phone_cipher))) problems.push('新密码不能包含手机号');
    if (/^(.)\1*$/.test(dto.newPassword)) problems.push('新密码不能全是同一个字符');
    if (problems.length) throw new BadInput(problems[0], [{ field: 'newPassword', messages: problems }]);
    const hash = await hashPassword(dto.newPassword);
    await this.uow.run(async (m) => {
      await m.query(`UPDATE users SET password_hash = $2, must_change_password = false WHERE id = $1`, [p.actor.id, hash]);
      await m.query(`UPDATE user_sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL AND token_hash IS DISTINCT FROM $2`, [p.actor.id, currentToken ? sha256(currentToken) : null]);
    });
  }

  /** Names of users and keys by their trail reference (`user:<id>`, `key:<id>`), for histories. */
  async actorNames(refs: string[], m?: EntityManager): Promise<Map<string, string>> {
    const ids = (type: string) => [...new Set(refs.filter((r) => r.startsWith(`${type}:`)).map((r) => r.slice(type.length + 1)))].filter((id) => /^[0-9a-f-]{36}$/.test(id));
    const users = ids('user');
    const keys = ids('key');
    const rows = users.length || keys.length
      ? await queryRows<{ ref: string; name: string }>(
          m ?? this.dataSource,
          `SELECT 'user:' || id AS ref, name FROM users WHERE id = ANY($1::uuid[])
           UNION ALL SELECT 'key:' || id AS ref, name FROM api_keys WHERE id = ANY($2::uuid[])`,
          [users, keys],
        )
      : [];
    return new Map(rows.map((r) => [r.ref, r.name]));
  }
}
