import { isUuid } from '../http/validation';

/**
 * Every tenant-scoped query takes the tenant id first. This guard turns a
 * missing or malformed tenant into a programming error instead of a query that
 * silently spans tenants.
 */
export function requireTenant(tenantId: string): string {
  if (!isUuid(tenantId)) throw new Error(`tenant id is required for a tenant-scoped query (got ${JSON.stringify(tenantId)})`);
  return tenantId;
}
