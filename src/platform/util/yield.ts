/**
 * Lets the event loop run pending I/O callbacks (a resolved promise does not:
 * microtasks run before I/O). Long synchronous stretches call it now and then
 * so that, for instance, the next statement queued on a database connection is
 * sent as soon as the previous one has finished, not when the stretch ends.
 */
export const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
