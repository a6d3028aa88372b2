/** PostgreSQL SQLSTATE codes the code reacts to. */
export const PG = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  raiseException: 'P0001',
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  idleInTransactionTimeout: '25P03',
  adminShutdown: '57P01',
  cannotConnectNow: '57P03',
} as const;

/**
 * The database gave up waiting on the request's behalf (lock_timeout,
 * statement_timeout, idle_in_transaction_session_timeout), a deadlock or
 * serialization failure outlasted the unit of work's retries, or the
 * connection is gone: the request was rolled back and may be retried. A 503, not a 500.
 */
export function isGiveUp(e: unknown): boolean {
  const code = pgCode(e);
  if (isRetryable(e)) return true;
  if (code === PG.lockNotAvailable || code === PG.queryCanceled || code === PG.idleInTransactionTimeout || code === PG.adminShutdown || code === PG.cannotConnectNow) return true;
  const message = (e as { message?: unknown })?.message;
  return typeof message === 'string' && /^(Connection terminated|Client has encountered a connection error|connect ECONNREFUSED)/.test(message);
}

export function pgCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; driverError?: { code?: unknown } };
  const code = err?.driverError?.code ?? err?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isRetryable(e: unknown): boolean {
  const code = pgCode(e);
  return code === PG.serializationFailure || code === PG.deadlockDetected;
}

/** Data exceptions (class 22) mean the input was bad, not the server. */
export function isDataException(e: unknown): boolean {
  return pgCode(e)?.startsWith('22') ?? false;
}

/** The constraint a violation names (unique, foreign key, check), if any. */
export function pgConstraint(e: unknown): string | undefined {
  const err = e as { constraint?: unknown; driverError?: { constraint?: unknown } };
  const c = err?.driverError?.constraint ?? err?.constraint;
  return typeof c === 'string' ? c : undefined;
}
