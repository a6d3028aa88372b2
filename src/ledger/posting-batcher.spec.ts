import { LedgerError } from './domain/errors';
import type { BatchItem, BatchOutcome } from './ledger.writer';
import { PostingBatcher } from './posting-batcher';

const item = (memo: string) => ({ req: { memo } } as unknown as BatchItem);

describe('PostingBatcher', () => {
  it('sends a lone posting at once, gathers what arrives meanwhile into one batch, and answers each caller', async () => {
    const batches: string[][] = [];
    const b = new PostingBatcher(async (items) => {
      batches.push(items.map((i) => i.req.memo));
      return items.map((i) => ({ kind: 'refused', error: new LedgerError('invalid-amount', i.req.memo) }) as BatchOutcome);
    }, { windowMs: 5, maxBatch: 100, maxInFlight: 1 });
    const out = await Promise.all(['a', 'b', 'c', 'd'].map((m) => b.submit(item(m))));
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    expect(out.map((o) => (o as any).error.message)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('caps batch size and queues what arrives while batches are in flight', async () => {
    const sizes: number[] = [];
    const b = new PostingBatcher(async (items) => {
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 5));
      return items.map(() => ({ kind: 'replayed', answer: { status: 200, body: null } }) as BatchOutcome);
    }, { windowMs: 1, maxBatch: 4, maxInFlight: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(item(String(i)))));
    expect(sizes.reduce((a, n) => a + n, 0)).toBe(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    await b.drain();
  });

  it('when a whole batch fails, retries its postings one by one', async () => {
    const b = new PostingBatcher(async (items) => {
      if (items.some((i) => i.req.memo === 'poison')) throw new Error('boom');
      return items.map(() => ({ kind: 'replayed', answer: { status: 201, body: 'ok' } }) as BatchOutcome);
    }, { windowMs: 5, maxBatch: 100, maxInFlight: 1 });
    const results = await Promise.allSettled(['a', 'poison', 'b'].map((m) => b.submit(item(m))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
