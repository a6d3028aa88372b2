import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { LedgerError } from './domain/errors';
import { transactionHash } from './domain/hash';
import { businessDayNumber, shanghaiDate } from '../platform/util/business-date';
import { Clock } from '../platform/util/clock';
import { AccountState, PostedTransaction, PostingRequest } from './domain/model';
import { applyPosting, monotonicNow, ResolvedEntry } from './domain/posting';
import { BatchWrite, HoldRow, LedgerStore } from './persistence/ledger.store';
import { IdempotencyStore } from '../platform/idempotency/idempotency';
import { MetricsService } from '../platform/observability/metrics.service';
import { yieldToIo } from '../platform/util/yield';
import { BeforeCommitHook, LedgerHooks } from './ledger.hooks';
import { timeOrderedUuid } from '../platform/util/time-ordered-id';

export interface IdempotentAnswer {
  status: number;
  body: unknown;
}

/** A posting whose account ids are known; `respond` builds the answer kept for idempotent replays. */
export interface BatchItem {
  req: PostingRequest;
  entries: ResolvedEntry[];
  respond?: (tx: PostedTransaction) => IdempotentAnswer;
}

export type BatchOutcome =
  | { kind: 'posted'; transaction: PostedTransaction; answer?: IdempotentAnswer }
  | { kind: 'replayed'; answer: IdempotentAnswer }
  | { kind: 'refused'; error: LedgerError };


const idemKey = (r: PostingRequest) => (r.idempotency ? `${r.tenantId}|${r.idempotency.scope}|${r.idempotency.key}` : null);

/**
 * Applies a batch of postings inside one DB transaction (the caller's manager):
 * lock every account the batch touches in id order, check each posting in
 * memory in arrival order (a refused posting refuses only itself), then write
 * transactions, entries, balances, holds and idempotency records in bulk.
 */
@Injectable()
export class LedgerWriter {
  /** States of accounts as this process last committed them (see applyShared). */
  private readonly cache = new Map<string, AccountState>();
  private checkTurn: Promise<void> = Promise.resolve();
  private lockTurn: Promise<void> = Promise.resolve();
  /** Group-commit batches by the path they took, since start. */
  readonly batches = { cached: 0, ordinary: 0, stale: 0 };

  private readonly batchCounter: Counter<'path'>;

  constructor(
    private readonly store: LedgerStore,
    private readonly hooks: LedgerHooks,
    private readonly idempotency: IdempotencyStore,
    metrics: MetricsService,
    private readonly clock: Clock,
  ) {
    this.batchCounter = new Counter({
      name: 'jifen_ledger_batches_total',
      help: 'Group-commit batches by path: cached (checked against the account cache, confirmed by the database), ordinary, stale (the database refused the cache; checked again under the locks)',
      labelNames: ['path'],
      registers: [metrics.registry],
    });
  }

  private beforeCommit(): BeforeCommitHook | undefined {
    return this.hooks.beforeCommit;
  }

  private beforeGuardedWrite(): (() => Promise<void>) | undefined {
    return this.hooks.beforeGuardedWrite;
  }

  private onBatch(path: keyof LedgerWriter['batches']): void {
    this.batchCounter.inc({ path });
  }

  async apply(m: EntityManager, items: BatchItem[]): Promise<BatchOutcome[]> {
    const { outcomes, written } = await this.stage(m, items);
    await written;
    return outcomes;
  }

  /**
   * As `apply`, but returns as soon as the batch's write has been sent: the
   * outcomes are final (decided in memory under the account locks) and
   * `written` settles when the database has applied the write. Statements the
   * caller sends afterwards on the same transaction run after it, so a caller
   * can prepare its next batch while this one is written; it must await
   * `written` before it commits.
   */
  async stage(m: EntityManager, items: BatchItem[]): Promise<{ outcomes: BatchOutcome[]; written: Promise<void> }> {
    const now = this.clock.now();
    const reads = await this.read(m, items);
    const { states, holds } = await this.lock(m, reads);
    const d = await this.decide(items, states, now, reads, holds);
    // What the shared cache knew of these accounts is no longer true once this commits.
    for (const id of d.touched) this.cache.delete(id);
    const write = toWrite(d, states);
    const written = this.store.writeBatch(m, write).then(() => this.beforeCommit()?.(m, d.posted));
    // Handled here so that a failure before the caller awaits is not reported
    // as unhandled; the caller still sees it when it awaits `written`.
    written.catch(() => undefined);
    return { outcomes: d.outcomes, written };
  }

