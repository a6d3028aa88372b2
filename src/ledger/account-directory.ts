import type { DataSource } from 'typeorm';
import { AccountRef, accountKey, AssetSpec, FloorPolicy } from './domain/model';
import { LedgerStore, NewAccount } from './persistence/ledger.store';

export interface AccountSpec extends AccountRef {
  /** The holder's region (null for system accounts), kept on the account for scope checks. */
  regionCode: string | null;
}

export function floorPolicyFor(asset: AssetSpec, holderType: AccountRef['holderType']): FloorPolicy {
  if (holderType === 'system') return 'none';
  return asset.allowNegative && (holderType === 'household' || holderType === 'person') ? 'spend_only' : 'non_negative';
}

/**
 * Maps holder × asset to account ids, creating accounts lazily. Creation runs
 * in its own short transaction, outside any business transaction: an empty
 * account is harmless if the business transaction later fails, and batches
 * never wait on each other's uncommitted account inserts. Ids never change,
 * so they are cached.
 */
export class AccountDirectory {
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: LedgerStore,
  ) {}

  async resolve(tenantId: string, specs: AccountSpec[], assetOf: (code: string) => AssetSpec): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const missing: AccountSpec[] = [];
    for (const s of specs) {
      const key = `${tenantId}|${accountKey(s)}`;
      const id = this.ids.get(key);
      if (id) out.set(accountKey(s), id);
      else missing.push(s);
    }
    if (!missing.length) return out;
    const m = this.dataSource.manager;
    let found = await this.store.findAccountIds(m, tenantId, missing);
    const absent = missing.filter((s) => !found.has(accountKey(s)));
    if (absent.length) {
      const fresh: NewAccount[] = absent.map((s) => ({ ...s, tenantId, floorPolicy: floorPolicyFor(assetOf(s.asset), s.holderType) }));
      await this.store.ensureAccounts(m, fresh);
      found = await this.store.findAccountIds(m, tenantId, missing);
    }
    for (const s of missing) {
      const id = found.get(accountKey(s));
      if (!id) throw new Error(`account ${accountKey(s)} could not be created`);
      this.ids.set(`${tenantId}|${accountKey(s)}`, id);
      out.set(accountKey(s), id);
    }
    return out;
  }
}
