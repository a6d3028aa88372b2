import Decimal from 'decimal.js';
import { LedgerError } from './errors';
import { AccountState, EntryRow, FLOOR_EXEMPT_KINDS, PostingRequest, TransactionKind } from './model';

/** Two or more non-zero entries, summing to zero per asset. */
export function checkBalanced(req: Pick<PostingRequest, 'entries'>): void {
  if (req.entries.length < 2) throw new LedgerError('too-few-entries', 'a transaction needs at least two entries');
  const sums = new Map<string, Decimal>();
  for (const e of req.entries) {
    if (e.amount.isZero()) throw new LedgerError('invalid-amount', 'an entry amount cannot be zero');
    sums.set(e.account.asset, (sums.get(e.account.asset) ?? new Decimal(0)).plus(e.amount));
  }
  for (const [asset, sum] of sums) {
    if (!sum.isZero()) throw new LedgerError('unbalanced', `entries for ${asset} sum to ${sum.toFixed()}, not zero`);
  }
}

export const available = (a: Pick<AccountState, 'balance' | 'pending'>) => a.balance.minus(a.pending);

/**
 * Whether an account may end at `balance`/`pending` after a posting of `kind`
 * that takes value out of it. Credits are never refused.
 */
export function floorAllows(a: AccountState, kind: TransactionKind, balance: Decimal, pending: Decimal): boolean {
  switch (a.floorPolicy) {
    case 'none':
      return true;
    case 'non_negative':
      return balance.minus(pending).gte(0);
    case 'spend_only':
      return FLOOR_EXEMPT_KINDS.has(kind) || balance.minus(pending).gte(0);
  }
}

export interface ResolvedEntry {
  accountId: string;
  asset: string;
  amount: Decimal;
}

/**
 * Applies one posting to the in-memory account states of a batch. Either every
 * account changes or none does: a refused posting leaves the states as they
 * were, so the rest of the batch carries on. Returns the entry rows with their
 * per-account sequence and balance after.
 */
export function applyPosting(
  states: Map<string, AccountState>,
  kind: TransactionKind,
  entries: ResolvedEntry[],
  createdAt: Date,
  release?: { accountId: string; amount: Decimal },
  spendFloor?: Decimal,
): EntryRow[] {
  const next = new Map<string, { balance: Decimal; pending: Decimal; count: bigint }>();
  const stateOf = (id: string) => {
    const s = states.get(id);
    if (!s) throw new Error(`account ${id} was not loaded for this batch`);
    return s;
  };
  if (release) {
    const s = stateOf(release.accountId);
    next.set(release.accountId, { balance: s.balance, pending: s.pending.minus(release.amount), count: s.entryCount });
  }
  const rows: EntryRow[] = [];
  for (const e of entries) {
    const s = stateOf(e.accountId);
    if (s.asset !== e.asset) throw new Error(`account ${e.accountId} holds ${s.asset}, not ${e.asset}`);
    const cur = next.get(e.accountId) ?? { balance: s.balance, pending: s.pending, count: s.entryCount };
    cur.balance = cur.balance.plus(e.amount);
    cur.count += 1n;
    next.set(e.accountId, cur);
    rows.push({ accountId: e.accountId, accountSeq: cur.count, asset: e.asset, amount: e.amount, balanceAfter: cur.balance });
  }
  for (const [id, n] of next) {
    const s = stateOf(id);
    // Only accounts the posting takes value out of can be refused.
    if (n.balance.lt(s.balance) && !floorAllows(s, kind, n.balance, n.pending)) {
      throw new LedgerError('insufficient-funds', `insufficient available balance in ${s.asset} for this ${kind}`);
    }
    if (spendFloor && n.balance.lt(s.balance) && n.balance.minus(n.pending).lt(spendFloor)) {
      throw new LedgerError('insufficient-funds', `this ${kind} would take ${s.asset} below its floor of ${spendFloor.toFixed()}`);
    }
  }
  for (const [id, n] of next) {
    const s = stateOf(id);
    s.balance = n.balance;
    s.pending = n.pending;
    s.entryCount = n.count;
    s.lastEntryAt = createdAt;
  }
  return rows;
}

/**
 * Reserves `amount` on an account: pending grows, balance does not move. A
 * hold is always a spend, so no floor exemption applies.
 */
export function applyHold(state: AccountState, amount: Decimal, spendFloor?: Decimal): void {
  const pending = state.pending.plus(amount);
  if (state.floorPolicy !== 'none' && state.balance.minus(pending).lt(Decimal.max(spendFloor ?? 0, 0))) {
    throw new LedgerError('insufficient-funds', `insufficient available balance in ${state.asset} to hold ${amount.toFixed()}`);
  }
  state.pending = pending;
}

/** Entries for the reversal of a transaction: every amount with its sign flipped. */
export function reversalEntries<T extends { amount: Decimal }>(entries: T[]): T[] {
  return entries.map((e) => ({ ...e, amount: e.amount.negated() }));
}

/** A transaction's timestamp never precedes the last entry of any account it touches. */
export function monotonicNow(now: Date, states: Iterable<AccountState>): Date {
  let t = now.getTime();
  for (const s of states) if (s.lastEntryAt && s.lastEntryAt.getTime() > t) t = s.lastEntryAt.getTime();
  return new Date(t);
}