  /**
   * The group-commit path: one batch in its own DB transaction (the caller
   * commits it, then calls `committed`, or `failed` if anything went wrong).
   *
   * When every account the batch touches is in the cache of states this
   * process has written, the batch is checked against the cache before any
   * lock is taken, and one statement then locks the accounts, verifies that
   * each is still exactly as the cache says (balance, pending, entry count)
   * and writes, or writes nothing if one is not. So the locks are held for the
   * write and the commit only, not for the round trip and the checking in
   * Node, and the next batch is checked while this one is written. The
   * database decides: if another process, a caller's unit of work or a batch
   * that failed has moved an account, the check fails, the cache forgets
   * those accounts, and the batch is checked again under the locks it now
   * holds, as on the ordinary path.
   */
  async applyShared(m: EntityManager, items: BatchItem[]): Promise<{ outcomes: BatchOutcome[]; accounts: AccountState[] }> {
    const now = this.clock.now();
    try {
      // Stored idempotency answers are not looked up before the cached path (a
      // replay is rare): its guarded write fails on a stored key, and the batch
      // then looks them up on the paths below (see LedgerStore.writeBatchIfCurrent).
      const reads: BatchReads = { ...readAccounts(items), stored: new Map(), reversed: await this.findReversed(m, items) };
      const ids = [...reads.accounts.keys()];
      let speculated: Awaited<ReturnType<LedgerWriter['trySpeculative']>> = 'skipped';
      if (!reads.holdKeys.length && ids.every((id) => this.cache.has(id))) {
        speculated = await this.trySpeculative(m, items, now, reads, ids);
        if (typeof speculated === 'object') {
          this.count('cached');
          return speculated;
        }
      }
      this.count(speculated === 'stale' ? 'stale' : 'ordinary');
      // Found stale, the batch holds its locks already: read the accounts again under them.
      // Otherwise the ordinary path, in the same order as the speculative batches: the
      // cache forgets these accounts before a later batch can check against them, and
      // the locks are requested after the batch before has its own.
      const { states, holds } =
        speculated === 'stale'
          ? await this.lock(m, reads)
          : await this.inTurn(
              async () => {
                for (const id of ids) this.cache.delete(id); // known again once committed
              },
              () => this.lock(m, reads),
            );
      reads.stored = await this.readStored(m, items);
      const d = await this.decide(items, states, now, reads, holds);
      await this.store.writeBatch(m, toWrite(d, states));
      await this.beforeCommit()?.(m, d.posted);
      return { outcomes: d.outcomes, accounts: [...states.values()] };
    } catch (e) {
      this.failed(items);
      throw e;
    }
  }

  /**
   * The batch checked against the cache and written under the guard; or
   * 'skipped' (an account was forgotten meanwhile: nothing sent, no lock
   * taken), or 'stale' (the database found an account moved: nothing written,
   * but the locks are taken).
   */
  private async trySpeculative(m: EntityManager, items: BatchItem[], now: Date, reads: BatchReads, ids: string[]): Promise<{ outcomes: BatchOutcome[]; accounts: AccountState[] } | 'skipped' | 'stale'> {
    let sent = false;
    const ok = await this.inTurn(
      async () => {
        const states = new Map<string, AccountState>();
        for (const id of ids) {
          const s = this.cache.get(id);
          if (!s) return null; // forgotten while this batch waited for its turn
          states.set(id, s);
        }
        const expected = [...states.values()].map((s) => ({ tenantId: s.tenantId, id: s.id, balance: s.balance, pending: s.pending, entryCount: s.entryCount }));
        const d = await this.decide(items, states, now, reads, new Map());
        // Built now: once this turn ends the next batch goes on changing the cached states,
        // and once the lock turn comes the statement should leave at once.
        const accounts = [...d.touched].map((id) => states.get(id)!);
        const answered = new Set(d.idemRows.map((r) => `${r.tenantId}|${r.scope}|${r.key}`));
        const unansweredKeys = items
          .filter((i) => i.req.idempotency && !answered.has(idemKey(i.req)!))
          .map((i) => ({ tenantId: i.req.tenantId, scope: i.req.idempotency!.scope, key: i.req.idempotency!.key }));
        const write = this.store.guardedWrite({ transactions: d.posted, accounts, holds: [], idempotency: d.idemRows, closings: d.closings, expected, unansweredKeys });
        return { d, write };
      },
      async (checked) => {
        if (!checked) return null;
        const { d, write } = checked;
        const pause = this.beforeGuardedWrite(); // a test seam; no extra await when unset
        if (pause) await pause();
        sent = true;
        const wrote = await this.store.writeBatchIfCurrent(m, write);
        return wrote ? d : null;
      },
    );
    if (ok) {
      await this.beforeCommit()?.(m, ok.posted);
      return { outcomes: ok.outcomes, accounts: [] }; // the cache holds these states already
    }
    if (!sent) return 'skipped';
    // Someone else moved an account: the cache forgets them all; the caller checks again under the locks.
    for (const id of ids) this.cache.delete(id);
    return 'stale';
  }

