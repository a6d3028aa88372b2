import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import type { EntityManager } from 'typeorm';
import { arrayLiteral } from '../../platform/database/sql-arrays';
import { queryRows } from '../../platform/database/query-rows';
import { requireTenant } from '../../platform/database/tenant';
import type { AccountRef, AccountState, FloorPolicy, PostedTransaction } from '../domain/model';

/**
 * SQL for the ledger tables. Only the ledger module (through this store) writes
 * them. Writes are set-based (unnest arrays), so a batch of N postings costs a
 * fixed number of statements, not N round-trips.
 */
export interface AccountRow {
  tenant_id: string;
  id: string;
  asset_code: string;
  holder_type: string;
  holder_id: string;
  region_code: string | null;
  floor_policy: FloorPolicy;
  balance: string;
  pending: string;
  entry_count: string;
  last_entry_at: Date | null;
}

export const toAccountState = (r: AccountRow): AccountState => ({
  id: String(r.id),
  tenantId: r.tenant_id,
  asset: r.asset_code,
  floorPolicy: r.floor_policy,
  balance: new Decimal(r.balance),
  pending: new Decimal(r.pending),
  entryCount: BigInt(r.entry_count),
  lastEntryAt: r.last_entry_at,
});

export interface NewAccount extends AccountRef {
  tenantId: string;
  regionCode: string | null;
  floorPolicy: FloorPolicy;
}

export interface HoldRow {
  tenant_id: string;
  id: string;
  account_id: string;
  counter_account_id: string;
  asset_code: string;
  amount: string;
  status: 'pending' | 'completed' | 'cancelled' | 'expired';
  kind: string;
  memo: string;
  actor: string;
  expires_at: Date;
  created_at: Date;
  resolved_at: Date | null;
  completed_amount: string | null;
  transaction_id: string | null;
}

/**
 * Runs a statement on the transaction's own connection as a named prepared
 * statement, so the server parses and plans the hot ledger statements once
 * per connection instead of on every batch. Falls back to the manager.
 */
async function prepared<T>(m: EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  const client = (m.queryRunner as unknown as { databaseConnection?: { query: (q: object) => Promise<{ rows: T[] }> } } | undefined)?.databaseConnection;
  if (!client) return queryRows<T>(m, text, values);
  return (await client.query({ name, text, values })).rows;
}

@Injectable()
export class LedgerStore {
  /** Creates accounts that do not exist yet; safe to race. */
  async ensureAccounts(m: EntityManager, accounts: NewAccount[]): Promise<void> {
    if (!accounts.length) return;
    await m.query(
      `INSERT INTO accounts (tenant_id, asset_code, holder_type, holder_id, region_code, floor_policy)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[])
       ON CONFLICT (tenant_id, asset_code, holder_type, holder_id) DO NOTHING`,
      [
        accounts.map((a) => a.tenantId),
        accounts.map((a) => a.asset),
        accounts.map((a) => a.holderType),
        accounts.map((a) => a.holderId),
        accounts.map((a) => a.regionCode),
        accounts.map((a) => a.floorPolicy),
      ],
    );
  }

  async findAccountIds(m: EntityManager, tenantId: string, refs: AccountRef[]): Promise<Map<string, string>> {
    const rows: { asset_code: string; holder_type: string; holder_id: string; id: string }[] = await m.query(
      `SELECT a.asset_code, a.holder_type, a.holder_id, a.id::text AS id
         FROM accounts a
         JOIN unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS r(asset_code, holder_type, holder_id)
           ON a.asset_code = r.asset_code AND a.holder_type = r.holder_type AND a.holder_id = r.holder_id
        WHERE a.tenant_id = $1`,
      [requireTenant(tenantId), refs.map((r) => r.asset), refs.map((r) => r.holderType), refs.map((r) => r.holderId)],
    );
    return new Map(rows.map((r) => [`${r.asset_code}|${r.holder_type}|${r.holder_id}`, r.id]));
  }

