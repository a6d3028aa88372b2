import type Decimal from 'decimal.js';

export type HolderType = 'household' | 'person' | 'shop' | 'fund';
export type FloorPolicy = 'none' | 'non_negative' | 'spend_only';

export const TRANSACTION_KINDS = ['issue', 'penalty', 'transfer', 'redeem', 'settle', 'expire', 'reversal', 'donation', 'adjustment'] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/**
 * Kinds that may push a `spend_only` account (a household's CONDUCT) below
 * zero: a penalty, or the reversal of points already spent. Every other kind
 * is a spend and must leave the available balance at or above zero.
 */
export const FLOOR_EXEMPT_KINDS: ReadonlySet<TransactionKind> = new Set(['penalty', 'reversal']);

export interface AssetSpec {
  code: string;
  name: string;
  holderType: HolderType;
  scale: number;
  redeemable: boolean;
  allowNegative: boolean;
  expiry: { policy: 'none' | 'days' | 'yearEnd'; days?: number };
}

/** Identifies an account before its row id is known. */
export interface AccountRef {
  holderType: HolderType | 'system';
  holderId: string;
  asset: string;
}

export const accountKey = (r: AccountRef) => `${r.asset}|${r.holderType}|${r.holderId}`;

export interface AccountState {
  id: string; // bigint as string
  tenantId: string;
  asset: string;
  floorPolicy: FloorPolicy;
  balance: Decimal;
  pending: Decimal;
  entryCount: bigint;
  lastEntryAt: Date | null;
}

export interface EntryDraft {
  account: AccountRef & { regionCode?: string | null };
  /** Signed from the account's side: + credit, - debit. */
  amount: Decimal;
}

export interface PostingRequest {
  tenantId: string;
  kind: TransactionKind;
  entries: EntryDraft[];
  memo: string;
  metadata: Record<string, unknown>;
  source?: { type: string; id: string };
  actor: string;
  reversalOf?: string;
  /** Settles a hold: the hold's reservation is released by this posting. */
  completesHold?: { holdId: string; accountId: string; amount: Decimal };
  idempotency?: { scope: string; key: string; requestHash: Buffer };
  /**
   * The least available balance an account this posting takes value out of may
   * keep (a rule set's redeemFloor: points at or below it are not spendable).
   * Checked with the ledger's own locks, in their order.
   */
  spendFloor?: Decimal;
  /**
   * A business day in the past this posting counts on (YYYY-MM-DD): only a
   * go-live migration books into the past. Absent: the day it is booked.
   */
  effectiveOn?: string;
}

export interface EntryRow {
  accountId: string;
  accountSeq: bigint;
  asset: string;
  amount: Decimal;
  balanceAfter: Decimal;
}

export interface PostedTransaction {
  id: string;
  tenantId: string;
  kind: TransactionKind;
  memo: string;
  metadata: Record<string, unknown>;
  source?: { type: string; id: string };
  actor: string;
  reversalOf?: string;
  createdAt: Date;
  /** The business day it counts on (YYYY-MM-DD); absent: the day it was booked (Asia/Shanghai). */
  effectiveOn?: string;
  entries: EntryRow[];
  hash: Buffer;
}