  /**
   * Runs `check` after the previous batch's check, and `lock` (the statement
   * that takes the accounts' locks) once the previous batch's lock statement
   * has returned, so batches take their locks in the order they checked, while
   * this batch's check overlaps the previous batch's write. Without the second
   * turn a small batch could take an account before a large batch sent earlier
   * and find it short of what the cache, which already counts the large
   * batch, expects.
   */
  private async inTurn<A, B>(check: () => Promise<A>, lock: (a: A) => Promise<B>): Promise<B> {
    const previousCheck = this.checkTurn;
    const previousLock = this.lockTurn;
    let checked!: () => void;
    let locked!: () => void;
    this.checkTurn = new Promise<void>((r) => (checked = r));
    this.lockTurn = new Promise<void>((r) => (locked = r));
    try {
      let a: A;
      try {
        await previousCheck;
        a = await check();
      } finally {
        checked();
      }
      await previousLock;
      return await lock(a);
    } finally {
      locked();
    }
  }

  /** After the batch's DB transaction has committed: its accounts' states are now known. */
  committed(accounts: AccountState[]): void {
    if (this.cache.size + accounts.length > ACCOUNT_CACHE_LIMIT) this.cache.clear();
    for (const s of accounts) this.cache.set(s.id, s);
  }

  /** The batch did not commit: whatever the cache says of its accounts may be wrong. */
  failed(items: BatchItem[]): void {
    for (const i of items) for (const e of i.entries) this.cache.delete(e.accountId);
  }

  private count(path: keyof LedgerWriter['batches']): void {
    this.batches[path]++;
    this.onBatch(path);
  }

  /** Accounts changed outside the batch path (holds): the cache forgets them rather than make the next batch fail its guard. */
  forget(accountIds: Iterable<string>): void {
    for (const id of accountIds) this.cache.delete(id);
  }

  /** Batches found stale by the database since start (for tests and metrics). */
  get staleBatches(): number {
    return this.batches.stale;
  }

  /**
   * Locks the batch's accounts in id order and then the holds it completes
   * (after the accounts, the same order everywhere).
   */
  private async lock(m: EntityManager, reads: BatchReads): Promise<{ states: Map<string, AccountState>; holds: Map<string, HoldRow> }> {
    const states = new Map<string, AccountState>();
    for (const s of await this.store.lockAccounts(m, [...reads.accounts.values()])) states.set(s.id, s);
    const holds = new Map((await this.store.findHolds(m, reads.holdKeys, true)).map((h) => [`${h.tenant_id}|${h.id}`, h]));
    return { states, holds };
  }

  private async read(m: EntityManager, items: BatchItem[]): Promise<BatchReads> {
    return { ...readAccounts(items), stored: await this.readStored(m, items), reversed: await this.findReversed(m, items) };
  }

  /** Idempotency answers already stored for the batch's keys (the one mechanism's store). */
  private async readStored(m: EntityManager, items: BatchItem[]): Promise<BatchReads['stored']> {
    const keyed = items.filter((i) => i.req.idempotency);
    const stored = new Map<string, { hash: Buffer; answer: IdempotentAnswer }>();
    const found = await this.idempotency.findMany(m, keyed.map((i) => ({ tenantId: i.req.tenantId, scope: i.req.idempotency!.scope, key: i.req.idempotency!.key })));
    for (const [slot, a] of found) stored.set(slot, { hash: a.requestHash, answer: { status: a.status, body: a.body } });
    return stored;
  }

