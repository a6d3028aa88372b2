import { Injectable, OnModuleDestroy } from '@nestjs/common';
import Decimal from 'decimal.js';
import { EntityManager } from 'typeorm';
import { HoldersService } from '../holders/holders.service';
import { detachedOnLane, heldTransaction } from '../platform/database/db-context';
import { NestedAcquire } from '../platform/database/lane-pool';
import { pgCode, PG } from '../platform/database/pg-errors';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { IdempotencyStore, slotKey } from '../platform/idempotency/idempotency';
import { AccountDirectory, AccountSpec } from './account-directory';
import { AssetsService } from './assets.service';
import { LedgerError } from './domain/errors';
import { accountKey, AccountRef, AssetSpec, PostedTransaction, PostingRequest } from './domain/model';
import { checkBalanced, reversalEntries, ResolvedEntry } from './domain/posting';
import { LedgerQueries } from './ledger-queries.service';
import { BatchItem, BatchOutcome, IdempotentAnswer, LedgerWriter } from './ledger.writer';
import { PostingBatcher } from './posting-batcher';

/**
 * Posting: the only way value moves. Other modules post through `post()` or
 * `postMany()` inside their own unit of work (so a record's status and its
 * posting commit together), or through `submit()`, which group-commits
 * concurrent postings in batches of their own (the batch lane).
 */
