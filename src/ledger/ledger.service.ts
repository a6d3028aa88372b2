import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Decimal from 'decimal.js';
import { Counter } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { assertRegionInScope, KeyPrincipal } from '../auth/principal';
import { HoldersService, HolderType } from '../holders/holders.service';
import { detachedOnLane, heldTransaction } from '../platform/database/db-context';
import { NestedAcquire } from '../platform/database/lane-pool';
import { pgCode, PG } from '../platform/database/pg-errors';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { BackgroundJobs } from '../platform/jobs/background-jobs';
import { MetricsService } from '../platform/observability/metrics.service';
import { requestHash } from '../platform/http/idempotency';
import { decodeCursor, encodeCursor, Page } from '../platform/http/pagination';
import { TenancyService } from '../tenancy/tenancy.service';
import { AccountDirectory, AccountSpec } from './account-directory';
import { AssetsService, DEFAULT_ASSETS } from './assets.service';
import { parsePositiveAmount } from './domain/amount';
import { LedgerError } from './domain/errors';
import { accountKey, AccountRef, AssetSpec, PostedTransaction, PostingRequest, TransactionKind } from './domain/model';
import { applyHold, checkBalanced, reversalEntries, ResolvedEntry } from './domain/posting';
import { LedgerAudit, VerifyReport } from './ledger.audit';
import { LedgerHooks } from './ledger.hooks';
import { BalanceView, HolderEntryView, HoldView, TransactionView, transactionView } from './ledger.views';
import { BatchItem, BatchOutcome, HeldAccounts, IdempotentAnswer, LedgerWriter } from './ledger.writer';
import { LedgerStore } from './persistence/ledger.store';
import { PostingBatcher } from './posting-batcher';

export type HolderRef = { type: HolderType; id: string };
export type Party = HolderRef | 'issuer';

export interface TransferCommand {
  asset: string;
  from: Party;
  to: Party;
  amount: string;
  memo: string;
  metadata?: Record<string, unknown>;
}

export interface HoldCommand {
  tenantId: string;
  asset: string;
  from: HolderRef;
  to: Party;
  amount: Decimal;
  kind: TransactionKind;
  memo: string;
  actor: string;
  /** Default 30 minutes. */
  timeoutMs?: number;
  /** The least available balance the holder may keep (see PostingRequest.spendFloor). */
  spendFloor?: Decimal;
}

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const SEAL_INTERVAL_MS = 5000;
const HOLD_SWEEP_INTERVAL_MS = 15_000;

/** `asOf=D` is the end of business day D in Asia/Shanghai: the instant D+1 00:00 +08:00. */
export function endOfBusinessDay(date: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1) - SHANGHAI_OFFSET_MS);
}


/**
 * The only writer of the ledger tables. Other modules post through `post()`
 * inside their own unit of work (so a record's status and its posting commit
 * together), or through `submit()`, which group-commits concurrent postings.
 */
