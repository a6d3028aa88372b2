import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
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
 * Maps holder × asset to account ids, creating accounts lazily. On the batch
 * path creation runs in its own short statement, outside any business
 * transaction, so batches never wait on each other's uncommitted inserts.
 * Inside a caller's unit of work (`within`), everything goes through that
 * transaction's connection, so a caller never holds one pooled connection while
 * waiting for a second. Ids never change, so committed ones are cached; ids of
 * accounts created inside a unit of work are cached only once seen committed.
 */
@Injectable()
export class AccountDirectory {
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: LedgerStore,
  ) {}

  async resolve(tenantId: string, specs: AccountSpec[], assetOf: (code: string) => AssetSpec, within?: EntityManager): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const missing: AccountSpec[] = [];
    for (const s of specs) {
      const key = `${tenantId}|${accountKey(s)}`;
      const id = this.ids.get(key);
      if (id) out.set(accountKey(s), id);
      else missing.push(s);
    }
    if (!missing.length) return out;
    const m = within ?? this.dataSource.manager;
    const committed = await this.store.findAccountIds(m, tenantId, missing);
    let found = committed;
    const absent = missing.filter((s) => !committed.has(accountKey(s)));
    if (absent.length) {
      const fresh: NewAccount[] = absent.map((s) => ({ ...s, tenantId, floorPolicy: floorPolicyFor(assetOf(s.asset), s.holderType) }));
      await this.store.ensureAccounts(m, fresh);
      found = await this.store.findAccountIds(m, tenantId, missing);
    }
    for (const s of missing) {
      const id = found.get(accountKey(s));
      if (!id) throw new Error(`account ${accountKey(s)} could not be created`);
      if (!within || committed.has(accountKey(s))) this.ids.set(`${tenantId}|${accountKey(s)}`, id);
      out.set(accountKey(s), id);
    }
    return out;
  }
}
