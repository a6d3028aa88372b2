import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { requireTenant } from '../platform/database/tenant';
import { addDays, shanghaiToday } from '../platform/util/business-date';
import { UnitOfWork } from '../platform/database/unit-of-work';
import { Unprocessable } from '../platform/http/app-error';
import { EXPIRES_ON_SQL, expiredAsOf, LotGroup, remainingLots } from './domain/expiry';
import type { PostingRequest } from './domain/model';
import { LedgerPosting } from './ledger-posting.service';
import { BackgroundJobs } from '../platform/jobs/background-jobs';

const CHUNK = 200;
const SOON_DAYS = 30;


interface Candidate {
  tenant_id: string;
  id: string;
  holder_type: 'household' | 'person';
  holder_id: string;
  asset_code: string;
  region_code: string;
  scale: number;
}

export interface ExpiredLine {
  holder: { type: string; id: string };
  asset: string;
  amount: string;
}

/**
 * Points expiry by lots, oldest spent first. Lots are not stored: every credit
 * to an account is a lot, and what is left of each is worked out from the
 * account's entries (credits grouped by expiry day, everything ever taken
 * out charged to the oldest first; see domain/expiry.ts). The job moves what
 * is left of lots whose day has come to the asset's expiry account (kind
 * `expire`). It works in chunks of 200 accounts, each chunk in its own
 * transaction that locks the accounts before it computes, so it is resumable
 * (a rerun picks up where a stopped one left off), idempotent (an expiry counts
 * as taken out, so a second run finds nothing left) and safe on several
 * instances. Points reserved by a pending hold are not expired until the hold
 * resolves; the next run takes them if they are still left.
 */