  /** The transactions the batch reverses that have a reversal already. */
  private findReversed(m: EntityManager, items: BatchItem[]): Promise<Set<string>> {
    return this.store.findReversed(
      m,
      items.filter((i) => i.req.reversalOf).map((i) => ({ tenantId: i.req.tenantId, id: i.req.reversalOf! })),
    );
  }

  /**
   * Checks each posting in arrival order against `states` (mutated as it goes)
   * and builds everything the batch writes. A refused posting refuses only itself.
   */
  private async decide(items: BatchItem[], states: Map<string, AccountState>, now: Date, reads: BatchReads, holds: Map<string, HoldRow>): Promise<Decided> {
    const outcomes = new Array<BatchOutcome | undefined>(items.length);
    const { stored } = reads;
    const reversed = new Set(reads.reversed);
    const posted: PostedTransaction[] = [];
    const touched = new Set<string>();
    const seenKeys = new Map<string, { hash: Buffer; index: number }>();
    const duplicateOf = new Map<number, number>();
    const idemRows: BatchWrite['idempotency'] = [];
    const holdUpdates: BatchWrite['holds'] = [];
    const closings: BatchWrite['closings'] = [];

    for (let index = 0; index < items.length; index++) {
      // A long batch gives the event loop back now and then, so that replies to
      // statements already sent (and the next ones queued) are not held up.
      if (index % YIELD_EVERY === YIELD_EVERY - 1) await yieldToIo();
      const item = items[index];
      const { req } = item;
      try {
        const key = idemKey(req);
        if (key) {
          const prior = stored.get(key);
          if (prior) {
            if (!prior.hash.equals(req.idempotency!.requestHash)) throw reusedKey();
            outcomes[index] = { kind: 'replayed', answer: prior.answer };
            continue;
          }
          const earlier = seenKeys.get(key);
          if (earlier) {
            if (!earlier.hash.equals(req.idempotency!.requestHash)) throw reusedKey();
            duplicateOf.set(index, earlier.index); // answered like the first, below
            continue;
          }
          seenKeys.set(key, { hash: req.idempotency!.requestHash, index });
        }
        if (req.reversalOf) {
          if (reversed.has(req.reversalOf)) throw new LedgerError('already-reversed', `transaction ${req.reversalOf} has already been reversed`);
        }
        let release: { accountId: string; amount: Decimal } | undefined;
        if (req.completesHold) {
          const hold = holds.get(`${req.tenantId}|${req.completesHold.holdId}`);
          if (!hold) throw new LedgerError('unknown-hold', `hold ${req.completesHold.holdId} not found`);
          if (hold.status !== 'pending' || hold.expires_at.getTime() <= now.getTime()) {
            throw new LedgerError('hold-not-pending', `hold ${hold.id} is ${hold.status === 'pending' ? 'expired' : hold.status}`);
          }
          if (req.completesHold.amount.gt(hold.amount)) {
            throw new LedgerError('hold-amount-exceeded', `hold ${hold.id} reserved ${hold.amount}, less than ${req.completesHold.amount.toFixed()}`);
          }
          release = { accountId: hold.account_id, amount: new Decimal(hold.amount) };
        }
        const involved = item.entries.map((e) => states.get(e.accountId)!);
        const createdAt = monotonicNow(now, involved);
        if (req.effectiveOn !== undefined && !(req.effectiveOn < shanghaiDate(createdAt))) {
          throw new LedgerError('not-in-the-past', `a backdated posting must be effective before today (${shanghaiDate(createdAt)}), not ${req.effectiveOn}`, 'effectiveOn');
        }
        // An account's first posting on a new business day closes its last day: that day's
        // closing balance goes to account_days (once a day per account, not once a batch).
        // Compared as day numbers: no date text is built on the posting path unless a day closes.
        const today = businessDayNumber(createdAt);
        for (const s of involved) {
          if (s.lastEntryAt && businessDayNumber(s.lastEntryAt) < today) closings.push({ tenantId: s.tenantId, accountId: s.id, day: shanghaiDate(s.lastEntryAt), balance: s.balance });
        }
        const rows = applyPosting(states, req.kind, item.entries, createdAt, release, req.spendFloor);
        for (const e of item.entries) touched.add(e.accountId);
        if (release) touched.add(release.accountId);
        const tx: PostedTransaction = {
          id: timeOrderedUuid(),
          tenantId: req.tenantId,
          kind: req.kind,
          memo: req.memo,
          metadata: req.metadata,
          source: req.source,
          actor: req.actor,
          reversalOf: req.reversalOf,
          createdAt,
          ...(req.effectiveOn !== undefined ? { effectiveOn: req.effectiveOn } : {}),
          entries: rows,
          hash: Buffer.alloc(0),
        };
        tx.hash = transactionHash({
          ...tx,
          sourceType: tx.source?.type ?? null,
          sourceId: tx.source?.id ?? null,
          reversalOf: tx.reversalOf ?? null,
        });
        posted.push(tx);
        if (req.reversalOf) reversed.add(req.reversalOf);
        if (req.completesHold) {
          holds.get(`${req.tenantId}|${req.completesHold.holdId}`)!.status = 'completed';
          holdUpdates.push({
            tenantId: req.tenantId,
            id: req.completesHold.holdId,
            status: 'completed',
            at: createdAt,
            completedAmount: req.completesHold.amount,
            transactionId: tx.id,
          });
        }
        const answer = item.respond?.(tx);
        if (req.idempotency && answer) {
          idemRows.push({ tenantId: req.tenantId, scope: req.idempotency.scope, key: req.idempotency.key, requestHash: req.idempotency.requestHash, status: answer.status, response: answer.body });
        }
        outcomes[index] = { kind: 'posted', transaction: tx, answer };
      } catch (e) {
        if (!(e instanceof LedgerError)) throw e;
        outcomes[index] = { kind: 'refused', error: e };
      }
    }
    // A key repeated within the batch gets the first occurrence's answer.
    for (const [index, first] of duplicateOf) {
      const o = outcomes[first]!;
      outcomes[index] = o.kind === 'posted' && o.answer ? { kind: 'replayed', answer: o.answer } : o;
    }

    return { outcomes: outcomes as BatchOutcome[], posted, touched, idemRows, holdUpdates, closings };
  }
}

