import { Injectable } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { HoldersService } from '../holders/holders.service';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { AccountDirectory, AccountSpec } from './account-directory';
import { AssetsService } from './assets.service';
import { LedgerError } from './domain/errors';
import { accountKey, AssetSpec, PostedTransaction, PostingRequest, TransactionKind } from './domain/model';
import { applyHold, ResolvedEntry } from './domain/posting';
import { HolderRef } from './ledger-queries.service';
import { HoldView } from './ledger.views';
import { BatchOutcome, LedgerWriter } from './ledger.writer';
import { LedgerStore } from './persistence/ledger.store';

export type Party = HolderRef | 'issuer';

export interface HoldCommand {
  tenantId: string;
  asset: string;
  from: HolderRef;
  to: Party;
  amount: Decimal;
  kind: TransactionKind;
  memo: string;
  actor: string;
  /** Default 30 minutes. */
  timeoutMs?: number;
  /** The least available balance the holder may keep (see PostingRequest.spendFloor). */
  spendFloor?: Decimal;
}

/** Two-phase postings: a hold reserves (available drops, balance does not), then completes, is cancelled, or expires. */
@Injectable()
export class LedgerHolds {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly assets: AssetsService,
    private readonly holders: HoldersService,
    private readonly directory: AccountDirectory,
    private readonly store: LedgerStore,
    private readonly writer: LedgerWriter,
  ) {}


  private async holdAccounts(cmd: HoldCommand, m?: EntityManager): Promise<{ from: string; to: string; asset: AssetSpec }> {
    const asset = await this.assets.get(cmd.tenantId, cmd.asset, m);
    const fromHolder = await this.holders.find(cmd.tenantId, cmd.from.type, cmd.from.id, m);
    if (!fromHolder) throw new LedgerError('unknown-holder', `${cmd.from.type} ${cmd.from.id} not found`);
    let toSpec: AccountSpec = { holderType: 'system', holderId: 'issuer', asset: asset.code, regionCode: null };
    if (cmd.to !== 'issuer') {
      const toHolder = await this.holders.find(cmd.tenantId, cmd.to.type, cmd.to.id, m);
      if (!toHolder) throw new LedgerError('unknown-holder', `${cmd.to.type} ${cmd.to.id} not found`);
      toSpec = { holderType: cmd.to.type, holderId: cmd.to.id, asset: asset.code, regionCode: toHolder.regionCode };
    }
    const fromSpec: AccountSpec = { holderType: cmd.from.type, holderId: cmd.from.id, asset: asset.code, regionCode: fromHolder.regionCode };
    const ids = await this.directory.resolve(cmd.tenantId, [fromSpec, toSpec], () => asset, m);
    return { from: ids.get(accountKey(fromSpec))!, to: ids.get(accountKey(toSpec))!, asset };
  }

  /** Reserves an amount: available drops, balance does not. Inside `m` if given. */
  async hold(cmd: HoldCommand, m?: EntityManager): Promise<HoldView> {
    const { from, to, asset } = await this.holdAccounts(cmd, m);
    if (!cmd.amount.gt(0) || cmd.amount.decimalPlaces() > asset.scale) throw new LedgerError('invalid-amount', 'hold amount must be positive and within the asset scale');
    const work = async (em: EntityManager) => {
      const [state] = await this.store.lockAccounts(em, [{ tenantId: cmd.tenantId, id: from }]);
      applyHold(state, cmd.amount, cmd.spendFloor);
      await this.store.updateAccounts(em, [state]);
      this.writer.forget([from]);
      const now = new Date();
      const id = randomUUID();
      const expiresAt = new Date(now.getTime() + (cmd.timeoutMs ?? 30 * 60_000));
      await this.store.insertHold(em, {
        tenant_id: cmd.tenantId, id, account_id: from, counter_account_id: to, asset_code: asset.code, amount: cmd.amount.toFixed(),
        kind: cmd.kind, memo: cmd.memo, actor: cmd.actor, expires_at: expiresAt, created_at: now,
      });
      return { id, asset: asset.code, amount: cmd.amount.toFixed(asset.scale), status: 'pending', expiresAt: expiresAt.toISOString(), completedAmount: null, transactionId: null };
    };
    return m ? work(m) : this.uow.run(work);
  }

  /** Completes a hold for its amount or less; what is not taken is released. */
  async completeHold(tenantId: string, holdId: string, amount: Decimal | null, actor: string, m?: EntityManager): Promise<PostedTransaction> {
    const [hold] = await this.store.findHolds(m ?? this.dataSource.manager, [{ tenantId, id: holdId }], false);
    if (!hold) throw new LedgerError('unknown-hold', `hold ${holdId} not found`);
    const take = amount ?? new Decimal(hold.amount);
    if (!take.gt(0)) throw new LedgerError('invalid-amount', 'completed amount must be positive');
    const req: PostingRequest = {
      tenantId,
      kind: hold.kind as TransactionKind,
      entries: [],
      memo: hold.memo,
      metadata: { holdId },
      actor,
      completesHold: { holdId, accountId: hold.account_id, amount: take },
    };
    const entries: ResolvedEntry[] = [
      { accountId: hold.account_id, asset: hold.asset_code, amount: take.negated() },
      { accountId: hold.counter_account_id, asset: hold.asset_code, amount: take },
    ];
    const run = async (em: EntityManager) => {
      const [o] = await this.writer.apply(em, [{ req, entries }]);
      if (o.kind === 'refused') throw o.error;
      return (o as Extract<BatchOutcome, { kind: 'posted' }>).transaction;
    };
    return m ? run(m) : this.uow.run(run);
  }

  private async release(em: EntityManager, tenantId: string, holdIds: string[], status: 'cancelled' | 'expired', now: Date): Promise<number> {
    const peek = await this.store.findHolds(em, holdIds.map((id) => ({ tenantId, id })), false);
    const states = await this.store.lockAccounts(em, peek.map((h) => ({ tenantId, id: h.account_id })));
    const holds = await this.store.findHolds(em, holdIds.map((id) => ({ tenantId, id })), true);
    const byId = new Map(states.map((s) => [s.id, s]));
    const released = holds.filter((h) => h.status === 'pending' && (status === 'cancelled' || h.expires_at.getTime() <= now.getTime()));
    for (const h of released) {
      const s = byId.get(h.account_id)!;
      s.pending = s.pending.minus(h.amount);
    }
    await this.store.updateAccounts(em, [...new Set(released.map((h) => byId.get(h.account_id)!))]);
    this.writer.forget(released.map((h) => h.account_id));
    await this.store.resolveHolds(em, released.map((h) => ({ tenantId, id: h.id, status, at: now, completedAmount: null, transactionId: null })));
    return released.length;
  }

  async cancelHold(tenantId: string, holdId: string, m?: EntityManager): Promise<void> {
    const run = async (em: EntityManager) => {
      const [hold] = await this.store.findHolds(em, [{ tenantId, id: holdId }], false);
      if (!hold) throw new LedgerError('unknown-hold', `hold ${holdId} not found`);
      if (hold.status !== 'pending') throw new LedgerError('hold-not-pending', `hold ${holdId} is ${hold.status}`);
      if ((await this.release(em, tenantId, [holdId], 'cancelled', new Date())) === 0) {
        throw new LedgerError('hold-not-pending', `hold ${holdId} is no longer pending`);
      }
    };
    return m ? run(m) : this.uow.run(run);
  }

  /** Expires these holds, if still pending and past their timeout, in the caller's transaction (a no-op for the others). */
  expireHoldsWithin(m: EntityManager, tenantId: string, holdIds: string[], now = new Date()): Promise<number> {
    return this.release(m, tenantId, holdIds, 'expired', now);
  }

  /** Expires every pending hold past its timeout. Idempotent; safe to run on many instances. */
  async expireHolds(now = new Date()): Promise<number> {
    let total = 0;
    for (;;) {
      const due: { tenant_id: string; id: string }[] = await this.dataSource.query(
        `SELECT tenant_id, id FROM ledger_holds WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT 500`,
        [now],
      );
      if (!due.length) return total;
      const byTenant = new Map<string, string[]>();
      for (const d of due) byTenant.set(d.tenant_id, [...(byTenant.get(d.tenant_id) ?? []), d.id]);
      let n = 0;
      for (const [tenantId, ids] of byTenant) n += await this.uow.run((em) => this.release(em, tenantId, ids, 'expired', now));
      total += n;
      if (n === 0) return total; // what is left is being handled elsewhere
    }
  }

  async getHold(tenantId: string, holdId: string): Promise<HoldView | null> {
    const [h] = await this.store.findHolds(this.dataSource.manager, [{ tenantId, id: holdId }], false);
    if (!h) return null;
    const scale = (await this.assets.get(tenantId, h.asset_code)).scale;
    return {
      id: h.id,
      asset: h.asset_code,
      amount: new Decimal(h.amount).toFixed(scale),
      status: h.status,
      expiresAt: h.expires_at.toISOString(),
      completedAmount: h.completed_amount ? new Decimal(h.completed_amount).toFixed(scale) : null,
      transactionId: h.transaction_id,
    };
  }

}