  /** Locks accounts in one global order (id), so batches never deadlock each other. */
  async lockAccounts(m: EntityManager, keys: { tenantId: string; id: string }[]): Promise<AccountState[]> {
    if (!keys.length) return [];
    const rows: AccountRow[] = await prepared(
      m,
      'jifen_lock_accounts',
      `SELECT a.tenant_id, a.id::text AS id, a.asset_code, a.holder_type, a.holder_id, a.region_code, a.floor_policy,
              a.balance::text AS balance, a.pending::text AS pending, a.entry_count::text AS entry_count, a.last_entry_at
         FROM accounts a
         JOIN unnest($1::uuid[], $2::bigint[]) AS k(tenant_id, id) ON a.tenant_id = k.tenant_id AND a.id = k.id
        ORDER BY a.id
          FOR NO KEY UPDATE OF a`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.id)],
    );
    return rows.map(toAccountState);
  }

  /** Which of these transactions already have a reversal. */
  async findReversed(m: EntityManager, keys: { tenantId: string; id: string }[]): Promise<Set<string>> {
    if (!keys.length) return new Set();
    const rows: { reversal_of: string }[] = await m.query(
      `SELECT t.reversal_of FROM ledger_transactions t
         JOIN unnest($1::uuid[], $2::uuid[]) AS k(tenant_id, id) ON t.tenant_id = k.tenant_id AND t.reversal_of = k.id`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.id)],
    );
    return new Set(rows.map((r) => r.reversal_of));
  }

  /**
   * Everything a batch writes, in one statement (one round trip): transactions,
   * their entries (one INSERT, so the balance trigger sees them together),
   * account balances, completed holds and idempotency answers. Foreign keys and
   * the balance trigger are checked at the end of the statement, when all of
   * it is in place.
   */
  async writeBatch(m: EntityManager, w: BatchWrite): Promise<void> {
    if (!w.transactions.length && !w.accounts.length) return;
    const { base, effective } = writeBatchParams(w);
    await prepared(m, 'jifen_write_batch', writeBatchSql(false), [...base, ...effective]);
    await this.backdateDays(m, w.transactions);
  }

  /**
   * After a batch with backdated postings: the batch wrote each account's
   * closing balance for the day of booking (today); each backdated amount also
   * counts from its own day: that day's row gains it (or is made, from the last
   * row before it), and so does every row between it and the day of booking.
   * Live batches skip this (nothing is backdated).
   */
  async backdateDays(m: EntityManager, txs: PostedTransaction[]): Promise<void> {
    const ids = txs.filter((t) => t.effectiveOn).map((t) => t.id);
    if (!ids.length) return;
    const tenantId = txs[0].tenantId;
    // Each backdated amount, per account and business day, with the day it was booked.
    const d = `SELECT e.tenant_id, e.account_id, e.effective_on AS day, (e.created_at AT TIME ZONE 'Asia/Shanghai')::date AS booked, sum(e.amount) AS delta
                 FROM ledger_entries e
                WHERE e.tenant_id = $1 AND e.transaction_id = ANY($2::uuid[]) AND e.effective_on < (e.created_at AT TIME ZONE 'Asia/Shanghai')::date
                GROUP BY 1, 2, 3, 4`;
    // 1. A day without a row gets one carrying the balance of the last row before it.
    await m.query(
      `INSERT INTO account_days (tenant_id, account_id, day, balance)
       SELECT d.tenant_id, d.account_id, d.day,
              coalesce((SELECT p.balance FROM account_days p WHERE p.tenant_id = d.tenant_id AND p.account_id = d.account_id AND p.day < d.day ORDER BY p.day DESC LIMIT 1), 0)
         FROM (${d}) d
       ON CONFLICT (tenant_id, account_id, day) DO NOTHING`,
      [tenantId, ids],
    );
    // 2. Every row from the amount's day up to (not including) the day of booking gains it.
    await m.query(
      `UPDATE account_days ad SET balance = ad.balance + s.delta
         FROM (SELECT x.tenant_id, x.account_id, x.day, sum(d.delta) AS delta
                 FROM account_days x JOIN (${d}) d ON d.tenant_id = x.tenant_id AND d.account_id = x.account_id AND x.day >= d.day AND x.day < d.booked
                GROUP BY 1, 2, 3) s
        WHERE ad.tenant_id = s.tenant_id AND ad.account_id = s.account_id AND ad.day = s.day`,
      [tenantId, ids],
    );
  }

  /**
   * The same write, guarded: in the same statement, first lock the accounts
   * (in id order) and compare each with what the caller expects, and look
   * for the idempotency keys the batch stores no answer for; write only if
   * every account matches and none of those keys is stored. Answers whether
   * it wrote. (A stored key among those it answers fails the statement with a
   * unique violation.) The locks stay taken either way, so a caller that is
   * told "no" can read the accounts again and retry under them.
   */
  async writeBatchIfCurrent(m: EntityManager, w: GuardedWrite): Promise<boolean> {
    const rows: { ok: boolean | null }[] = await prepared(m, 'jifen_write_batch_if_current', writeBatchSql(true), w.params);
    if (rows[0]?.ok !== true) return false;
    await this.backdateDays(m, w.transactions);
    return true;
  }

  /**
   * The parameters of a guarded write, built ahead of time: the writer builds
   * them while it checks the batch, so that once its turn to lock comes the
   * statement leaves at once.
   */
  guardedWrite(
    w: BatchWrite & {
      expected: { tenantId: string; id: string; balance: Decimal; pending: Decimal; entryCount: bigint }[];
      /** The batch's idempotency keys it stores no answer for: none may be stored already. */
      unansweredKeys: { tenantId: string; scope: string; key: string }[];
    },
  ): GuardedWrite {
    const { base, effective } = writeBatchParams(w);
    return {
      transactions: w.transactions,
      params: [
        ...base,
        arrayLiteral.bare(w.expected.map((e) => e.tenantId)),
        arrayLiteral.bare(w.expected.map((e) => e.id)),
        arrayLiteral.bare(w.expected.map((e) => e.balance.toFixed())),
        arrayLiteral.bare(w.expected.map((e) => e.pending.toFixed())),
        arrayLiteral.bare(w.expected.map((e) => e.entryCount.toString())),
        arrayLiteral.bare(w.unansweredKeys.map((k) => k.tenantId)),
        arrayLiteral.quoted(w.unansweredKeys.map((k) => k.scope)),
        arrayLiteral.quoted(w.unansweredKeys.map((k) => k.key)),
        ...effective,
      ],
    };
  }

  async updateAccounts(m: EntityManager, states: AccountState[]): Promise<void> {
    if (!states.length) return;
    await m.query(
      `UPDATE accounts a
          SET balance = v.balance, pending = v.pending, entry_count = v.entry_count, last_entry_at = v.last_entry_at
         FROM unnest($1::uuid[], $2::bigint[], $3::numeric[], $4::numeric[], $5::bigint[], $6::timestamptz[])
              AS v(tenant_id, id, balance, pending, entry_count, last_entry_at)
        WHERE a.tenant_id = v.tenant_id AND a.id = v.id`,
      [
        states.map((s) => s.tenantId),
        states.map((s) => s.id),
        states.map((s) => s.balance.toFixed()),
        states.map((s) => s.pending.toFixed()),
        states.map((s) => s.entryCount.toString()),
        states.map((s) => s.lastEntryAt),
      ],
    );
  }

  async insertHold(m: EntityManager, h: Omit<HoldRow, 'resolved_at' | 'completed_amount' | 'transaction_id' | 'status'>): Promise<void> {
    await m.query(
      `INSERT INTO ledger_holds (tenant_id, id, account_id, counter_account_id, asset_code, amount, status, kind, memo, actor, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11)`,
      [h.tenant_id, h.id, h.account_id, h.counter_account_id, h.asset_code, h.amount, h.kind, h.memo, h.actor, h.expires_at, h.created_at],
    );
  }

  async findHolds(m: EntityManager, keys: { tenantId: string; id: string }[], lock: boolean): Promise<HoldRow[]> {
    if (!keys.length) return [];
    return m.query(
      `SELECT h.tenant_id, h.id, h.account_id::text AS account_id, h.counter_account_id::text AS counter_account_id, h.asset_code,
              h.amount::text AS amount, h.status, h.kind, h.memo, h.actor, h.expires_at, h.created_at, h.resolved_at,
              h.completed_amount::text AS completed_amount, h.transaction_id
         FROM ledger_holds h
         JOIN unnest($1::uuid[], $2::uuid[]) AS k(tenant_id, id) ON h.tenant_id = k.tenant_id AND h.id = k.id
        ORDER BY h.tenant_id, h.id
        ${lock ? 'FOR NO KEY UPDATE OF h' : ''}`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.id)],
    );
  }

  async resolveHolds(
    m: EntityManager,
    rows: { tenantId: string; id: string; status: 'completed' | 'cancelled' | 'expired'; at: Date; completedAmount: Decimal | null; transactionId: string | null }[],
  ): Promise<void> {
    if (!rows.length) return;
    await m.query(
      `UPDATE ledger_holds h
          SET status = v.status, resolved_at = v.at, completed_amount = v.completed_amount, transaction_id = v.transaction_id
         FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::timestamptz[], $5::numeric[], $6::uuid[])
              AS v(tenant_id, id, status, at, completed_amount, transaction_id)
        WHERE h.tenant_id = v.tenant_id AND h.id = v.id AND h.status = 'pending'`,
      [
        rows.map((r) => r.tenantId),
        rows.map((r) => r.id),
        rows.map((r) => r.status),
        rows.map((r) => r.at),
        rows.map((r) => r.completedAmount?.toFixed() ?? null),
        rows.map((r) => r.transactionId),
      ],
    );
  }
}

