import type { TransactionKind } from '../domain/model';

/** A ledger transaction as its row reads (what the chain's hash covers, and the hash). */
export interface TransactionRow {
  id: string;
  kind: TransactionKind;
  memo: string;
  metadata: Record<string, unknown>;
  source_type: string | null;
  source_id: string | null;
  actor: string;
  reversal_of: string | null;
  created_at: Date;
  /** YYYY-MM-DD */
  effective_on: string;
  hash: Buffer;
}
