/**
 * Ledger errors carry a stable code; the HTTP layer maps codes to statuses in
 * one table (ledger-error.map.ts). The domain knows nothing of HTTP.
 */
export type LedgerErrorCode =
  | 'invalid-amount'
  | 'scale-exceeded'
  | 'unbalanced'
  | 'too-few-entries'
  | 'unknown-asset'
  | 'unknown-holder'
  | 'unknown-transaction'
  | 'unknown-hold'
  | 'wrong-holder-type'
  | 'same-account'
  | 'insufficient-funds'
  | 'already-reversed'
  | 'not-reversible'
  | 'hold-not-pending'
  | 'hold-amount-exceeded'
  | 'idempotency-key-reused'
  | 'asset-exists'
  | 'not-in-the-past';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