/** Every account the batch touches (locked in id order by the store), and the holds it completes. */
function readAccounts(items: BatchItem[]): Pick<BatchReads, 'accounts' | 'holdKeys'> {
  const accounts = new Map<string, { tenantId: string; id: string }>();
  for (const i of items) {
    for (const e of i.entries) accounts.set(e.accountId, { tenantId: i.req.tenantId, id: e.accountId });
    const h = i.req.completesHold;
    if (h) accounts.set(h.accountId, { tenantId: i.req.tenantId, id: h.accountId });
  }
  const holdKeys = items.filter((i) => i.req.completesHold).map((i) => ({ tenantId: i.req.tenantId, id: i.req.completesHold!.holdId }));
  return { accounts, holdKeys };
}

interface BatchReads {
  stored: Map<string, { hash: Buffer; answer: IdempotentAnswer }>;
  accounts: Map<string, { tenantId: string; id: string }>;
  holdKeys: { tenantId: string; id: string }[];
  reversed: Set<string>;
}

interface Decided {
  outcomes: BatchOutcome[];
  posted: PostedTransaction[];
  touched: Set<string>;
  idemRows: BatchWrite['idempotency'];
  holdUpdates: BatchWrite['holds'];
  closings: BatchWrite['closings'];
}

/** What a decided batch writes, with the states its accounts end in. */
const toWrite = (d: Decided, states: Map<string, AccountState>): BatchWrite => ({
  transactions: d.posted,
  accounts: [...d.touched].map((id) => states.get(id)!),
  holds: d.holdUpdates,
  idempotency: d.idemRows,
  closings: d.closings,
});

/** Accounts whose states the shared cache keeps; past this it starts again. */
const ACCOUNT_CACHE_LIMIT = 200_000;

/** Postings checked between two yields to the event loop. */
const YIELD_EVERY = 100;

const reusedKey = () => new LedgerError('idempotency-key-reused', 'this Idempotency-Key was used with a different request');