@Injectable()
export class LedgerExpiry {
  private readonly logger = new Logger('LedgerExpiry');

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly ledger: LedgerPosting,
    private readonly jobs: BackgroundJobs,
  ) {}

  @Cron('10 0 * * *', { timeZone: 'Asia/Shanghai' })
  nightly(): Promise<void> {
    return this.jobs.run('points expiry', async () => {
      const r = await this.expire(null, shanghaiToday());
      this.logger.log(`points expiry: ${r.expired.length} account(s) expired`);
    });
  }

  async expire(tenantId: string | null, asOf: string, progress?: (done: number, total: number) => void): Promise<{ asOf: string; accounts: number; expired: ExpiredLine[] }> {
    if (asOf > shanghaiToday()) throw new Unprocessable('asOf is in the future', 'future-date');
    const candidates: Candidate[] = await this.dataSource.query(
      `SELECT a.tenant_id, a.id::text AS id, a.holder_type, a.holder_id, a.asset_code, a.region_code, s.scale
         FROM accounts a JOIN assets s ON s.tenant_id = a.tenant_id AND s.code = a.asset_code
        WHERE s.expiry_policy <> 'none' AND a.holder_type IN ('household', 'person') AND a.balance - a.pending > 0
          AND ($1::uuid IS NULL OR a.tenant_id = $1)
        ORDER BY a.tenant_id, a.id`,
      [tenantId],
    );
    const expired: ExpiredLine[] = [];
    for (let i = 0; i < candidates.length; ) {
      const tenant = candidates[i].tenant_id;
      const chunk: Candidate[] = [];
      while (i < candidates.length && candidates[i].tenant_id === tenant && chunk.length < CHUNK) chunk.push(candidates[i++]);
      expired.push(...(await this.uow.run((m) => this.expireChunk(m, tenant, chunk, asOf))));
      const line = `积分过期处理进度：${i}/${candidates.length} 个账户`;
      if (progress) progress(i, candidates.length);
      else this.logger.log(line);
    }
    return { asOf, accounts: candidates.length, expired };
  }

  private async expireChunk(m: EntityManager, tenantId: string, chunk: Candidate[], asOf: string): Promise<ExpiredLine[]> {
    const ids = chunk.map((c) => c.id);
    const locked: { id: string; balance: string; pending: string }[] = await m.query(
      `SELECT a.id::text AS id, a.balance::text AS balance, a.pending::text AS pending FROM accounts a WHERE a.tenant_id = $1 AND a.id = ANY($2::bigint[]) ORDER BY a.id FOR NO KEY UPDATE`,
      [tenantId, ids],
    );
    const lots = await this.lots(m, tenantId, ids);
    const reqs: PostingRequest[] = [];
    const lines: ExpiredLine[] = [];
    const available = new Map(locked.map((a) => [a.id, new Decimal(a.balance).minus(a.pending)]));
    for (const c of chunk) {
      const { groups, debits } = lots.get(c.id) ?? { groups: [], debits: new Decimal(0) };
      const amount = Decimal.min(expiredAsOf(groups, debits, asOf), available.get(c.id) ?? 0);
      if (!amount.gt(0)) continue;
      reqs.push({
        tenantId,
        kind: 'expire',
        entries: [
          { account: { holderType: c.holder_type, holderId: c.holder_id, asset: c.asset_code, regionCode: c.region_code }, amount: amount.negated() },
          { account: { holderType: 'system', holderId: 'expiry', asset: c.asset_code }, amount },
        ],
        memo: `积分到期 ${asOf}`,
        metadata: { asOf },
        actor: 'job:expiry',
      });
      lines.push({ holder: { type: c.holder_type, id: c.holder_id }, asset: c.asset_code, amount: amount.toFixed(c.scale) });
    }
    const outcomes = await this.ledger.postMany(m, reqs);
    const refused = outcomes.find((o) => o.kind === 'refused');
    if (refused && refused.kind === 'refused') throw refused.error; // cannot happen under the locks; never half-expire a chunk
    return lines;
  }

  /** Per account: credits grouped by expiry day, and the total ever taken out. */
  private async lots(m: EntityManager, tenantId: string, accountIds: string[]): Promise<Map<string, { groups: LotGroup[]; debits: Decimal }>> {
    const out = new Map<string, { groups: LotGroup[]; debits: Decimal }>();
    const get = (id: string) => out.get(id) ?? out.set(id, { groups: [], debits: new Decimal(0) }).get(id)!;
    const rows: { account_id: string; expires_on: string | null; credits: string; debits: string }[] = await m.query(
      `SELECT e.account_id::text AS account_id,
              CASE WHEN e.amount > 0 THEN to_char(${EXPIRES_ON_SQL}, 'YYYY-MM-DD') END AS expires_on,
              COALESCE(sum(e.amount) FILTER (WHERE e.amount > 0), 0)::text AS credits,
              COALESCE(-sum(e.amount) FILTER (WHERE e.amount < 0), 0)::text AS debits
         FROM ledger_entries e
         JOIN accounts a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
         JOIN assets s ON s.tenant_id = a.tenant_id AND s.code = a.asset_code
        WHERE e.tenant_id = $1 AND e.account_id = ANY($2::bigint[])
        GROUP BY 1, 2`,
      [requireTenant(tenantId), accountIds],
    );
    for (const r of rows) {
      const a = get(r.account_id);
      if (r.expires_on) a.groups.push({ expiresOn: r.expires_on, credits: new Decimal(r.credits) });
      a.debits = a.debits.plus(r.debits);
    }
    return out;
  }

  /**
   * A holder's points that expire within the next 30 days (already due but
   * not yet swept included), by asset and day; only assets with an expiry policy.
   */
  async expiringSoon(tenantId: string, holderType: string, holderId: string): Promise<Map<string, { expiresOn: string; amount: string }[]>> {
    const accounts: { id: string; asset_code: string; scale: number }[] = await this.dataSource.query(
      `SELECT a.id::text AS id, a.asset_code, s.scale FROM accounts a JOIN assets s ON s.tenant_id = a.tenant_id AND s.code = a.asset_code
        WHERE a.tenant_id = $1 AND a.holder_type = $2 AND a.holder_id = $3 AND s.expiry_policy <> 'none'`,
      [requireTenant(tenantId), holderType, holderId],
    );
    const out = new Map<string, { expiresOn: string; amount: string }[]>();
    if (!accounts.length) return out;
    const horizon = addDays(shanghaiToday(), SOON_DAYS);
    const lots = await this.lots(this.dataSource.manager, tenantId, accounts.map((a) => a.id));
    for (const a of accounts) {
      const { groups, debits } = lots.get(a.id) ?? { groups: [], debits: new Decimal(0) };
      out.set(
        a.asset_code,
        remainingLots(groups, debits)
          .filter((l) => l.expiresOn <= horizon && l.remaining.gt(0))
          .map((l) => ({ expiresOn: l.expiresOn, amount: l.remaining.toFixed(a.scale) })),
      );
    }
    return out;
  }
}
