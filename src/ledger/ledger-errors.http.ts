import { AppError, registerErrorMapper } from '../platform/http/app-error';
import { LedgerError, LedgerErrorCode } from './domain/errors';

/** The one table from ledger error codes to HTTP statuses. */
export const LEDGER_ERROR_STATUS: Record<LedgerErrorCode, number> = {
  'invalid-amount': 400,
  'scale-exceeded': 400,
  unbalanced: 422,
  'too-few-entries': 422,
  'unknown-asset': 404,
  'unknown-holder': 404,
  'unknown-transaction': 404,
  'unknown-hold': 404,
  'wrong-holder-type': 422,
  'same-account': 422,
  'insufficient-funds': 422,
  'already-reversed': 409,
  'not-reversible': 422,
  'hold-not-pending': 409,
  'hold-amount-exceeded': 422,
  'idempotency-key-reused': 409,
  'asset-exists': 409,
  'not-in-the-past': 422,
};

export function ledgerErrorToHttp(e: unknown): AppError | null {
  if (!(e instanceof LedgerError)) return null;
  const status = LEDGER_ERROR_STATUS[e.code];
  const errors = status === 400 && e.field ? [{ field: e.field, messages: [e.message] }] : undefined;
  return new AppError(status, e.code, e.message, errors);
}

registerErrorMapper(ledgerErrorToHttp);
