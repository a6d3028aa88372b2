import Decimal from 'decimal.js';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../platform/database/query-rows';
import { requireTenant } from '../platform/database/tenant';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { GENESIS_HASH, sealHash, transactionHash } from './domain/hash';
import type { TransactionRow } from './persistence/transaction-row';

export interface VerifyReport {
  balanced: boolean;
  balancesMatchEntries: boolean;
  chainIntact: boolean;
  checkedTransactions: number;
  problems: string[];
}

const SEAL_SIZE = 5000;

/** A seal of the hash chain, recorded with a publication and printed on it. */
export interface LedgerAnchor {
  sealHash: string;
  /** The first 16 hex digits, as printed on the wall. */
  shortHash: string;
  sealNo: string;
  lastTransactionId: string;
  sealedAt: string;
  anchoredAt: string;
  publication: { type: 'board' | 'grades'; id: string; regionCode: string };
}

interface AnchorRow {
  seal_no: string;
  seal_hash: Buffer;
  last_transaction_id: string;
  sealed_at: Date;
  publication_type: 'board' | 'grades';
  publication_id: string;
  region_code: string;
  anchored_at: Date;
}

const ANCHOR_COLUMNS = `seal_no::text AS seal_no, seal_hash, last_transaction_id, sealed_at, publication_type, publication_id, region_code, anchored_at`;

const anchorView = (r: AnchorRow): LedgerAnchor => ({
  sealHash: r.seal_hash.toString('hex'),
  shortHash: r.seal_hash.toString('hex').slice(0, 16),
  sealNo: r.seal_no,
  lastTransactionId: r.last_transaction_id,
  sealedAt: r.sealed_at.toISOString(),
  anchoredAt: r.anchored_at.toISOString(),
  publication: { type: r.publication_type, id: r.publication_id, regionCode: r.region_code },
});

/**
 * Tamper evidence. Each transaction's hash is computed when it is written, and
 * the row records the id of the database transaction that wrote it. Sealing
 * runs apart from posting (writers never queue on one global lock): per tenant,
 * it takes the horizon below which no writer can still commit
 * (pg_snapshot_xmin), and appends a seal covering every ledger transaction
 * written below it and at or above the previous seal's horizon, in (writer,
 * sequence) order. The seal's hash covers the previous seal's hash and each
 * transaction hash. Verification recomputes all of it from the rows.
 */
