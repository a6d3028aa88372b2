import type { NextFunction, Request, Response } from 'express';
import { problem, sendProblem } from './problem';

/**
 * Interactive requests in flight (a shop redeeming, a clerk entering a
 * record), so that bulk work in the same process (an import's entry and
 * postings, which can keep both cores busy for tens of seconds) can step aside
 * between its chunks while someone is waiting at a counter. bench:mixed
 * measures what it buys.
 */
let interactive = 0;
let waiters: (() => void)[] = [];
/** Every request in flight, bulk or not: what a shutdown waits for. */
let open = 0;
let drained: (() => void)[] = [];

const wake = () => {
  if (interactive > 0) return;
  const ready = waiters;
  waiters = [];
  for (const w of ready) w();
};

let draining = false;

/** From now on, a request arriving on a connection left open is answered 503 and the connection closed: the process is stopping. */
export function startDraining(): void {
  draining = true;
}

/** Counts every request until it is answered or its client goes away. */
export function foregroundRequests() {
  return (req: Request, res: Response, next: NextFunction) => {
    if (draining) {
      res.setHeader('Connection', 'close');
      sendProblem(res, problem(503, 'stopping', '服务正在停止，请稍后重试 (the service is stopping; try again shortly)'), { 'Retry-After': '5' });
      return;
    }
    interactive++;
    open++;
    let counted = true;
    let openCounted = true;
    const end = () => {
      if (!counted) return;
      counted = false;
      interactive--;
      wake();
    };
    const closed = () => {
      end();
      if (!openCounted) return;
      openCounted = false;
      if (--open === 0) {
        const ready = drained;
        drained = [];
        for (const d of ready) d();
      }
    };
    res.on('finish', closed);
    res.on('close', closed);
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

/** Resolves when no request at all is in flight, or after `ms`; answers whether they all finished. */
export function allAnswered(ms: number): Promise<boolean> {
  if (open === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    drained.push(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export const requestsInFlight = () => open;