/** A guarded write ready to send (see LedgerStore.guardedWrite). */
export interface GuardedWrite {
  params: unknown[];
  /** The batch's transactions (a backdated one also moves its accounts' earlier days). */
  transactions: PostedTransaction[];
}

export interface BatchWrite {
  transactions: PostedTransaction[];
  accounts: AccountState[];
  holds: { tenantId: string; id: string; status: 'completed'; at: Date; completedAmount: Decimal; transactionId: string }[];
  idempotency: { tenantId: string; scope: string; key: string; requestHash: Buffer; status: number; response: unknown }[];
  /** Accounts posted to on a new business day: their last day's closing balance (before this batch). */
  closings: { tenantId: string; accountId: string; day: string; balance: Decimal }[];
}

/**
 * Everything a batch writes, in one statement: transactions, their entries
 * (one INSERT, so the statement-level checks see them together), account
 * balances, the closing balance of the last business day of each account
 * posted to on a new day (account_days; the current day's balance is the
 * account's own), completed holds and idempotency answers. Guarded, the statement
 * first locks the accounts and compares them with $38-$42, and every write
 * is conditional on all of them matching. The cached path does not look up
 * stored idempotency answers beforehand (a replay is rare): a stored key among
 * those the batch answers makes its INSERT fail with a unique violation (the
 * index probes, whatever the plan), and for the keys it stores no answer for
 * ($43-$45: refused postings', repeats within the batch) the guard also
 * requires that none is stored. That look runs only when there are such keys
 * (an init plan is run when first needed), so a cached generic plan made
 * while idempotency_keys was small cannot make every batch scan it.
 */
