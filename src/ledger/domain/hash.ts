import { createHash } from 'crypto';
import type Decimal from 'decimal.js';
import { canonicalJson } from '../../platform/util/canonical-json';

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
  entries: { accountId: string; accountSeq: bigint | string; asset: string; amount: Decimal; balanceAfter: Decimal }[];
}

/**
 * SHA-256 over a transaction's content and its entries (ordered by account and
 * sequence). Amounts are hashed in normalised form, so "5.10" stored as
 * numeric 5.1 hashes the same on the way back.
 */
export function transactionHash(tx: HashableTransaction): Buffer {
  return createHash('sha256').update(transactionHashInput(tx), 'utf8').digest();
}

/** Numeric order of non-negative integers written without leading zeros: shorter first, then by text. */
const byNumber = (x: string, y: string) => (x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0);
const byAccountThenSeq = (a: string[], b: string[]) => byNumber(a[0], b[0]) || byNumber(a[1], b[1]);

/**
 * The text that is hashed: the canonical JSON (keys sorted at every level) of
 * the transaction, its metadata and its entries. Written out field by field in
 * the canonical order instead of through the general `canonicalJson`, which
 * costs the posting path a sort and a closure per key; a property test checks
 * that both give the same text, so stored hashes stay valid.
 */
export function transactionHashInput(tx: HashableTransaction): string {
  const entries = tx.entries
    .map((e) => [e.accountId, String(e.accountSeq), e.asset, e.amount.toFixed(), e.balanceAfter.toFixed()])
    .sort(byAccountThenSeq);
  const q = JSON.stringify;
  const e = entries.map((row) => `[${q(row[0])},${q(row[1])},${q(row[2])},${q(row[3])},${q(row[4])}]`).join(',');
  const fields = [tx.actor, tx.id, tx.kind, tx.memo, tx.metadata, tx.tenantId];
  if (fields.some((f) => f === undefined)) return canonicalBody(tx, entries); // a key would be left out: the general path knows how
  return (
    `{"actor":${q(tx.actor)},"at":${q(tx.createdAt.toISOString())},"e":[${e}],"id":${q(tx.id)},"kind":${q(tx.kind)},` +
    `"memo":${q(tx.memo)},"meta":${canonicalJson(tx.metadata)},"rev":${q(tx.reversalOf ?? null)},` +
    `"src":[${q(tx.sourceType ?? null)},${q(tx.sourceId ?? null)}],"t":${q(tx.tenantId)}}`
  );
}

/** The definition: what `transactionHashInput` must equal. */
export function canonicalBody(tx: HashableTransaction, entries = tx.entries.map((e) => [e.accountId, String(e.accountSeq), e.asset, e.amount.toFixed(), e.balanceAfter.toFixed()]).sort(byAccountThenSeq)): string {
  return canonicalJson({
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