@Injectable()
export class LedgerService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('LedgerService');
  private readonly store = new LedgerStore();
  private readonly directory: AccountDirectory;
  private readonly writer: LedgerWriter;
  private readonly batcher: PostingBatcher;
  private readonly audit: LedgerAudit;
  private readonly inFlightKeys = new Map<string, Promise<unknown>>();
  private readonly adjustedListeners: ((tenantId: string, accounts: AccountRef[]) => Promise<void>)[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly assets: AssetsService,
    private readonly holders: HoldersService,
    private readonly tenancy: TenancyService,
    hooks: LedgerHooks,
    metrics: MetricsService,
    private readonly jobs: BackgroundJobs,
  ) {
    this.directory = new AccountDirectory(dataSource, this.store);
    const batches = new Counter({
      name: 'jifen_ledger_batches_total',
      help: 'Group-commit batches by path: cached (checked against the account cache, confirmed by the database), ordinary, stale (the database refused the cache; checked again under the locks)',
      labelNames: ['path'],
      registers: [metrics.registry],
    });
    this.writer = new LedgerWriter(this.store, () => hooks.beforeCommit, (path) => batches.inc({ path }), () => hooks.beforeGuardedWrite);
    this.batcher = new PostingBatcher((items) => this.runBatch(items), { windowMs: 2, maxBatch: 1000, maxInFlight: 2 });
    this.audit = new LedgerAudit(dataSource, uow);
  }

  onModuleInit(): void {
    this.tenancy.onTenantCreated(async (m, tenant) => {
      for (const a of DEFAULT_ASSETS) await this.assets.insert(m, tenant.id, a);
    });
    // Seal new transactions into the chain every few seconds, off the posting path.
    this.jobs.every('sealing the ledger', SEAL_INTERVAL_MS, () => this.audit.sealAll());
    // Holds past their timeout give their reservation back without anyone asking.
    this.jobs.every('expiring holds', HOLD_SWEEP_INTERVAL_MS, () => this.expireHolds());
  }

  async onModuleDestroy(): Promise<void> {
    await this.batcher.drain();
  }

  // ---------------------------------------------------------------- posting

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
   * As `postMany`, for a caller that writes many batches in one unit of work
   * (the CSV import): returns the outcomes once the write is sent, with
   * `written` to await before commit, and keeps the accounts it has locked in
   * `held` so that the next batch locks only new ones; their balance rows are
   * written by `flushHeld`, once, before commit. See LedgerWriter.stage.
   */
  async stageMany(m: EntityManager, reqs: PostingRequest[], held?: HeldAccounts): Promise<{ outcomes: BatchOutcome[]; written: Promise<void> }> {
    if (!reqs.length) return { outcomes: [], written: Promise.resolve() };
    if (reqs.some((r) => r.idempotency)) throw new Error('postMany() inside a unit of work takes no idempotency keys');
    const prepared = await this.prepareAll(reqs[0].tenantId, reqs, m);
    return this.writer.stage(
      m,
      reqs.map((req, i) => ({ req, entries: prepared[i].entries })),
      held,
    );
  }

  /** Writes the balances `stageMany` left behind in `held`; await it after the last batch is written, before commit. */
  flushHeld(m: EntityManager, held: HeldAccounts): Promise<void> {
    return this.writer.flush(m, held);
  }

  /**
   * Submits a posting to the group-commit path. With an idempotency key, a
   * concurrent twin in this process waits for the first and then replays it.
   */
  async submit(req: PostingRequest, respond?: (tx: PostedTransaction, refs: AccountRef[]) => IdempotentAnswer): Promise<BatchOutcome> {
    // Waiting for a batch's connection while holding a transaction's is a nested acquisition too; post() belongs inside one.
    const held = heldTransaction();
    if (held) throw new NestedAcquire(held);
    const key = req.idempotency ? `${req.tenantId}|${req.idempotency.scope}|${req.idempotency.key}` : null;
    if (key) {
      const earlier = this.inFlightKeys.get(key);
      if (earlier) {
        await earlier.catch(() => undefined);
        return this.submit(req, respond);
      }
    }
    const work = (async () => {
      const prepared = await this.prepare(req);
      return this.batcher.submit({ req, entries: prepared.entries, respond: respond && ((tx) => respond(tx, prepared.refs)) });
    })();
    if (key) {
      this.inFlightKeys.set(key, work);
      void work.finally(() => this.inFlightKeys.delete(key)).catch(() => undefined);
    }
    return work;
  }

  // ---------------------------------------------------------------- API use cases

  private async party(p: KeyPrincipal, asset: AssetSpec, party: Party, field: string): Promise<AccountRef & { regionCode: string | null }> {
    if (party === 'issuer') return { holderType: 'system', holderId: 'issuer', asset: asset.code, regionCode: null };
    const holder = await this.holders.find(p.tenantId, party.type, party.id);
    if (!holder) throw new LedgerError('unknown-holder', `${party.type} ${party.id} not found`, field);
    assertRegionInScope(p, holder.regionCode, `${party.type} ${party.id}`);
    if ((party.type === 'household' || party.type === 'person') && party.type !== asset.holderType) {
      throw new LedgerError('wrong-holder-type', `${asset.code} is held by ${asset.holderType}s, not ${party.type}s`, field);
    }
    return { holderType: party.type, holderId: party.id, asset: asset.code, regionCode: holder.regionCode };
  }

  private async viewOf(tenantId: string, tx: PostedTransaction, refs: AccountRef[]): Promise<TransactionView> {
    const scales = new Map<string, number>();
    for (const r of refs) if (!scales.has(r.asset)) scales.set(r.asset, (await this.assets.get(tenantId, r.asset)).scale);
    return transactionView(tx, refs, scales);
  }

  /** The answer kept for idempotent replays: 201 and the transaction. */
  private responder(scales: Map<string, number>) {
    return (tx: PostedTransaction, refs: AccountRef[]): IdempotentAnswer => ({ status: 201, body: transactionView(tx, refs, scales) });
  }

  /**
   * Called after an admin transfer or reversal has committed, with the accounts
   * it moved (the sanctions re-evaluate a household's CONDUCT). A failing
   * listener is logged, never undoes the posting; the daily re-evaluation
   * catches up.
   */
  onAdjusted(listener: (tenantId: string, accounts: AccountRef[]) => Promise<void>): void {
    this.adjustedListeners.push(listener);
  }

  private async adjusted(o: BatchOutcome, req: PostingRequest): Promise<void> {
    if (o.kind !== 'posted') return;
    for (const l of this.adjustedListeners) {
      await l(req.tenantId, req.entries.map((e) => e.account)).catch((e) => this.logger.warn(`after-adjustment listener failed: ${String(e)}`));
    }
  }

  private answer(o: BatchOutcome): IdempotentAnswer {
    if (o.kind === 'refused') throw o.error;
    if (o.kind === 'replayed') return o.answer;
    return o.answer!;
  }

  /** POST /v1/transfers: an admin adjustment between a holder and the issuer, or two holders. */
  async transfer(p: KeyPrincipal, cmd: TransferCommand, idempotencyKey: string, rawBody: unknown): Promise<IdempotentAnswer> {
    const asset = await this.assets.get(p.tenantId, cmd.asset);
    const amount = parsePositiveAmount(cmd.amount, asset.scale);
    const from = await this.party(p, asset, cmd.from, 'from');
    const to = await this.party(p, asset, cmd.to, 'to');
    if (accountKey(from) === accountKey(to)) throw new LedgerError('same-account', 'from and to are the same account');
    const kind: TransactionKind = cmd.from === 'issuer' ? 'issue' : cmd.to === 'issuer' ? 'penalty' : 'transfer';
    const scope = 'POST /v1/transfers';
    const req: PostingRequest = {
      tenantId: p.tenantId,
      kind,
      entries: [
        { account: from, amount: amount.negated() },
        { account: to, amount },
      ],
      memo: cmd.memo,
      metadata: cmd.metadata ?? {},
      actor: `key:${p.keyId}`,
      idempotency: { scope, key: idempotencyKey, requestHash: requestHash(scope, rawBody) },
    };
    const outcome = await this.submit(req, this.responder(new Map([[asset.code, asset.scale]])));
    await this.adjusted(outcome, req);
    return this.answer(outcome);
  }

  private async loadTransaction(tenantId: string, id: string, m: EntityManager = this.dataSource.manager) {
    const rows = await m.query(
      `SELECT id, kind, memo, metadata, source_type, source_id, actor, reversal_of, created_at, hash
         FROM ledger_transactions WHERE tenant_id = $1 AND id = $2`,
      [requireTenant(tenantId), id],
    );
    if (!rows[0]) return null;
    const entries: { account_id: string; account_seq: string; asset_code: string; amount: string; balance_after: string; holder_type: string; holder_id: string; region_code: string | null }[] =
      await m.query(
        `SELECT e.account_id::text AS account_id, e.account_seq::text AS account_seq, e.asset_code, e.amount::text AS amount,
                e.balance_after::text AS balance_after, a.holder_type, a.holder_id, a.region_code
           FROM ledger_entries e JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
          WHERE e.tenant_id = $1 AND e.transaction_id = $2
          ORDER BY e.amount < 0 DESC, e.account_id`,
        [tenantId, id],
      );
    return { tx: rows[0], entries };
  }

  /** Scoped keys see a transaction only if every holder in it is in their scope. */
  private assertTransactionVisible(p: KeyPrincipal, id: string, entries: { region_code: string | null }[]): void {
    for (const e of entries) if (e.region_code) assertRegionInScope(p, e.region_code, `transaction ${id}`);
  }

  async getTransaction(p: KeyPrincipal, id: string): Promise<TransactionView> {
    const found = await this.loadTransaction(p.tenantId, id);
    if (!found) throw new LedgerError('unknown-transaction', `transaction ${id} not found`);
    this.assertTransactionVisible(p, id, found.entries);
    const { tx, entries } = found;
    const refs = entries.map((e) => ({ holderType: e.holder_type as AccountRef['holderType'], holderId: e.holder_id, asset: e.asset_code }));
    return this.viewOf(
      p.tenantId,
      {
        id: tx.id,
        tenantId: p.tenantId,
        kind: tx.kind,
        memo: tx.memo,
        metadata: tx.metadata,
        source: tx.source_type ? { type: tx.source_type, id: tx.source_id } : undefined,
        actor: tx.actor,
        reversalOf: tx.reversal_of ?? undefined,
        createdAt: tx.created_at,
        hash: tx.hash,
        entries: entries.map((e) => ({ accountId: e.account_id, accountSeq: BigInt(e.account_seq), asset: e.asset_code, amount: new Decimal(e.amount), balanceAfter: new Decimal(e.balance_after) })),
      },
      refs,
    );
  }

  /** Builds the reversal of a transaction: every entry negated, linked to the original. */
  async reversalRequest(tenantId: string, id: string, reason: string, actor: string, m?: EntityManager): Promise<PostingRequest> {
    const found = await this.loadTransaction(tenantId, id, m);
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

  async reverse(p: KeyPrincipal, id: string, reason: string, idempotencyKey: string | undefined): Promise<IdempotentAnswer> {
    const found = await this.loadTransaction(p.tenantId, id);
    if (!found) throw new LedgerError('unknown-transaction', `transaction ${id} not found`);
    this.assertTransactionVisible(p, id, found.entries);
    const req = await this.reversalRequest(p.tenantId, id, reason, `key:${p.keyId}`);
    const scope = `POST /v1/transactions/${id}/reverse`;
    if (idempotencyKey) req.idempotency = { scope, key: idempotencyKey, requestHash: requestHash(scope, { reason }) };
    const scales = new Map<string, number>();
    for (const e of found.entries) scales.set(e.asset_code, (await this.assets.get(p.tenantId, e.asset_code)).scale);
    const outcome = await this.submit(req, this.responder(scales));
    await this.adjusted(outcome, req);
    return this.answer(outcome);
  }

  // ---------------------------------------------------------------- reading

  /**
   * What each holder account holds and may spend now (balance less pending
   * holds), zero for an account not opened yet; in the caller's transaction,
   * without locking. In the order asked.
   */
  async availableBalances(m: EntityManager, tenantId: string, refs: { holderType: string; holderId: string; asset: string }[]): Promise<Decimal[]> {
    if (!refs.length) return [];
    const rows: { i: number; available: string }[] = await m.query(
      `SELECT k.i::int AS i, COALESCE(a.balance - a.pending, 0)::text AS available
         FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) WITH ORDINALITY AS k(holder_type, holder_id, asset_code, i)
         LEFT JOIN accounts a ON a.tenant_id = $1 AND a.holder_type = k.holder_type AND a.holder_id = k.holder_id AND a.asset_code = k.asset_code`,
      [requireTenant(tenantId), refs.map((r) => r.holderType), refs.map((r) => r.holderId), refs.map((r) => r.asset)],
    );
    const out = refs.map(() => new Decimal(0));
    for (const r of rows) out[r.i - 1] = new Decimal(r.available);
    return out;
  }

  private async holderAccounts(p: KeyPrincipal, ref: HolderRef) {
    const holder = await this.holders.find(p.tenantId, ref.type, ref.id);
    if (!holder) throw new LedgerError('unknown-holder', `${ref.type} ${ref.id} not found`);
    assertRegionInScope(p, holder.regionCode, `${ref.type} ${ref.id}`);
    const accounts: { id: string; asset_code: string; balance: string; pending: string }[] = await this.dataSource.query(
      `SELECT id::text AS id, asset_code, balance::text AS balance, pending::text AS pending
         FROM accounts WHERE tenant_id = $1 AND holder_type = $2 AND holder_id = $3 ORDER BY asset_code`,
      [requireTenant(p.tenantId), ref.type, ref.id],
    );
    return accounts;
  }

  async balances(p: KeyPrincipal, ref: HolderRef, asOf?: string): Promise<{ asOf: string | null; balances: BalanceView[] }> {
    const accounts = await this.holderAccounts(p, ref);
    const assets = await this.assets.list(p.tenantId);
    const byAsset = new Map(accounts.map((a) => [a.asset_code, a]));
    const shown = assets.filter((a) => byAsset.has(a.code) || a.holderType === ref.type);
    const cutoff = asOf ? endOfBusinessDay(asOf) : null;
    const out: BalanceView[] = [];
    for (const asset of shown) {
      const acc = byAsset.get(asset.code);
      let balance = new Decimal(0);
      let pending = new Decimal(0);
      if (acc && !cutoff) {
        balance = new Decimal(acc.balance);
        pending = new Decimal(acc.pending);
      } else if (acc && cutoff) {
        // The last entry before the cutoff carries the balance then: one index lookup.
        const [last] = await this.dataSource.query(
          `SELECT balance_after::text AS b FROM ledger_entries
            WHERE tenant_id = $1 AND account_id = $2 AND created_at < $3
            ORDER BY created_at DESC, account_seq DESC LIMIT 1`,
          [p.tenantId, acc.id, cutoff],
        );
        if (last) balance = new Decimal(last.b);
        const [held] = await this.dataSource.query(
          `SELECT COALESCE(sum(amount), 0)::text AS s FROM ledger_holds
            WHERE tenant_id = $1 AND account_id = $2 AND created_at < $3 AND (resolved_at IS NULL OR resolved_at >= $3)`,
          [p.tenantId, acc.id, cutoff],
        );
        pending = new Decimal(held.s);
      }
      out.push({
        asset: asset.code,
        balance: balance.toFixed(asset.scale),
        pending: pending.toFixed(asset.scale),
        available: balance.minus(pending).toFixed(asset.scale),
      });
    }
    return { asOf: asOf ?? null, balances: out };
  }

  async entries(p: KeyPrincipal, ref: HolderRef, q: { asset?: string; limit?: number; cursor?: string }): Promise<Page<HolderEntryView>> {
    const accounts = await this.holderAccounts(p, ref);
    if (q.asset) await this.assets.get(p.tenantId, q.asset);
    const ids = accounts.filter((a) => !q.asset || a.asset_code === q.asset).map((a) => a.id);
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, 3);
    if (!ids.length) return { items: [], nextCursor: null };
    const rows: { transaction_id: string; asset_code: string; amount: string; balance_after: string; kind: string; created_at: Date; memo: string; account_id: string; account_seq: string }[] =
      await this.dataSource.query(
        `SELECT e.transaction_id, e.asset_code, e.amount::text AS amount, e.balance_after::text AS balance_after, t.kind,
                e.created_at, t.memo, e.account_id::text AS account_id, e.account_seq::text AS account_seq
           FROM ledger_entries e
           JOIN ledger_transactions t ON t.tenant_id = e.tenant_id AND t.id = e.transaction_id
          WHERE e.tenant_id = $1 AND e.account_id = ANY($2::bigint[])
            ${after ? 'AND (e.created_at, e.account_id, e.account_seq) < ($4::timestamptz, $5::bigint, $6::bigint)' : ''}
          ORDER BY e.created_at DESC, e.account_id DESC, e.account_seq DESC
          LIMIT $3`,
        after ? [p.tenantId, ids, limit + 1, after[0], after[1], after[2]] : [p.tenantId, ids, limit + 1],
      );
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const scales = new Map((await this.assets.list(p.tenantId)).map((a) => [a.code, a.scale]));
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        transactionId: r.transaction_id,
        asset: r.asset_code,
        amount: new Decimal(r.amount).toFixed(scales.get(r.asset_code)!),
        balanceAfter: new Decimal(r.balance_after).toFixed(scales.get(r.asset_code)!),
        kind: r.kind,
        createdAt: r.created_at.toISOString(),
        memo: r.memo,
      })),
      nextCursor: more ? encodeCursor([last.created_at.toISOString(), last.account_id, last.account_seq]) : null,
    };
  }

  // ---------------------------------------------------------------- holds

  private async holdAccounts(cmd: HoldCommand, m?: EntityManager): Promise<{ from: string; to: string; asset: AssetSpec }> {
    const asset = await this.assets.get(cmd.tenantId, cmd.asset, m);
    const fromHolder = await this.holders.find(cmd.tenantId, cmd.from.type, cmd.from.id, m);
    if (!fromHolder) throw new LedgerError('unknown-holder', `${cmd.from.type} ${cmd.from.id} not found`);
    let toSpec: AccountSpec = { holderType: 'system', holderId: 'issuer', asset: asset.code, regionCode: null };
    if (cmd.to !== 'issuer') {
      const toHolder = await this.holders.find(cmd.tenantId, cmd.to.type, cmd.to.id, m);
      if (!toHolder) throw new LedgerError('unknown-holder', `${cmd.to.type} ${cmd.to.id} not found`);
      toSpec = { holderType: cmd.to.type, holderId: cmd.to.id, asset: asset.code, regionCode: toHolder.regionCode };
    }
    const fromSpec: AccountSpec = { holderType: cmd.from.type, holderId: cmd.from.id, asset: asset.code, regionCode: fromHolder.regionCode };
    const ids = await this.directory.resolve(cmd.tenantId, [fromSpec, toSpec], () => asset, m);
    return { from: ids.get(accountKey(fromSpec))!, to: ids.get(accountKey(toSpec))!, asset };
  }

  /** Reserves an amount: available drops, balance does not. Inside `m` if given. */
  async hold(cmd: HoldCommand, m?: EntityManager): Promise<HoldView> {
    const { from, to, asset } = await this.holdAccounts(cmd, m);
    if (!cmd.amount.gt(0) || cmd.amount.decimalPlaces() > asset.scale) throw new LedgerError('invalid-amount', 'hold amount must be positive and within the asset scale');
    const work = async (em: EntityManager) => {
      const [state] = await this.store.lockAccounts(em, [{ tenantId: cmd.tenantId, id: from }]);
      applyHold(state, cmd.amount, cmd.spendFloor);
      await this.store.updateAccounts(em, [state]);
      this.writer.forget([from]);
      const now = new Date();
      const id = randomUUID();
      const expiresAt = new Date(now.getTime() + (cmd.timeoutMs ?? 30 * 60_000));
      await this.store.insertHold(em, {
        tenant_id: cmd.tenantId, id, account_id: from, counter_account_id: to, asset_code: asset.code, amount: cmd.amount.toFixed(),
        kind: cmd.kind, memo: cmd.memo, actor: cmd.actor, expires_at: expiresAt, created_at: now,
      });
      return { id, asset: asset.code, amount: cmd.amount.toFixed(asset.scale), status: 'pending', expiresAt: expiresAt.toISOString(), completedAmount: null, transactionId: null };
    };
    return m ? work(m) : this.uow.run(work);
  }

  /** Completes a hold for its amount or less; what is not taken is released. */
  async completeHold(tenantId: string, holdId: string, amount: Decimal | null, actor: string, m?: EntityManager): Promise<PostedTransaction> {
    const [hold] = await this.store.findHolds(m ?? this.dataSource.manager, [{ tenantId, id: holdId }], false);
    if (!hold) throw new LedgerError('unknown-hold', `hold ${holdId} not found`);
    const take = amount ?? new Decimal(hold.amount);
    if (!take.gt(0)) throw new LedgerError('invalid-amount', 'completed amount must be positive');
    const req: PostingRequest = {
      tenantId,
      kind: hold.kind as TransactionKind,
      entries: [],
      memo: hold.memo,
      metadata: { holdId },
      actor,
      completesHold: { holdId, accountId: hold.account_id, amount: take },
    };
    const entries: ResolvedEntry[] = [
      { accountId: hold.account_id, asset: hold.asset_code, amount: take.negated() },
      { accountId: hold.counter_account_id, asset: hold.asset_code, amount: take },
    ];
    const run = async (em: EntityManager) => {
      const [o] = await this.writer.apply(em, [{ req, entries }]);
      if (o.kind === 'refused') throw o.error;
      return (o as Extract<BatchOutcome, { kind: 'posted' }>).transaction;
    };
    return m ? run(m) : this.uow.run(run);
  }

  private async release(em: EntityManager, tenantId: string, holdIds: string[], status: 'cancelled' | 'expired', now: Date): Promise<number> {
    const peek = await this.store.findHolds(em, holdIds.map((id) => ({ tenantId, id })), false);
    const states = await this.store.lockAccounts(em, peek.map((h) => ({ tenantId, id: h.account_id })));
    const holds = await this.store.findHolds(em, holdIds.map((id) => ({ tenantId, id })), true);
    const byId = new Map(states.map((s) => [s.id, s]));
    const released = holds.filter((h) => h.status === 'pending' && (status === 'cancelled' || h.expires_at.getTime() <= now.getTime()));
    for (const h of released) {
      const s = byId.get(h.account_id)!;
      s.pending = s.pending.minus(h.amount);
    }
    await this.store.updateAccounts(em, [...new Set(released.map((h) => byId.get(h.account_id)!))]);
    this.writer.forget(released.map((h) => h.account_id));
    await this.store.resolveHolds(em, released.map((h) => ({ tenantId, id: h.id, status, at: now, completedAmount: null, transactionId: null })));
    return released.length;
  }

  async cancelHold(tenantId: string, holdId: string, m?: EntityManager): Promise<void> {
    const run = async (em: EntityManager) => {
      const [hold] = await this.store.findHolds(em, [{ tenantId, id: holdId }], false);
      if (!hold) throw new LedgerError('unknown-hold', `hold ${holdId} not found`);
      if (hold.status !== 'pending') throw new LedgerError('hold-not-pending', `hold ${holdId} is ${hold.status}`);
      if ((await this.release(em, tenantId, [holdId], 'cancelled', new Date())) === 0) {
        throw new LedgerError('hold-not-pending', `hold ${holdId} is no longer pending`);
      }
    };
    return m ? run(m) : this.uow.run(run);
  }

  /** Expires these holds, if still pending and past their timeout, in the caller's transaction (a no-op for the others). */
  expireHoldsWithin(m: EntityManager, tenantId: string, holdIds: string[], now = new Date()): Promise<number> {
    return this.release(m, tenantId, holdIds, 'expired', now);
  }

  /** Expires every pending hold past its timeout. Idempotent; safe to run on many instances. */
  async expireHolds(now = new Date()): Promise<number> {
    let total = 0;
    for (;;) {
      const due: { tenant_id: string; id: string }[] = await this.dataSource.query(
        `SELECT tenant_id, id FROM ledger_holds WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT 500`,
        [now],
      );
      if (!due.length) return total;
      const byTenant = new Map<string, string[]>();
      for (const d of due) byTenant.set(d.tenant_id, [...(byTenant.get(d.tenant_id) ?? []), d.id]);
      let n = 0;
      for (const [tenantId, ids] of byTenant) n += await this.uow.run((em) => this.release(em, tenantId, ids, 'expired', now));
      total += n;
      if (n === 0) return total; // what is left is being handled elsewhere
    }
  }

  async getHold(tenantId: string, holdId: string): Promise<HoldView | null> {
    const [h] = await this.store.findHolds(this.dataSource.manager, [{ tenantId, id: holdId }], false);
    if (!h) return null;
    const scale = (await this.assets.get(tenantId, h.asset_code)).scale;
    return {
      id: h.id,
      asset: h.asset_code,
      amount: new Decimal(h.amount).toFixed(scale),
      status: h.status,
      expiresAt: h.expires_at.toISOString(),
      completedAmount: h.completed_amount ? new Decimal(h.completed_amount).toFixed(scale) : null,
      transactionId: h.transaction_id,
    };
  }

  /** Issued, redeemed and outstanding points of holders per month (the last `months`, Asia/Shanghai). */
  async pointsByMonth(tenantId: string, asset: string, months: number) {
    const scale = (await this.assets.get(tenantId, asset)).scale;
    const rows: { month: string; issued: string; redeemed: string; outstanding: string }[] = await this.dataSource.query(
      `WITH e AS (
         SELECT date_trunc('month', e.created_at AT TIME ZONE 'Asia/Shanghai') AS month, t.kind, e.amount
           FROM ledger_entries e
           JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
           JOIN ledger_transactions t ON t.tenant_id = e.tenant_id AND t.id = e.transaction_id
          WHERE e.tenant_id = $1 AND e.asset_code = $2 AND a.holder_type IN ('household', 'person')
       ), m AS (
         SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') - make_interval(months => $3 - 1),
                                date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai'), interval '1 month') AS month
       )
       SELECT to_char(m.month, 'YYYY-MM') AS month,
              COALESCE(sum(e.amount) FILTER (WHERE e.amount > 0 AND e.kind IN ('issue', 'donation')), 0)::text AS issued,
              COALESCE(-sum(e.amount) FILTER (WHERE e.kind = 'redeem'), 0)::text AS redeemed,
              (SELECT COALESCE(sum(x.amount), 0) FROM e x WHERE x.month <= m.month)::text AS outstanding
         FROM m LEFT JOIN e ON e.month = m.month GROUP BY m.month ORDER BY m.month`,
      [requireTenant(tenantId), asset, months],
    );
    const f = (v: string) => new Decimal(v).toFixed(scale);
    return { asset, months: rows.map((r) => ({ month: r.month, issued: f(r.issued), redeemed: f(r.redeemed), outstanding: f(r.outstanding) })) };
  }

  async createAsset(tenantId: string, spec: AssetSpec): Promise<void> {
    await this.assets.insert(this.dataSource.manager, tenantId, spec);
  }

  // ---------------------------------------------------------------- tamper evidence

  sealAll(): Promise<number> {
    return this.audit.sealAll();
  }

  verify(tenantId: string | null): Promise<VerifyReport> {
    return this.audit.verify(tenantId);
  }
}