function writeBatchSql(guarded: boolean): string {
  // The business days of backdated postings (null: the day of booking), and the days an
  // account closed (account_days), after every other parameter.
  const [effTx, effEntry, close] = guarded ? [46, 47, 48] : [38, 39, 40];
  const only = guarded ? ' WHERE (SELECT ok FROM chk)' : '';
  const andOnly = guarded ? ' AND (SELECT ok FROM chk)' : '';
  const guard = guarded
    ? `expected AS (
         SELECT * FROM unnest($38::uuid[], $39::bigint[], $40::numeric[], $41::numeric[], $42::bigint[]) AS e(tenant_id, id, balance, pending, entry_count)
       ), locked AS (
         SELECT a.id, (a.balance = e.balance AND a.pending = e.pending AND a.entry_count = e.entry_count) AS current
           FROM accounts a JOIN expected e ON a.tenant_id = e.tenant_id AND a.id = e.id
          ORDER BY a.id
            FOR NO KEY UPDATE OF a
       ), chk AS (
         SELECT count(*) = (SELECT count(*) FROM expected) AND coalesce(bool_and(current), true)
                AND (cardinality($43::uuid[]) = 0 OR NOT EXISTS (
                  SELECT 1 FROM idempotency_keys i
                    JOIN unnest($43::uuid[], $44::varchar[], $45::varchar[]) AS k(tenant_id, scope, key)
                      ON i.tenant_id = k.tenant_id AND i.scope = k.scope AND i.key = k.key
                )) AS ok
           FROM locked
       ), `
    : '';
  return `WITH ${guard}tx AS (
         INSERT INTO ledger_transactions (tenant_id, id, kind, memo, metadata, source_type, source_id, actor, reversal_of, created_at, hash, effective_on)
         SELECT x.tenant_id, x.id, x.kind, x.memo, x.metadata, x.source_type, x.source_id, x.actor, x.reversal_of, x.created_at, x.hash,
                coalesce(x.effective_on, (x.created_at AT TIME ZONE 'Asia/Shanghai')::date)
           FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::jsonb[], $6::varchar[], $7::varchar[],
                       $8::varchar[], $9::uuid[], $10::timestamptz[], $11::bytea[], $${effTx}::date[])
             AS x(tenant_id, id, kind, memo, metadata, source_type, source_id, actor, reversal_of, created_at, hash, effective_on)${only}
       ), en AS (
         INSERT INTO ledger_entries (tenant_id, account_id, account_seq, transaction_id, asset_code, amount, balance_after, created_at, effective_on)
         SELECT x.tenant_id, x.account_id, x.account_seq, x.transaction_id, x.asset_code, x.amount, x.balance_after, x.created_at,
                coalesce(x.effective_on, (x.created_at AT TIME ZONE 'Asia/Shanghai')::date)
           FROM unnest($12::uuid[], $13::bigint[], $14::bigint[], $15::uuid[], $16::varchar[], $17::numeric[], $18::numeric[], $19::timestamptz[], $${effEntry}::date[])
             AS x(tenant_id, account_id, account_seq, transaction_id, asset_code, amount, balance_after, created_at, effective_on)${only}
       ), ad AS (
         INSERT INTO account_days (tenant_id, account_id, day, balance)
         SELECT * FROM unnest($${close}::uuid[], $${close + 1}::bigint[], $${close + 2}::date[], $${close + 3}::numeric[])${only}
         ON CONFLICT (tenant_id, account_id, day) DO UPDATE SET balance = excluded.balance
       ), ac AS (
         UPDATE accounts a
            SET balance = v.balance, pending = v.pending, entry_count = v.entry_count, last_entry_at = v.last_entry_at
           FROM unnest($20::uuid[], $21::bigint[], $22::numeric[], $23::numeric[], $24::bigint[], $25::timestamptz[])
                AS v(tenant_id, id, balance, pending, entry_count, last_entry_at)
          WHERE a.tenant_id = v.tenant_id AND a.id = v.id${andOnly}
       ), ho AS (
         UPDATE ledger_holds h
            SET status = v.status, resolved_at = v.at, completed_amount = v.completed_amount, transaction_id = v.transaction_id
           FROM unnest($26::uuid[], $27::uuid[], $28::varchar[], $29::timestamptz[], $30::numeric[], $31::uuid[])
                AS v(tenant_id, id, status, at, completed_amount, transaction_id)
          WHERE h.tenant_id = v.tenant_id AND h.id = v.id AND h.status = 'pending'${andOnly}
       ), ik AS (
         INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, status_code, response)
         SELECT * FROM unnest($32::uuid[], $33::varchar[], $34::varchar[], $35::bytea[], $36::smallint[], $37::jsonb[])${only}
       )
       SELECT ${guarded ? '(SELECT ok FROM chk) AS ok' : '1'}`;
}

