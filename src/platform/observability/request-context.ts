import { AsyncLocalStorage } from 'async_hooks';

/**
 * The request a piece of code runs for, carried through its async calls: log
 * lines written during a request, and a crash that escapes one (an unhandled
 * rejection or exception, whose handler Node runs in the failing code's
 * context), name its id.
 */
const storage = new AsyncLocalStorage<{ id: string }>();

export const currentRequestId = (): string | undefined => storage.getStore()?.id;

export function inRequest<T>(id: string, work: () => T): T {
  return storage.run({ id }, work);
}
