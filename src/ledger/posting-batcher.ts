import { yieldToIo } from '../platform/util/yield';
import type { BatchItem, BatchOutcome } from './ledger.writer';

/** Callers answered between two yields to the event loop. */
const ANSWER_SLICE = 64;

export interface BatcherOptions {
  /** How long a posting waits for company when a batch is already committing. */
  windowMs: number;
  maxBatch: number;
  /** Batches committing at once; more arrivals queue up and form the next batch. */
  maxInFlight: number;
}

interface Queued {
  item: BatchItem;
  resolve: (o: BatchOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit. Concurrent postings are gathered for a few milliseconds (or
 * while the previous batches commit) and applied in one DB transaction, so N
 * postings cost one commit (one fsync), not N. Every caller gets its own
 * outcome. If a whole batch fails for a reason that is not one posting's
 * fault, its postings are retried one by one so that one bad posting cannot
 * take the others down with it.
 */
export class PostingBatcher {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly run: (items: BatchItem[]) => Promise<BatchOutcome[]>,
    private readonly opts: BatcherOptions,
  ) {}

  submit(item: BatchItem): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Idle: go at once (a lone posting should not wait). Busy: arrivals
      // gather while batches commit, and go when one finishes or after the
      // window, whichever is first.
      if (this.queue.length >= this.opts.maxBatch || this.inFlight === 0) this.flush();
      else if (!this.timer && this.inFlight < this.opts.maxInFlight) {
        this.timer = setTimeout(() => this.flush(), this.opts.windowMs);
      }
    });
  }

  /** Resolves once everything submitted so far has been answered. */
  async drain(): Promise<void> {
    if (!this.queue.length && !this.inFlight) return;
    this.flush();
    await new Promise<void>((r) => this.idle.push(r));
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length && this.inFlight < this.opts.maxInFlight) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        // Whatever queued up meanwhile has waited long enough: go as soon as
        // the callers just answered have had their turn to submit again (their
        // continuations run before setImmediate), so they join this batch
        // instead of following in a batch of their own.
        if (this.queue.length) setImmediate(() => this.flush());
        else if (!this.inFlight) this.idle.splice(0).forEach((r) => r());
      });
    }
  }

  private async runBatch(batch: Queued[]): Promise<void> {
    try {
      const outcomes = await this.run(batch.map((q) => q.item));
      // Answered a slice at a time: each caller's continuation runs before the
      // next I/O callback, so a thousand at once would hold up the replies the
      // batches in flight are waiting for.
      for (let i = 0; i < batch.length; i++) {
        if (i % ANSWER_SLICE === ANSWER_SLICE - 1) await yieldToIo();
        batch[i].resolve(outcomes[i]);
      }
    } catch (e) {
      if (batch.length === 1) {
        batch[0].reject(e);
        return;
      }
      await Promise.all(batch.map((q) => this.runBatch([q])));
    }
  }
}
