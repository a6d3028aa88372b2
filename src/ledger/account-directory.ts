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
 * accounts created inside a unit of work are cached only once seen committed:
 * a transaction that created an account and finds it again later (a migration
 * posting chunk after chunk) has not committed it, and may still roll back.
 */
@Injectable()
export class AccountDirectory {
  private readonly ids = new Map<string, string>();
  /** Accounts each open transaction created itself (TypeORM gives every transaction its own manager). */
  private readonly createdWithin = new WeakMap<EntityManager, Set<string>>();

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
    const existing = await this.store.findAccountIds(m, tenantId, missing);
    let found = existing;
    const absent = missing.filter((s) => !existing.has(accountKey(s)));
    const mine = within ? (this.createdWithin.get(within) ?? new Set<string>()) : null;
    if (absent.length) {
      const fresh: NewAccount[] = absent.map((s) => ({ ...s, tenantId, floorPolicy: floorPolicyFor(assetOf(s.asset), s.holderType) }));
      await this.store.ensureAccounts(m, fresh);
      found = await this.store.findAccountIds(m, tenantId, missing);
      if (within && mine) {
        for (const s of absent) mine.add(`${tenantId}|${accountKey(s)}`);
        this.createdWithin.set(within, mine);
      }
    }
    for (const s of missing) {
      const key = `${tenantId}|${accountKey(s)}`;
      const id = found.get(accountKey(s));
      if (!id) throw new Error(`account ${accountKey(s)} could not be created`);
      // Found before this call created anything, and not created by this same open transaction: committed.
      if (!within || (existing.has(accountKey(s)) && !mine!.has(key))) this.ids.set(key, id);
      out.set(accountKey(s), id);
    }
    return out;
  }
}
