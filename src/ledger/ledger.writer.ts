import Decimal from 'decimal.js';
import type { EntityManager } from 'typeorm';
import { LedgerError } from './domain/errors';
import { transactionHash } from './domain/hash';
import { AccountState, PostedTransaction, PostingRequest } from './domain/model';
import { applyPosting, monotonicNow, ResolvedEntry } from './domain/posting';
import { LedgerStore } from './persistence/ledger.store';
import { yieldToIo } from '../platform/util/yield';
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

/** Account states locked by the current DB transaction, by account id. */
export type HeldAccounts = Map<string, AccountState>;

/** Test seam: runs after everything is written and before commit. */
export type BeforeCommitHook = (m: EntityManager, posted: PostedTransaction[]) => Promise<void> | void;

const idemKey = (r: PostingRequest) => (r.idempotency ? `${r.tenantId}|${r.idempotency.scope}|${r.idempotency.key}` : null);

/**
 * Applies a batch of postings inside one DB transaction (the caller's manager):
 * lock every account the batch touches in id order, check each posting in
 * memory in arrival order (a refused posting refuses only itself), then write
 * transactions, entries, balances, holds and idempotency records in bulk.
 */
export class LedgerWriter {
  constructor(
    private readonly store: LedgerStore,
    private readonly beforeCommit: () => BeforeCommitHook | undefined,
  ) {}

  async apply(m: EntityManager, items: BatchItem[], held?: HeldAccounts): Promise<BatchOutcome[]> {
    const { outcomes, written } = await this.stage(m, items, held);
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
   *
   * `held`, given by a caller that posts several batches in one transaction,
   * keeps the states of the accounts this transaction has locked: row locks
   * last until commit, so no one else can change them, and later batches lock
   * only accounts they have not seen yet.
   */
  async stage(m: EntityManager, items: BatchItem[], held?: HeldAccounts): Promise<{ outcomes: BatchOutcome[]; written: Promise<void> }> {
    const now = new Date();
    const outcomes: (BatchOutcome | undefined)[] = new Array(items.length);

    // Idempotency: answers already stored.
    const keyed = items.filter((i) => i.req.idempotency);
    const stored = new Map<string, { hash: Buffer; answer: IdempotentAnswer }>();
    for (const r of await this.store.findIdempotency(
      m,
      keyed.map((i) => ({ tenantId: i.req.tenantId, scope: i.req.idempotency!.scope, key: i.req.idempotency!.key })),
    )) {
      stored.set(`${r.tenant_id}|${r.scope}|${r.key}`, { hash: r.request_hash, answer: { status: r.status_code, body: r.response } });
    }

    // Lock every account the batch touches, in id order.
    const lockKeys = new Map<string, { tenantId: string; id: string }>();
    for (const i of items) {
      for (const e of i.entries) lockKeys.set(e.accountId, { tenantId: i.req.tenantId, id: e.accountId });
      const h = i.req.completesHold;
      if (h) lockKeys.set(h.accountId, { tenantId: i.req.tenantId, id: h.accountId });
    }
    const states: HeldAccounts = held ?? new Map<string, AccountState>();
    for (const s of await this.store.lockAccounts(m, [...lockKeys.values()].filter((k) => !states.has(k.id)))) states.set(s.id, s);

    // Holds being completed, locked after the accounts (the same order everywhere).
    const holdKeys = items.filter((i) => i.req.completesHold).map((i) => ({ tenantId: i.req.tenantId, id: i.req.completesHold!.holdId }));
    const holds = new Map((await this.store.findHolds(m, holdKeys, true)).map((h) => [`${h.tenant_id}|${h.id}`, h]));

    const reversed = await this.store.findReversed(
      m,
      items.filter((i) => i.req.reversalOf).map((i) => ({ tenantId: i.req.tenantId, id: i.req.reversalOf! })),
    );

    const posted: PostedTransaction[] = [];
    const touched = new Set<string>();
    const seenKeys = new Map<string, { hash: Buffer; index: number }>();
    const duplicateOf = new Map<number, number>();
    const idemRows: Parameters<LedgerStore['writeBatch']>[1]['idempotency'] = [];
    const holdUpdates: Parameters<LedgerStore['writeBatch']>[1]['holds'] = [];

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
        const rows = applyPosting(states, req.kind, item.entries, createdAt, release);
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

    const written = this.store
      .writeBatch(m, {
        transactions: posted,
        accounts: [...touched].map((id) => states.get(id)!),
        holds: holdUpdates,
        idempotency: idemRows,
      })
      .then(() => this.beforeCommit()?.(m, posted));
    // Handled here so that a failure before the caller awaits is not reported
    // as unhandled; the caller still sees it when it awaits `written`.
    written.catch(() => undefined);
    return { outcomes: outcomes as BatchOutcome[], written };
  }
}

/** Postings checked between two yields to the event loop. */
const YIELD_EVERY = 250;

const reusedKey = () => new LedgerError('idempotency-key-reused', 'this Idempotency-Key was used with a different request');
