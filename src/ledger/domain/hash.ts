import { createHash } from 'crypto';
import type Decimal from 'decimal.js';
import { canonicalJson } from '../../platform/util/canonical-json';
import { sha256 } from '../../platform/util/sha256';

export { canonicalJson };

export interface HashableTransaction {
  tenantId: string;
  id: string;
  kind: string;
  memo: string;
  metadata: Record<string, unknown>;
  sourceType: string | null;
  sourceId: string | null;
  actor: string;
  reversalOf: string | null;
  createdAt: Date;
  /** The business day it counts on; absent or equal to the booking day (Asia/Shanghai) for live postings. */
  effectiveOn?: string | null;
  entries: { accountId: string; accountSeq: bigint | string; asset: string; amount: Decimal; balanceAfter: Decimal }[];
}

/** The business day (Asia/Shanghai) of an instant. */
const bookingDay = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);

/**
 * The business day the hash names: only when it is not the day of booking (a
 * backdated posting). A live posting hashes exactly as before business dates
 * existed, so every stored hash stays valid; a backdated one covers its day.
 * Either way the day cannot change unseen: moved off the booking day, a live
 * posting's hash gains a field; moved onto it, a backdated one's loses one.
 */
export const hashedEffectiveOn = (tx: Pick<HashableTransaction, 'createdAt' | 'effectiveOn'>): string | null =>
  tx.effectiveOn && tx.effectiveOn !== bookingDay(tx.createdAt) ? tx.effectiveOn : null;

/**
 * SHA-256 over a transaction's content and its entries (ordered by account and
 * sequence). Amounts are hashed in normalised form, so "5.10" stored as
 * numeric 5.1 hashes the same on the way back.
 */
export function transactionHash(tx: HashableTransaction): Buffer {
  return sha256(transactionHashInput(tx));
}

/** Numeric order of non-negative integers written without leading zeros: shorter first, then by text. */
const byNumber = (x: string, y: string) => (x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0);
const byAccountThenSeq = (a: string[], b: string[]) => byNumber(a[0], b[0]) || byNumber(a[1], b[1]);
type HashedEntry = HashableTransaction['entries'][number];
const entryOrder = (a: HashedEntry, b: HashedEntry) => byNumber(a.accountId, b.accountId) || byNumber(String(a.accountSeq), String(b.accountSeq));

/**
 * The text that is hashed: the canonical JSON (keys sorted at every level) of
 * the transaction, its metadata and its entries. Written out field by field in
 * the canonical order instead of through the general `canonicalJson`, which
 * costs the posting path a sort and a closure per key; a property test checks
 * that both give the same text, so stored hashes stay valid. Two-entry
 * transactions (most of them) are ordered without a sort, and no
 * intermediate rows are built: this runs once per posting.
 */
export function transactionHashInput(tx: HashableTransaction): string {
  if (tx.actor === undefined || tx.id === undefined || tx.kind === undefined || tx.memo === undefined || tx.metadata === undefined || tx.tenantId === undefined) {
    return canonicalBody(tx); // a key would be left out: the general path knows how
  }
  const q = JSON.stringify;
  const list = tx.entries;
  let e: string;
  if (list.length === 2) {
    const swap = entryOrder(list[0], list[1]) > 0;
    e = entryText(list[swap ? 1 : 0]) + ',' + entryText(list[swap ? 0 : 1]);
  } else {
    const sorted = [...list].sort(entryOrder);
    e = '';
    for (let i = 0; i < sorted.length; i++) e += (i ? ',' : '') + entryText(sorted[i]);
  }
  const eff = hashedEffectiveOn(tx);
  return (
    `{"actor":${q(tx.actor)},"at":${q(tx.createdAt.toISOString())},"e":[${e}],${eff ? `"eff":${q(eff)},` : ''}"id":${q(tx.id)},"kind":${q(tx.kind)},` +
    `"memo":${q(tx.memo)},"meta":${canonicalJson(tx.metadata)},"rev":${q(tx.reversalOf ?? null)},` +
    `"src":[${q(tx.sourceType ?? null)},${q(tx.sourceId ?? null)}],"t":${q(tx.tenantId)}}`
  );
}

/** One entry as `[account, seq, asset, amount, balanceAfter]`; decimals and sequence numbers need no escaping. */
function entryText(x: HashedEntry): string {
  return `[${JSON.stringify(x.accountId)},"${String(x.accountSeq)}",${JSON.stringify(x.asset)},"${x.amount.toFixed()}","${x.balanceAfter.toFixed()}"]`;
}

/** The definition: what `transactionHashInput` must equal. */
export function canonicalBody(tx: HashableTransaction, entries = tx.entries.map((e) => [e.accountId, String(e.accountSeq), e.asset, e.amount.toFixed(), e.balanceAfter.toFixed()]).sort(byAccountThenSeq)): string {
  const eff = hashedEffectiveOn(tx);
  return canonicalJson({
    ...(eff ? { eff } : {}),
    t: tx.tenantId,
    id: tx.id,
    kind: tx.kind,
    memo: tx.memo,
    meta: tx.metadata,
    src: [tx.sourceType, tx.sourceId],
    actor: tx.actor,
    rev: tx.reversalOf,
    at: tx.createdAt.toISOString(),
    e: entries,
  });
}

export const GENESIS_HASH = Buffer.alloc(32);

/** A seal's hash: the previous seal's hash followed by each transaction hash, in order. */
export function sealHash(prev: Buffer, txHashes: Buffer[]): Buffer {
  const h = createHash('sha256').update(prev);
  for (const t of txHashes) h.update(t);
  return h.digest();
}
