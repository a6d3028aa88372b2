import { Forbidden, NotFound } from '../platform/http/app-error';

export const ROLES = ['admin', 'clerk', 'reviewer', 'organizer', 'shopkeeper', 'bank', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Tenant roles that read holders, ledgers and rules within their region scope. */
export const READER_ROLES = ['admin', 'auditor', 'clerk', 'reviewer', 'organizer'] as const satisfies readonly Role[];

/** Roles whose scope is the whole tenant (their scope is the county code). */
export const TENANT_WIDE_ROLES: readonly Role[] = ['admin', 'auditor', 'shopkeeper', 'bank'];

export interface PlatformPrincipal {
  kind: 'platform';
}

/** Who acted, as every history, record, transaction and log names it. */
export interface Actor {
  type: 'key' | 'user';
  id: string;
  name: string;
}

/**
 * A tenant principal: an API key (a machine) or a signed-in user (a person).
 * Both act with one role and one region scope, checked the same way; `actor`
 * says which it is. (`kind` stays 'key' for both: every rule about a key's
 * role and scope is a rule about a user's.)
 */
export interface KeyPrincipal {
  kind: 'key';
  /** The key's id, or the user's id for a user. */
  keyId: string;
  tenantId: string;
  role: Role;
  /** Region subtree the key may act in; for tenant-wide roles, the county. */
  scopeRegionCode: string;
  shopId: string | null;
  bankId: string | null;
  actor: Actor;
  /** A user that has not yet changed its initial password may do nothing else. */
  mustChangePassword?: boolean;
}

export type Principal = PlatformPrincipal | KeyPrincipal;

/** Who acted, as histories, records, transactions and logs show it. */
export interface ActorView {
  type: string;
  id: string;
  name: string;
}

const SYSTEM_NAMES: Record<string, string> = { platform: '平台管理员', system: '系统', 'job:notice': '系统（公示期满自动入账）', 'job:expiry': '系统（积分到期）', 'job:overdue': '系统（订单超时）' };

/** A trail's actor reference (`user:<id>`, `key:<id>`, `job:<name>`, `platform`) as `{ type, id, name }`, named from `names` where known. */
export function actorView(ref: string, names?: Map<string, string>): ActorView {
  const i = ref.indexOf(':');
  const type = i < 0 ? ref : ref.slice(0, i);
  const id = i < 0 ? ref : ref.slice(i + 1);
  return { type, id, name: names?.get(ref) ?? SYSTEM_NAMES[ref] ?? (type === 'job' ? '系统' : ref) };
}

/** The actor as the trails store it: `key:<id>`, `user:<id>`, or `platform`. */
export const actorRef = (p: Principal): string => (p.kind === 'platform' ? 'platform' : `${p.actor.type}:${p.actor.id}`);

/**
 * Region codes are national statistical codes, nested by prefix, so "in the
 * subtree of S" is "starts with S".
 */
export function regionInScope(p: KeyPrincipal, regionCode: string): boolean {
  return regionCode.startsWith(p.scopeRegionCode);
}

/**
 * Refuses a region outside the key's scope. `hide` answers 404 where even the
 * existence of the thing must not leak to another village.
 */
export function assertRegionInScope(p: Principal, regionCode: string, what: string, hide = true): void {
  if (p.kind === 'platform') return;
  if (regionInScope(p, regionCode)) return;
  if (hide) throw new NotFound(what);
  throw new Forbidden(`${what} is outside this key's region scope (${p.scopeRegionCode})`, 'out-of-scope');
}

/**
 * Whether a key may read something kept at `regionCode`: inside its scope, or
 * above it (a village clerk reads the county fund its village draws on).
 */
export function regionRelated(p: KeyPrincipal, regionCode: string): boolean {
  return regionCode.startsWith(p.scopeRegionCode) || p.scopeRegionCode.startsWith(regionCode);
}

/**
 * The region prefix a list may show: the requested region when it lies inside
 * the key's scope, the key's scope when the request is wider (or absent).
 * A region beside the scope is 404.
 */
export function listScope(p: KeyPrincipal, regionCode: string | undefined): string {
  if (!regionCode) return p.scopeRegionCode;
  if (regionCode.startsWith(p.scopeRegionCode)) return regionCode;
  if (p.scopeRegionCode.startsWith(regionCode)) return p.scopeRegionCode;
  throw new NotFound(`region ${regionCode}`);
}

export function assertTenant(p: Principal, tenantId: string, what: string): void {
  if (p.kind === 'platform') return;
  if (p.tenantId !== tenantId) throw new NotFound(what);
}
