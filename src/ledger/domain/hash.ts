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
  const entries = [...tx.entries]
    .map((e) => [e.accountId, String(e.accountSeq), e.asset, e.amount.toFixed(), e.balanceAfter.toFixed()])
    .sort((a, b) => (a[0] === b[0] ? Number(BigInt(a[1]) - BigInt(b[1])) : BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
  const body = canonicalJson({
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
  return createHash('sha256').update(body, 'utf8').digest();
}

export const GENESIS_HASH = Buffer.alloc(32);

/** A seal's hash: the previous seal's hash followed by each transaction hash, in order. */
export function sealHash(prev: Buffer, txHashes: Buffer[]): Buffer {
  const h = createHash('sha256').update(prev);
  for (const t of txHashes) h.update(t);
  return h.digest();
}
