import Decimal from 'decimal.js';
import type { DataSource } from 'typeorm';
import { requireTenant } from '../platform/database/tenant';
import type { UnitOfWork } from '../platform/database/unit-of-work';
import { GENESIS_HASH, sealHash, transactionHash } from './domain/hash';

export interface VerifyReport {
  balanced: boolean;
  balancesMatchEntries: boolean;
  chainIntact: boolean;
  checkedTransactions: number;
  problems: string[];
}

const SEAL_SIZE = 5000;

/**
 * Tamper evidence. Each transaction's hash is computed when it is written.
 * Sealing runs apart from posting (so writers never queue on one global lock):
 * per tenant, it takes the transactions not yet sealed, in commit-sequence
 * order, and appends a seal whose hash covers the previous seal's hash and
 * every transaction hash. Verification recomputes all of it from the rows.
 */
export class LedgerAudit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
  ) {}

  async sealAll(): Promise<number> {
    const tenants: { tenant_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT tenant_id FROM ledger_transactions WHERE seal_no IS NULL`,
    );
    let sealed = 0;
    for (const t of tenants) sealed += await this.sealTenant(t.tenant_id);
    return sealed;
  }

  async sealTenant(tenantId: string): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.uow.run(async (m) => {
        // One sealer per tenant at a time; writers are not involved.
        await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('jifen.seal.' || $1, 0))`, [requireTenant(tenantId)]);
        // Ordered by the numeric column (an alias of seq::text would sort as text).
        const txs: { id: string; seq: string; hash: Buffer }[] = await m.query(
          `SELECT t.id, t.seq::text AS seq, t.hash FROM ledger_transactions t
            WHERE t.tenant_id = $1 AND t.seal_no IS NULL ORDER BY t.seq LIMIT ${SEAL_SIZE}`,
          [tenantId],
        );
        if (!txs.length) return 0;
        const [last] = await m.query(`SELECT s.seal_no::text AS seal_no, s.hash FROM ledger_seals s WHERE s.tenant_id = $1 ORDER BY s.seal_no DESC LIMIT 1`, [tenantId]);
        const sealNo = last ? BigInt(last.seal_no) + 1n : 1n;
        const prev: Buffer = last ? last.hash : GENESIS_HASH;
        await m.query(
          `INSERT INTO ledger_seals (tenant_id, seal_no, prev_hash, hash, tx_count, first_seq, last_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [tenantId, sealNo.toString(), prev, sealHash(prev, txs.map((t) => t.hash)), txs.length, txs[0].seq, txs[txs.length - 1].seq],
        );
        await m.query(`UPDATE ledger_transactions SET seal_no = $2 WHERE tenant_id = $1 AND id = ANY($3::uuid[])`, [tenantId, sealNo.toString(), txs.map((t) => t.id)]);
        return txs.length;
      });
      total += n;
      if (n < SEAL_SIZE) return total;
    }
  }

  async verify(tenantId: string | null): Promise<VerifyReport> {
    const problems: string[] = [];
    const scope = tenantId ? 'WHERE tenant_id = $1' : '';
    const params = tenantId ? [requireTenant(tenantId)] : [];

    // 1. Trial balance: zero per asset, and per transaction.
    const unbalanced = await this.dataSource.query(
      `SELECT tenant_id, asset_code, sum(amount)::text AS total FROM ledger_entries ${scope} GROUP BY tenant_id, asset_code HAVING sum(amount) <> 0`,
      params,
    );
    for (const u of unbalanced) problems.push(`asset ${u.asset_code} of tenant ${u.tenant_id} sums to ${u.total}`);
    const unbalancedTx = await this.dataSource.query(
      `SELECT transaction_id FROM ledger_entries ${scope} GROUP BY tenant_id, transaction_id, asset_code HAVING sum(amount) <> 0 LIMIT 20`,
      params,
    );
    for (const u of unbalancedTx) problems.push(`transaction ${u.transaction_id} is unbalanced`);
    const balanced = unbalanced.length === 0 && unbalancedTx.length === 0;

    // 2. Stored balances = sum of entries, balance_after chains, pending = open holds.
    const where = tenantId ? 'WHERE a.tenant_id = $1' : '';
    const mismatched = await this.dataSource.query(
      `SELECT a.tenant_id, a.id::text AS id FROM accounts a
         LEFT JOIN (SELECT tenant_id, account_id, sum(amount) AS total, count(*) AS n, max(account_seq) AS top
                      FROM ledger_entries GROUP BY tenant_id, account_id) e
           ON e.tenant_id = a.tenant_id AND e.account_id = a.id
         LEFT JOIN (SELECT tenant_id, account_id, sum(amount) AS held FROM ledger_holds WHERE status = 'pending' GROUP BY tenant_id, account_id) h
           ON h.tenant_id = a.tenant_id AND h.account_id = a.id
        ${where} ${where ? 'AND' : 'WHERE'} (a.balance <> COALESCE(e.total, 0) OR a.entry_count <> COALESCE(e.n, 0)
              OR a.entry_count <> COALESCE(e.top, 0) OR a.pending <> COALESCE(h.held, 0))
        LIMIT 20`,
      params,
    );
    for (const m of mismatched) problems.push(`account ${m.id} does not match its entries or holds`);
    const broken = await this.dataSource.query(
      `SELECT account_id::text AS account_id, account_seq::text AS seq FROM (
         SELECT account_id, account_seq, amount, balance_after,
                lag(balance_after) OVER w AS prev_balance, lag(account_seq) OVER w AS prev_seq
           FROM ledger_entries ${scope}
         WINDOW w AS (PARTITION BY tenant_id, account_id ORDER BY account_seq)) x
        WHERE balance_after <> COALESCE(prev_balance, 0) + amount OR account_seq <> COALESCE(prev_seq, 0) + 1
        LIMIT 20`,
      params,
    );
    for (const b of broken) problems.push(`account ${b.account_id}: balanceAfter does not chain at entry ${b.seq}`);
    const balancesMatchEntries = mismatched.length === 0 && broken.length === 0;

    // 3. The chain: every transaction hash recomputed, every seal recomputed.
    const tenants: { id: string }[] = tenantId ? [{ id: tenantId }] : await this.dataSource.query(`SELECT id FROM tenants ORDER BY id`);
    let checked = 0;
    let chainIntact = true;
    for (const t of tenants) {
      const r = await this.verifyChain(t.id, problems);
      checked += r.checked;
      chainIntact &&= r.intact;
    }
    return { balanced, balancesMatchEntries, chainIntact, checkedTransactions: checked, problems };
  }

  private async verifyChain(tenantId: string, problems: string[]): Promise<{ checked: number; intact: boolean }> {
    let intact = true;
    let checked = 0;
    let prev: Buffer = GENESIS_HASH;
    const seals: { seal_no: string; prev_hash: Buffer; hash: Buffer; tx_count: number }[] = await this.dataSource.query(
      `SELECT s.seal_no::text AS seal_no, s.prev_hash, s.hash, s.tx_count FROM ledger_seals s WHERE s.tenant_id = $1 ORDER BY s.seal_no`,
      [tenantId],
    );
    let expectedNo = 1n;
    for (const seal of [...seals, null]) {
      if (seal && BigInt(seal.seal_no) !== expectedNo) {
        problems.push(`tenant ${tenantId}: seal ${expectedNo} is missing`);
        intact = false;
      }
      const txHashes = await this.checkTransactions(tenantId, seal?.seal_no ?? null, problems);
      checked += txHashes.checked;
      intact &&= txHashes.intact;
      if (!seal) break;
      const why = !seal.prev_hash.equals(prev)
        ? 'does not link to the previous seal'
        : txHashes.hashes.length !== seal.tx_count
          ? `covers ${txHashes.hashes.length} transactions, not ${seal.tx_count}`
          : !sealHash(prev, txHashes.hashes).equals(seal.hash)
            ? 'does not match the hashes of its transactions'
            : null;
      if (why) {
        problems.push(`tenant ${tenantId}: seal ${seal.seal_no} ${why}`);
        intact = false;
      }
      prev = seal.hash;
      expectedNo = BigInt(seal.seal_no) + 1n;
    }
    return { checked, intact };
  }

  /** Recomputes the hash of each transaction of one seal (or of the unsealed ones). */
  private async checkTransactions(tenantId: string, sealNo: string | null, problems: string[]) {
    const txs: {
      id: string; kind: string; memo: string; metadata: Record<string, unknown>; source_type: string | null; source_id: string | null;
      actor: string; reversal_of: string | null; created_at: Date; hash: Buffer;
    }[] = await this.dataSource.query(
      `SELECT id, kind, memo, metadata, source_type, source_id, actor, reversal_of, created_at, hash FROM ledger_transactions
        WHERE tenant_id = $1 AND ${sealNo ? 'seal_no = $2' : 'seal_no IS NULL'} ORDER BY seq`,
      sealNo ? [tenantId, sealNo] : [tenantId],
    );
    const entries: { transaction_id: string; account_id: string; account_seq: string; asset_code: string; amount: string; balance_after: string }[] =
      txs.length
        ? await this.dataSource.query(
            `SELECT transaction_id, account_id::text AS account_id, account_seq::text AS account_seq, asset_code, amount::text AS amount, balance_after::text AS balance_after
               FROM ledger_entries WHERE tenant_id = $1 AND transaction_id = ANY($2::uuid[])`,
            [tenantId, txs.map((t) => t.id)],
          )
        : [];
    const byTx = new Map<string, typeof entries>();
    for (const e of entries) byTx.set(e.transaction_id, [...(byTx.get(e.transaction_id) ?? []), e]);
    let intact = true;
    for (const t of txs) {
      const recomputed = transactionHash({
        tenantId,
        id: t.id,
        kind: t.kind,
        memo: t.memo,
        metadata: t.metadata,
        sourceType: t.source_type,
        sourceId: t.source_id,
        actor: t.actor,
        reversalOf: t.reversal_of,
        createdAt: t.created_at,
        entries: (byTx.get(t.id) ?? []).map((e) => ({
          accountId: e.account_id,
          accountSeq: e.account_seq,
          asset: e.asset_code,
          amount: new Decimal(e.amount),
          balanceAfter: new Decimal(e.balance_after),
        })),
      });
      if (!recomputed.equals(t.hash)) {
        problems.push(`transaction ${t.id} does not match its hash`);
        intact = false;
      }
    }
    return { hashes: txs.map((t) => t.hash), checked: txs.length, intact };
  }
}
