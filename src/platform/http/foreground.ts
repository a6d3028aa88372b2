import type { NextFunction, Request, Response } from 'express';

/**
 * Interactive requests in flight (a shop redeeming, a clerk entering a
 * record), so that bulk work in the same process (an import's entry and
 * postings, which can keep both cores busy for tens of seconds) can step aside
 * between its chunks while someone is waiting at a counter. bench:mixed
 * measures what it buys.
 */
let interactive = 0;
let waiters: (() => void)[] = [];

const wake = () => {
  if (interactive > 0) return;
  const ready = waiters;
  waiters = [];
  for (const w of ready) w();
};

/** Counts every request until it is answered or its client goes away. */
export function foregroundRequests() {
  return (req: Request, res: Response, next: NextFunction) => {
    interactive++;
    let counted = true;
    const end = () => {
      if (!counted) return;
      counted = false;
      interactive--;
      wake();
    };
    res.on('finish', end);
    res.on('close', end);
    (req as Request & { bulk?: () => void }).bulk = end;
    next();
  };
}

/** A request that is itself bulk work (an import) stops counting as one to step aside for. */
export function markBulk(req: Request): void {
  (req as Request & { bulk?: () => void }).bulk?.();
}

/** Resolves when no interactive request is in flight, or after `maxWaitMs`, whichever comes first. */
export function yieldToForeground(maxWaitMs = 200): Promise<void> {
  if (interactive <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, maxWaitMs);
    waiters.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export const interactiveInFlight = () => interactive;