/** The statement's parameters: `base` ($1-$37), and the business days of transactions and entries (after the guard's, when guarded). */
function writeBatchParams(w: BatchWrite): { base: unknown[]; effective: unknown[] } {
  // Array literals are built here rather than by node-pg (see arrayLiteral): this runs for every batch.
  const { bare, quoted, timestamps, bytea } = arrayLiteral;
  const txs = w.transactions;
  const e = { tenant: [] as string[], account: [] as string[], seq: [] as string[], tx: [] as string[], asset: [] as string[], amount: [] as string[], after: [] as string[], at: [] as string[], eff: [] as (string | null)[] };
  const txAt: string[] = [];
  for (const t of txs) {
    const at = t.createdAt.toISOString();
    txAt.push(at);
    for (const x of t.entries) {
      e.eff.push(t.effectiveOn ?? null);
      e.tenant.push(t.tenantId);
      e.account.push(x.accountId);
      e.seq.push(x.accountSeq.toString());
      e.tx.push(t.id);
      e.asset.push(x.asset);
      e.amount.push(x.amount.toFixed());
      e.after.push(x.balanceAfter.toFixed());
      e.at.push(at);
    }
  }
  const base = [
    bare(txs.map((t) => t.tenantId)),
    bare(txs.map((t) => t.id)),
    quoted(txs.map((t) => t.kind)),
    quoted(txs.map((t) => t.memo)),
    quoted(txs.map((t) => JSON.stringify(t.metadata))),
    quoted(txs.map((t) => t.source?.type ?? null)),
    quoted(txs.map((t) => t.source?.id ?? null)),
    quoted(txs.map((t) => t.actor)),
    bare(txs.map((t) => t.reversalOf ?? null)),
    bare(txAt),
    bytea(txs.map((t) => t.hash)),
    bare(e.tenant),
    bare(e.account),
    bare(e.seq),
    bare(e.tx),
    quoted(e.asset),
    bare(e.amount),
    bare(e.after),
    bare(e.at),
    bare(w.accounts.map((s) => s.tenantId)),
    bare(w.accounts.map((s) => s.id)),
    bare(w.accounts.map((s) => s.balance.toFixed())),
    bare(w.accounts.map((s) => s.pending.toFixed())),
    bare(w.accounts.map((s) => s.entryCount.toString())),
    timestamps(w.accounts.map((s) => s.lastEntryAt)),
    bare(w.holds.map((h) => h.tenantId)),
    bare(w.holds.map((h) => h.id)),
    quoted(w.holds.map((h) => h.status)),
    timestamps(w.holds.map((h) => h.at)),
    bare(w.holds.map((h) => h.completedAmount.toFixed())),
    bare(w.holds.map((h) => h.transactionId)),
    bare(w.idempotency.map((r) => r.tenantId)),
    quoted(w.idempotency.map((r) => r.scope)),
    quoted(w.idempotency.map((r) => r.key)),
    bytea(w.idempotency.map((r) => r.requestHash)),
    bare(w.idempotency.map((r) => String(r.status))),
    quoted(w.idempotency.map((r) => JSON.stringify(r.response))),
  ];
  // Almost always all null (live postings): the statement then takes the day of booking.
  const c = w.closings;
  return {
    base,
    effective: [
      bare(txs.map((t) => t.effectiveOn ?? null)), bare(e.eff),
      bare(c.map((x) => x.tenantId)), bare(c.map((x) => x.accountId)), bare(c.map((x) => x.day)), bare(c.map((x) => x.balance.toFixed())),
    ],
  };
}