@Injectable()
export class LedgerPosting implements OnModuleDestroy {
  /** The group-commit queue: a helper of this service, holding no state beyond its queue. */
  private readonly batcher: PostingBatcher;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly assets: AssetsService,
    private readonly holders: HoldersService,
    private readonly directory: AccountDirectory,
    private readonly writer: LedgerWriter,
    private readonly queries: LedgerQueries,
    private readonly idempotency: IdempotencyStore,
  ) {
    this.batcher = new PostingBatcher((items) => this.runBatch(items), { windowMs: 2, maxBatch: 1000, maxInFlight: 2 });
  }

  async onModuleDestroy(): Promise<void> {
    await this.batcher.drain();
  }

  /** Resolves account ids (creating accounts lazily) and checks the posting's shape. */
  private async prepare(req: PostingRequest, m?: EntityManager): Promise<{ entries: ResolvedEntry[]; refs: AccountRef[] }> {
    return (await this.prepareAll(req.tenantId, [req], m))[0];
  }

  /** As `prepare`, for many postings of one tenant: their accounts are resolved (and created) together. */
  private async prepareAll(tenantId: string, reqs: PostingRequest[], m?: EntityManager): Promise<{ entries: ResolvedEntry[]; refs: AccountRef[] }[]> {
    requireTenant(tenantId);
    const catalog = new Map<string, AssetSpec>();
    const specs = new Map<string, AccountSpec>();
    for (const req of reqs) {
      if (req.tenantId !== tenantId) throw new Error('postings of one batch must belong to one tenant');
      checkBalanced(req);
      for (const e of req.entries) {
        if (!catalog.has(e.account.asset)) catalog.set(e.account.asset, await this.assets.get(tenantId, e.account.asset, m));
        const key = accountKey(e.account);
        if (specs.has(key)) continue;
        let regionCode = e.account.regionCode ?? null;
        if (e.account.holderType !== 'system' && !regionCode) {
          // Accounts carry their holder's region for scope checks: never create one without it.
          const holder = await this.holders.find(tenantId, e.account.holderType, e.account.holderId, m);
          if (!holder) throw new LedgerError('unknown-holder', `${e.account.holderType} ${e.account.holderId} not found`);
          regionCode = holder.regionCode;
        }
        specs.set(key, { ...e.account, regionCode });
      }
    }
    const ids = await this.directory.resolve(tenantId, [...specs.values()], (c) => catalog.get(c)!, m);
    return reqs.map((req) => ({
      entries: req.entries.map((e) => ({ accountId: ids.get(accountKey(e.account))!, asset: e.account.asset, amount: e.amount })),
      refs: req.entries.map((e) => e.account),
    }));
  }

  private async runBatch(items: BatchItem[]): Promise<BatchOutcome[]> {
    // A unique violation here is a concurrent twin (same idempotency key or
    // same reversal) committed by another batch: run again and it is seen.
    for (let attempt = 0; ; attempt++) {
      try {
        // On the batch lane, as work of its own: whoever's request started the timer, the batch holds no one's transaction.
        const { outcomes, accounts } = await detachedOnLane('batch', () => this.uow.run((m) => this.writer.applyShared(m, items)));
        this.writer.committed(accounts);
        return outcomes;
      } catch (e) {
        this.writer.failed(items); // covers a failed COMMIT too
        if (pgCode(e) !== PG.uniqueViolation || attempt >= 2) throw e;
      }
    }
  }

  /** Group-commit batches the database found stale against this process's account cache (see LedgerWriter.applyShared). */
  get staleBatches(): number {
    return this.writer.staleBatches;
  }

  /** Group-commit batches applied since start, on any path (for the benchmark's postings per batch). */
  get batchesApplied(): number {
    const b = this.writer.batches;
    return b.cached + b.ordinary + b.stale;
  }

  /** Posts inside the caller's unit of work. Throws LedgerError when refused. */
  async post(m: EntityManager, req: PostingRequest): Promise<PostedTransaction> {
    if (req.idempotency) throw new Error('post() inside a unit of work takes no idempotency key; the caller owns idempotency');
    const prepared = await this.prepare(req, m);
    const [outcome] = await this.writer.apply(m, [{ req, entries: prepared.entries }]);
    if (outcome.kind === 'refused') throw outcome.error;
    if (outcome.kind !== 'posted') throw new Error('unexpected replay');
    return outcome.transaction;
  }

  /**
   * Applies several postings as one batch inside the caller's unit of work:
   * accounts locked once in global order, each posting checked in order, a
   * refused one refusing only itself.
   */
  async postMany(m: EntityManager, reqs: PostingRequest[]): Promise<BatchOutcome[]> {
    const { outcomes, written } = await this.stageMany(m, reqs);
    await written;
    return outcomes;
  }

  /**
   * As `postMany`, returning once the write is sent: the outcomes are final and
   * `written` settles when the database has applied the batch (await it before
   * commit). See LedgerWriter.stage.
   */
  async stageMany(m: EntityManager, reqs: PostingRequest[]): Promise<{ outcomes: BatchOutcome[]; written: Promise<void> }> {
    if (!reqs.length) return { outcomes: [], written: Promise.resolve() };
    if (reqs.some((r) => r.idempotency)) throw new Error('postMany() inside a unit of work takes no idempotency keys');
    const prepared = await this.prepareAll(reqs[0].tenantId, reqs, m);
    return this.writer.stage(
      m,
      reqs.map((req, i) => ({ req, entries: prepared[i].entries })),
    );
  }

  /**
   * Submits a posting to the group-commit path. With an idempotency key, a
   * concurrent twin in this process waits for the first and then replays it.
   */
  async submit(req: PostingRequest, respond?: (tx: PostedTransaction, refs: AccountRef[]) => IdempotentAnswer): Promise<BatchOutcome> {
    // Waiting for a batch's connection while holding a transaction's is a nested acquisition too; post() belongs inside one.
    const held = heldTransaction();
    if (held) throw new NestedAcquire(held);
    const work = async () => {
      const prepared = await this.prepare(req);
      return this.batcher.submit({ req, entries: prepared.entries, respond: respond && ((tx) => respond(tx, prepared.refs)) });
    };
    // A twin in this process waits for the first (the one mechanism's in-flight slots), then its batch finds the stored answer.
    return req.idempotency ? this.idempotency.inFlight.run(slotKey({ tenantId: req.tenantId, ...req.idempotency }), work) : work();
  }

  /** Builds the reversal of a transaction: every entry negated, linked to the original. */
  async reversalRequest(tenantId: string, id: string, reason: string, actor: string, m?: EntityManager): Promise<PostingRequest> {
    const found = await this.queries.loadTransaction(tenantId, id, m);
    if (!found) throw new LedgerError('unknown-transaction', `transaction ${id} not found`);
    if (found.tx.kind === 'reversal') throw new LedgerError('not-reversible', 'a reversal cannot itself be reversed; post a new transaction instead');
    return {
      tenantId,
      kind: 'reversal',
      entries: reversalEntries(
        found.entries.map((e) => ({
          account: { holderType: e.holder_type as AccountRef['holderType'], holderId: e.holder_id, asset: e.asset_code, regionCode: e.region_code },
          amount: new Decimal(e.amount),
        })),
      ),
      memo: reason,
      metadata: {},
      actor,
      reversalOf: id,
    };
  }

}
