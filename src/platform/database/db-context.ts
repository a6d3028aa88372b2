import { AsyncLocalStorage } from 'async_hooks';

/**
 * Which pool a piece of work draws its connections from, carried through its
 * async calls. Requests are the default. Group-commit batches and background
 * jobs (sealing, expiry, the notice job, grade runs, an import's postings) have
 * pools of their own, so that neither can take the connections interactive
 * requests need, and no flood of requests can starve the batches those
 * requests wait for.
 */
export type Lane = 'request' | 'batch' | 'job';

interface DbContext {
  lane: Lane;
  /** Set while a unit of work holds a connection in a transaction: what it is, for the message when it asks for another. */
  holding?: string;
}

const storage = new AsyncLocalStorage<DbContext>();

export const currentLane = (): Lane => storage.getStore()?.lane ?? 'request';

/** The transaction the current code runs inside, if any (see LanePool: it must not ask the pool for a second connection). */
export const heldTransaction = (): string | undefined => storage.getStore()?.holding;

/**
 * Runs `work` on `lane`'s pool. A caller that holds a transaction stays marked
 * as holding it: moving to another lane does not make a second connection safe.
 */
export function onLane<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
  return storage.run({ lane, holding: heldTransaction() }, work);
}

/** Runs `work` on `lane` as work of its own (a group-commit batch, a scheduled job): no caller's transaction is carried into it. */
export function detachedOnLane<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
  return storage.run({ lane }, work);
}

/** Runs `work` marked as holding a transaction's connection. */
export function holding<T>(what: string, work: () => Promise<T>): Promise<T> {
  return storage.run({ lane: currentLane(), holding: what }, work);
}
