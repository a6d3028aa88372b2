import type Decimal from 'decimal.js';
import type { AccountRef, PostedTransaction } from './domain/model';
import { actorView, type ActorView } from '../auth/principal';
import { shanghaiDate } from '../platform/util/business-date';

export type HolderRefView = { type: string; id: string } | string;

export interface EntryView {
  account: HolderRefView;
  asset: string;
  /** Positive; `direction` says which way. */
  amount: string;
  direction: 'credit' | 'debit';
  balanceAfter: string;
}

export interface TransactionView {
  id: string;
  kind: string;
  memo: string;
  metadata: Record<string, unknown>;
  source: { type: string; id: string } | null;
  actor: ActorView;
  reversalOf: string | null;
  createdAt: string;
  /** The business day it counts on (Asia/Shanghai). */
  effectiveOn: string;
  hash: string;
  entries: EntryView[];
}

export interface BalanceView {
  asset: string;
  balance: string;
  pending: string;
  available: string;
}

export interface HolderEntryView {
  transactionId: string;
  asset: string;
  /** Signed from the holder's side: + in, - out. */
  amount: string;
  balanceAfter: string;
  kind: string;
  createdAt: string;
  /** The business day it counts on (Asia/Shanghai). */
  effectiveOn: string;
  memo: string;
}

export interface HoldView {
  id: string;
  asset: string;
  amount: string;
  status: string;
  expiresAt: string;
  completedAmount: string | null;
  transactionId: string | null;
}

/** System accounts show as their name ("issuer"); holders as `{ type, id }`. */
export const holderRefView = (r: Pick<AccountRef, 'holderType' | 'holderId'>): HolderRefView =>
  r.holderType === 'system' ? r.holderId : { type: r.holderType, id: r.holderId };

export function entryView(ref: Pick<AccountRef, 'holderType' | 'holderId'>, asset: string, amount: Decimal, balanceAfter: Decimal, scale: number): EntryView {
  return {
    account: holderRefView(ref),
    asset,
    amount: amount.abs().toFixed(scale),
    direction: amount.isNegative() ? 'debit' : 'credit',
    balanceAfter: balanceAfter.toFixed(scale),
  };
}

export function transactionView(tx: PostedTransaction, refs: AccountRef[], scales: Map<string, number>, names?: Map<string, string>): TransactionView {
  return {
    id: tx.id,
    kind: tx.kind,
    memo: tx.memo,
    metadata: tx.metadata,
    source: tx.source ?? null,
    actor: actorView(tx.actor, names),
    reversalOf: tx.reversalOf ?? null,
    createdAt: tx.createdAt.toISOString(),
    effectiveOn: tx.effectiveOn ?? shanghaiDate(tx.createdAt),
    hash: tx.hash.toString('hex'),
    entries: tx.entries.map((e, i) => entryView(refs[i], e.asset, e.amount, e.balanceAfter, scales.get(e.asset)!)),
  };
}