@Injectable()
export class LedgerAudit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
  ) {}

  async sealAll(): Promise<number> {
    const tenants: { tenant_id: string }[] = await this.dataSource.query(`SELECT id AS tenant_id FROM tenants ORDER BY id`);
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
        const [last] = await queryRows<{ seal_no: string; hash: Buffer; xid_to: string }>(
          m,
          `SELECT s.seal_no::text AS seal_no, s.hash, s.xid_to::text AS xid_to FROM ledger_seals s WHERE s.tenant_id = $1 ORDER BY s.seal_no DESC LIMIT 1`,
          [tenantId],
        );
        const from: string = last?.xid_to ?? '0';
        const [{ horizon }] = await queryRows<{ horizon: string }>(m, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon`);
        // At most SEAL_SIZE transactions per seal: stop before the writer of
        // the (SEAL_SIZE+1)th, unless that writer is the first one in range.
        const [cut] = await queryRows<{ xid: string }>(
          m,
          `SELECT x.writer_xid::text AS xid FROM ledger_transactions x
            WHERE x.tenant_id = $1 AND x.writer_xid >= $2::xid8 AND x.writer_xid < $3::xid8
            ORDER BY x.writer_xid, x.seq OFFSET ${SEAL_SIZE} LIMIT 1`,
          [tenantId, from, horizon],
        );
        let to: string = horizon;
        if (cut) to = BigInt(cut.xid) > BigInt(from) ? cut.xid : (BigInt(cut.xid) + 1n).toString();
        const txs = await this.sealRange(m, tenantId, from, to);
        if (!txs.length) return 0;
        const sealNo = last ? BigInt(last.seal_no) + 1n : 1n;
        const prev: Buffer = last ? last.hash : GENESIS_HASH;
        await m.query(
          `INSERT INTO ledger_seals (tenant_id, seal_no, prev_hash, hash, tx_count, xid_from, xid_to) VALUES ($1, $2, $3, $4, $5, $6::xid8, $7::xid8)`,
          [tenantId, sealNo.toString(), prev, sealHash(prev, txs.map((t) => t.hash)), txs.length, from, to],
        );
        return txs.length;
      });
      total += n;
      if (n < SEAL_SIZE) return total;
    }
  }

  /**
   * Seals everything the tenant had committed when the call began, for a
   * publication's anchor. The sealer's horizon is the oldest transaction still
   * open anywhere in the cluster (xids are cluster-wide), so one unrelated
   * open transaction can hold it below the tenant's newest posting: sealing
   * is retried until the horizon passes that posting, for at most `waitMs`.
   * Past that the anchor covers the last seal there is (docs/integrity.md).
   */
  async sealForPublication(tenantId: string, waitMs = 10_000): Promise<void> {
    const [newest] = await queryRows<{ xid: string }>(
      this.dataSource,
      `SELECT x.writer_xid::text AS xid FROM ledger_transactions x
        WHERE x.tenant_id = $1 AND x.writer_xid IS NOT NULL ORDER BY x.writer_xid DESC LIMIT 1`,
      [requireTenant(tenantId)],
    );
    const deadline = Date.now() + waitMs;
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      await this.sealTenant(tenantId);
      if (!newest) return;
      const [sealed] = await queryRows<{ covered: boolean }>(
        this.dataSource,
        `SELECT s.xid_to > $2::xid8 AS covered FROM ledger_seals s WHERE s.tenant_id = $1 ORDER BY s.seal_no DESC LIMIT 1`,
        [tenantId, newest.xid],
      );
      if (sealed?.covered || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /**
   * Records the tenant's latest seal as the anchor of a publication, in the
   * caller's transaction (the publication and its anchor commit together).
   * The caller seals first (`sealTenant`), so the anchor covers everything
   * posted before the publication. Null when the ledger has no seal yet.
   */
  async anchor(m: EntityManager, tenantId: string, publication: { type: 'board' | 'grades'; id: string; regionCode: string }): Promise<LedgerAnchor | null> {
    const [seal] = await queryRows<{ seal_no: string; hash: Buffer; xid_from: string; xid_to: string; sealed_at: Date }>(
      m,
      `SELECT s.seal_no::text AS seal_no, s.hash, s.xid_from::text AS xid_from, s.xid_to::text AS xid_to, s.sealed_at
         FROM ledger_seals s WHERE s.tenant_id = $1 ORDER BY s.seal_no DESC LIMIT 1`,
      [requireTenant(tenantId)],
    );
    if (!seal) return null;
    const [last] = await queryRows<{ id: string }>(
      m,
      `SELECT x.id FROM ledger_transactions x WHERE x.tenant_id = $1 AND x.writer_xid >= $2::xid8 AND x.writer_xid < $3::xid8
        ORDER BY x.writer_xid DESC, x.seq DESC LIMIT 1`,
      [tenantId, seal.xid_from, seal.xid_to],
    );
    const [row] = await queryRows<AnchorRow>(
      m,
      `INSERT INTO ledger_anchors (tenant_id, seal_no, seal_hash, last_transaction_id, sealed_at, publication_type, publication_id, region_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING seal_no::text AS seal_no, seal_hash, last_transaction_id, sealed_at, publication_type, publication_id, region_code, anchored_at`,
      [tenantId, seal.seal_no, seal.hash, last.id, seal.sealed_at, publication.type, publication.id, publication.regionCode],
    );
    return anchorView(row);
  }

  /** The anchor printed with a publication, if it has one. */
  async anchorOf(tenantId: string, type: 'board' | 'grades', id: string): Promise<LedgerAnchor | null> {
    const [row] = await queryRows<AnchorRow>(
      this.dataSource,
      `SELECT ${ANCHOR_COLUMNS} FROM ledger_anchors WHERE tenant_id = $1 AND publication_type = $2 AND publication_id = $3`,
      [requireTenant(tenantId), type, id],
    );
    return row ? anchorView(row) : null;
  }

  /** GET /public/ledger/anchors: every anchor of the tenant, newest first. */
  async anchors(tenantId: string, limit = 200): Promise<LedgerAnchor[]> {
    const rows = await queryRows<AnchorRow>(
      this.dataSource,
      `SELECT ${ANCHOR_COLUMNS} FROM ledger_anchors a WHERE a.tenant_id = $1 ORDER BY a.id DESC LIMIT $2`,
      [requireTenant(tenantId), limit],
    );
    return rows.map(anchorView);
  }

  /**
   * Whether today's chain still passes through the seal with this hash (the
   * full hash, or at least its first 16 hex digits as printed): the seal must
   * be in the chain, and the chain must verify. A rewrite of any transaction
   * sealed at or before it either breaks the chain or, re-sealed, changes the
   * seal's hash so that no seal matches the anchor any more.
   */
  async verifyAnchor(hashHex: string): Promise<{ found: { tenantId: string; sealNo: string; hash: string }[]; report: VerifyReport | null }> {
    const prefix = hashHex.trim().toLowerCase();
    if (!/^[0-9a-f]{16,64}$/.test(prefix)) throw new Error('the anchor is the seal hash in hex: at least its first 16 digits');
    const found = await queryRows<{ tenant_id: string; seal_no: string; hash: string }>(
      this.dataSource,
      `SELECT s.tenant_id, s.seal_no::text AS seal_no, encode(s.hash, 'hex') AS hash FROM ledger_seals s WHERE starts_with(encode(s.hash, 'hex'), $1)`,
      [prefix],
    );
    const matches = found.map((f) => ({ tenantId: f.tenant_id, sealNo: f.seal_no, hash: f.hash }));
    if (matches.length !== 1) return { found: matches, report: null };
    return { found: matches, report: await this.verify(matches[0].tenantId) };
  }

  /** The transactions a seal over [from, to) covers, in chain order. */
  private sealRange(m: EntityManager | DataSource, tenantId: string, from: string, to: string | null) {
    return queryRows<TransactionRow>(
      m,
      `SELECT x.id, x.kind, x.memo, x.metadata, x.source_type, x.source_id, x.actor, x.reversal_of, x.created_at, to_char(x.effective_on, 'YYYY-MM-DD') AS effective_on, x.hash
         FROM ledger_transactions x
        WHERE x.tenant_id = $1 AND x.writer_xid >= $2::xid8 ${to === null ? '' : 'AND x.writer_xid < $3::xid8'}
        ORDER BY x.writer_xid, x.seq`,
      to === null ? [tenantId, from] : [tenantId, from, to],
    );
  }

  async verify(tenantId: string | null): Promise<VerifyReport> {
    const problems: string[] = [];
    const scope = tenantId ? 'WHERE tenant_id = $1' : '';
    const params = tenantId ? [requireTenant(tenantId)] : [];

    // 1. Trial balance: zero per asset, and per transaction.
    const unbalanced = await queryRows<{ tenant_id: string; asset_code: string; total: string }>(
      this.dataSource,
      `SELECT tenant_id, asset_code, sum(amount)::text AS total FROM ledger_entries ${scope} GROUP BY tenant_id, asset_code HAVING sum(amount) <> 0`,
      params,
    );
    for (const u of unbalanced) problems.push(`asset ${u.asset_code} of tenant ${u.tenant_id} sums to ${u.total}`);
    const unbalancedTx = await queryRows<{ transaction_id: string }>(
      this.dataSource,
      `SELECT transaction_id FROM ledger_entries ${scope} GROUP BY tenant_id, transaction_id, asset_code HAVING sum(amount) <> 0 LIMIT 20`,
      params,
    );
    for (const u of unbalancedTx) problems.push(`transaction ${u.transaction_id} is unbalanced`);
    const balanced = unbalanced.length === 0 && unbalancedTx.length === 0;

    // 2. Stored balances = sum of entries, balance_after chains, pending = open holds.
    const where = tenantId ? 'WHERE a.tenant_id = $1' : '';
    const mismatched = await queryRows<{ tenant_id: string; id: string }>(
      this.dataSource,
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
    const broken = await queryRows<{ account_id: string; seq: string }>(
      this.dataSource,
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
    const tenants = tenantId ? [{ id: tenantId }] : await queryRows<{ id: string }>(this.dataSource, `SELECT id FROM tenants ORDER BY id`);
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
    let from = '0';
    const seals: { seal_no: string; prev_hash: Buffer; hash: Buffer; tx_count: number; xid_from: string; xid_to: string }[] = await this.dataSource.query(
      `SELECT s.seal_no::text AS seal_no, s.prev_hash, s.hash, s.tx_count, s.xid_from::text AS xid_from, s.xid_to::text AS xid_to
         FROM ledger_seals s WHERE s.tenant_id = $1 ORDER BY s.seal_no`,
      [tenantId],
    );
    let expectedNo = 1n;
    for (const seal of [...seals, null]) {
      // The last pass checks the transactions no seal covers yet, one by one.
      const range = seal ? { from: seal.xid_from, to: seal.xid_to } : { from, to: null };
      const txs = await this.checkTransactions(tenantId, range.from, range.to, problems);
      checked += txs.checked;
      intact &&= txs.intact;
      if (!seal) break;
      const why =
        BigInt(seal.seal_no) !== expectedNo
          ? `is out of sequence (expected seal ${expectedNo})`
          : seal.xid_from !== from
            ? 'does not continue where the previous seal ended'
            : !seal.prev_hash.equals(prev)
              ? 'does not link to the previous seal'
              : txs.hashes.length !== seal.tx_count
                ? `covers ${txs.hashes.length} transactions, not ${seal.tx_count}`
                : !sealHash(prev, txs.hashes).equals(seal.hash)
                  ? 'does not match the hashes of its transactions'
                  : null;
      if (why) {
        problems.push(`tenant ${tenantId}: seal ${seal.seal_no} ${why}`);
        intact = false;
      }
      prev = seal.hash;
      from = seal.xid_to;
      expectedNo = BigInt(seal.seal_no) + 1n;
    }
    return { checked, intact };
  }

  /** Recomputes the hash of each transaction of one seal's range (or of the unsealed tail). */
  private async checkTransactions(tenantId: string, from: string, to: string | null, problems: string[]) {
    const txs = await this.sealRange(this.dataSource, tenantId, from, to);
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
        effectiveOn: t.effective_on,
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
