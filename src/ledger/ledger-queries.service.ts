import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { assertRegionInScope, KeyPrincipal } from '../auth/principal';
import { UsersService } from '../auth/users.service';
import { HoldersService, HolderType } from '../holders/holders.service';
import { decodeCursor, encodeCursor, Page } from '../platform/http/pagination';
import { queryRows } from '../platform/database/query-rows';
import { requireTenant } from '../platform/database/tenant';
import { AssetsService } from './assets.service';
import { LedgerError } from './domain/errors';
import { AccountRef, PostedTransaction } from './domain/model';
import { BalanceView, HolderEntryView, TransactionView, transactionView } from './ledger.views';
import type { TransactionRow } from './persistence/transaction-row';

export type HolderRef = { type: HolderType; id: string };

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** `asOf=D` is the end of business day D in Asia/Shanghai: the instant D+1 00:00 +08:00. */
export function endOfBusinessDay(date: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1) - SHANGHAI_OFFSET_MS);
}

/**
 * Reading the ledger: transactions, a holder's balances (now or as of a day)
 * and entries, what holders may spend, and the monthly points report. Other
 * modules read through here, or through the read model the ledger owns
 * (the views ledger_holder_balances and ledger_holder_entries, docs/ledger.md).
 */
@Injectable()
export class LedgerQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly assets: AssetsService,
    private readonly holders: HoldersService,
    private readonly users: UsersService,
  ) {}

  async viewOf(tenantId: string, tx: PostedTransaction, refs: AccountRef[]): Promise<TransactionView> {
    const scales = new Map<string, number>();
    for (const r of refs) if (!scales.has(r.asset)) scales.set(r.asset, (await this.assets.get(tenantId, r.asset)).scale);
    return transactionView(tx, refs, scales, await this.users.actorNames([tx.actor]));
  }

  /** A transaction and its entries, in the caller's transaction if given. */
  async loadTransaction(tenantId: string, id: string, m: EntityManager = this.dataSource.manager) {
    const rows = await queryRows<TransactionRow>(
      m,
      `SELECT id, kind, memo, metadata, source_type, source_id, actor, reversal_of, created_at, to_char(effective_on, 'YYYY-MM-DD') AS effective_on, hash
         FROM ledger_transactions WHERE tenant_id = $1 AND id = $2`,
      [requireTenant(tenantId), id],
    );
    if (!rows[0]) return null;
    const entries = await queryRows<{ account_id: string; account_seq: string; asset_code: string; amount: string; balance_after: string; holder_type: string; holder_id: string; region_code: string | null }>(
        m,
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
  assertTransactionVisible(p: KeyPrincipal, id: string, entries: { region_code: string | null }[]): void {
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
        source: tx.source_type && tx.source_id ? { type: tx.source_type, id: tx.source_id } : undefined,
        actor: tx.actor,
        reversalOf: tx.reversal_of ?? undefined,
        createdAt: tx.created_at,
        effectiveOn: tx.effective_on,
        hash: tx.hash,
        entries: entries.map((e) => ({ accountId: e.account_id, accountSeq: BigInt(e.account_seq), asset: e.asset_code, amount: new Decimal(e.amount), balanceAfter: new Decimal(e.balance_after) })),
      },
      refs,
    );
  }

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

  /** The holder exists and is in the principal's scope (404 for both otherwise). */
  private async inScope(p: KeyPrincipal, ref: HolderRef): Promise<void> {
    const holder = await this.holders.find(p.tenantId, ref.type, ref.id);
    if (!holder) throw new LedgerError('unknown-holder', `${ref.type} ${ref.id} not found`);
    assertRegionInScope(p, holder.regionCode, `${ref.type} ${ref.id}`);
  }

  private async accountsOf(tenantId: string, ref: HolderRef) {
    const accounts: { id: string; asset_code: string; balance: string; pending: string }[] = await this.dataSource.query(
      `SELECT id::text AS id, asset_code, balance::text AS balance, pending::text AS pending
         FROM accounts WHERE tenant_id = $1 AND holder_type = $2 AND holder_id = $3 ORDER BY asset_code`,
      [requireTenant(tenantId), ref.type, ref.id],
    );
    return accounts;
  }

  async balances(p: KeyPrincipal, ref: HolderRef, asOf?: string): Promise<{ asOf: string | null; balances: BalanceView[] }> {
    await this.inScope(p, ref);
    return this.holderBalances(p.tenantId, ref, asOf);
  }

  /**
   * A holder's balances with no principal's scope to check: for the holder's
   * own page, whose caller has already established which holder is asking
   * (a door card's token, and for details its PIN). Never pass a holder that
   * came from the request.
   */
  async holderBalances(tenantId: string, ref: HolderRef, asOf?: string): Promise<{ asOf: string | null; balances: BalanceView[] }> {
    const accounts = await this.accountsOf(tenantId, ref);
    const p = { tenantId };
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
        // By business date: the account's balance from its last business day on; before that,
        // the closing balance of the last day on or before asOf (account_days): one index lookup.
        const [last] = await queryRows<{ b: string }>(
          this.dataSource,
          `SELECT CASE WHEN (a.last_entry_at AT TIME ZONE 'Asia/Shanghai')::date <= $3::date THEN a.balance
                       ELSE (SELECT d.balance FROM account_days d WHERE d.tenant_id = a.tenant_id AND d.account_id = a.id AND d.day <= $3::date ORDER BY d.day DESC LIMIT 1)
                  END::text AS b
             FROM accounts a WHERE a.tenant_id = $1 AND a.id = $2`,
          [p.tenantId, acc.id, asOf],
        );
        if (last?.b) balance = new Decimal(last.b);
        const [held] = await queryRows<{ s: string }>(
          this.dataSource,
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

  /**
   * A holder's entries, newest booked first. `effectiveFrom`/`effectiveTo`
   * keep those effective in that span of business days (inclusive).
   */
  async entries(p: KeyPrincipal, ref: HolderRef, q: { asset?: string; limit?: number; cursor?: string; effectiveFrom?: string; effectiveTo?: string }): Promise<Page<HolderEntryView>> {
    await this.inScope(p, ref);
    return this.holderEntries(p.tenantId, ref, q);
  }

  /** A holder's entries with no principal's scope to check: as holderBalances, for the holder's own page only. */
  async holderEntries(tenantId: string, ref: HolderRef, q: { asset?: string; limit?: number; cursor?: string; effectiveFrom?: string; effectiveTo?: string }): Promise<Page<HolderEntryView>> {
    const accounts = await this.accountsOf(tenantId, ref);
    const p = { tenantId };
    if (q.asset) await this.assets.get(p.tenantId, q.asset);
    const ids = accounts.filter((a) => !q.asset || a.asset_code === q.asset).map((a) => a.id);
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, 3);
    if (!ids.length) return { items: [], nextCursor: null };
    const rows: { transaction_id: string; asset_code: string; amount: string; balance_after: string; kind: string; created_at: Date; effective_on: string; memo: string; account_id: string; account_seq: string }[] =
      await this.dataSource.query(
        `SELECT e.transaction_id, e.asset_code, e.amount::text AS amount, e.balance_after::text AS balance_after, t.kind,
                e.created_at, to_char(e.effective_on, 'YYYY-MM-DD') AS effective_on, t.memo, e.account_id::text AS account_id, e.account_seq::text AS account_seq
           FROM ledger_entries e
           JOIN ledger_transactions t ON t.tenant_id = e.tenant_id AND t.id = e.transaction_id
          WHERE e.tenant_id = $1 AND e.account_id = ANY($2::bigint[])
            AND ($4::date IS NULL OR e.effective_on >= $4::date) AND ($5::date IS NULL OR e.effective_on <= $5::date)
            ${after ? 'AND (e.created_at, e.account_id, e.account_seq) < ($6::timestamptz, $7::bigint, $8::bigint)' : ''}
          ORDER BY e.created_at DESC, e.account_id DESC, e.account_seq DESC
          LIMIT $3`,
        [p.tenantId, ids, limit + 1, q.effectiveFrom ?? null, q.effectiveTo ?? null, ...(after ? [after[0], after[1], after[2]] : [])],
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
        effectiveOn: r.effective_on,
        memo: r.memo,
      })),
      nextCursor: more ? encodeCursor([last.created_at.toISOString(), last.account_id, last.account_seq]) : null,
    };
  }

  /** Issued, redeemed and outstanding points of holders per month of business dates (the last `months`, Asia/Shanghai). */
  async pointsByMonth(tenantId: string, asset: string, months: number) {
    const scale = (await this.assets.get(tenantId, asset)).scale;
    const rows: { month: string; issued: string; redeemed: string; outstanding: string }[] = await this.dataSource.query(
      `WITH e AS (
         SELECT date_trunc('month', e.effective_on) AS month, t.kind, e.amount
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


  /**
   * Points issued to and redeemed by the holders of each region under
   * `prefix`, over business days [from, to), for one asset (the participation
   * report). Issued: credits of issues and donations; redeemed: redemptions.
   */
  async flowsByRegion(tenantId: string, prefix: string, asset: string, from: string, to: string): Promise<Map<string, { issued: Decimal; redeemed: Decimal }>> {
    const rows = await queryRows<{ region_code: string; issued: string; redeemed: string }>(
      this.dataSource,
      `SELECT a.region_code,
              COALESCE(sum(e.amount) FILTER (WHERE e.amount > 0 AND t.kind IN ('issue', 'donation')), 0)::text AS issued,
              COALESCE(-sum(e.amount) FILTER (WHERE t.kind = 'redeem'), 0)::text AS redeemed
         FROM ledger_entries e
         JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
         JOIN ledger_transactions t ON t.tenant_id = e.tenant_id AND t.id = e.transaction_id
        WHERE e.tenant_id = $1 AND e.asset_code = $2 AND a.holder_type IN ('household', 'person') AND starts_with(a.region_code, $3)
          AND e.effective_on >= $4::date AND e.effective_on < $5::date
        GROUP BY a.region_code`,
      [requireTenant(tenantId), asset, prefix, from, to],
    );
    return new Map(rows.map((r) => [r.region_code, { issued: new Decimal(r.issued), redeemed: new Decimal(r.redeemed) }]));
  }
}
