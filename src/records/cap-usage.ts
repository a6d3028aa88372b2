import Decimal from 'decimal.js';
import type { EntityManager } from 'typeorm';
import { columns } from '../platform/database/sql-arrays';
import { Cap, capWindow, RuleItem, Valuation, valueRecord } from '../rules/domain/rules';

/** Records that use up a cap: everything not rejected or voided. */
export const COUNTS_TOWARD_CAPS = `status NOT IN ('rejected', 'voided')`;

export const capLockKey = (tenantId: string, holderId: string, ruleCode: string) => `${tenantId}.${holderId}.${ruleCode}`;

/**
 * Serialises cap checks of the same holder and item: an advisory lock on one
 * of 1,024 buckets (namespace 7301) per key, taken in bucket order. Buckets,
 * not one lock per key, so that an import of 100,000 lines holds at most 1,024
 * locks; two keys sharing a bucket only wait for each other.
 */
export async function lockCapUsage(m: EntityManager, keys: string[]): Promise<void> {
  if (!keys.length) return;
  await m.query(
    `SELECT count(pg_advisory_xact_lock(7301, b)) FROM (SELECT DISTINCT hashtext(k) & 1023 AS b FROM unnest($1::text[]) AS k ORDER BY 1) AS s`,
    [keys],
  );
}

/** A line that may use up a cap: whose, which item, on which day. */
export interface CapSubject {
  holderType: string;
  holderId: string;
  item: RuleItem;
  occurredOn: string;
}

/**
 * Cap usage for many lines valued in order inside one transaction (an import,
 * a go-live migration): each holder × item pair is locked once, each window is
 * read from the database once (one query per chunk for the windows not seen
 * yet), and every line valued counts toward the lines after it in memory.
 */
export class CapUsageTracker {
  private readonly usage = new Map<string, { points: Decimal; count: number }>();
  private readonly locked = new Set<string>();

  constructor(private readonly tenantId: string) {}

  private static window(c: CapSubject, period: Cap['period']) {
    const w = capWindow(period, c.occurredOn);
    return { key: `${c.holderType}|${c.holderId}|${c.item.code}|${w.from}|${w.to}`, ...w };
  }

  /** Locks the pairs not locked yet and reads the windows not seen yet, before a chunk is valued. */
  async prepare(m: EntityManager, subjects: CapSubject[]): Promise<void> {
    const capped = subjects.filter((c) => c.item.caps?.length);
    const lockKeys = [...new Set(capped.map((c) => capLockKey(this.tenantId, c.holderId, c.item.code)))].filter((k) => !this.locked.has(k));
    await lockCapUsage(m, lockKeys);
    lockKeys.forEach((k) => this.locked.add(k));
    const seed = new Map<string, unknown[]>();
    for (const c of capped) {
      for (const cap of c.item.caps!) {
        const w = CapUsageTracker.window(c, cap.period);
        if (!this.usage.has(w.key)) seed.set(w.key, [c.holderType, c.holderId, c.item.code, w.from, w.to]);
      }
    }
    if (!seed.size) return;
    const keys = [...seed.keys()];
    const rows: { i: number; points: string; n: number }[] = await m.query(
      `SELECT k.i::int AS i, COALESCE(sum(r.points), 0)::text AS points, count(r.id)::int AS n
         FROM unnest($2::varchar[], $3::uuid[], $4::varchar[], $5::date[], $6::date[]) WITH ORDINALITY AS k(holder_type, holder_id, code, d_from, d_to, i)
         LEFT JOIN records r ON r.tenant_id = $1 AND r.holder_type = k.holder_type AND r.holder_id = k.holder_id AND r.rule_code = k.code
                            AND r.occurred_on >= k.d_from AND r.occurred_on < k.d_to AND r.${COUNTS_TOWARD_CAPS}
        GROUP BY k.i`,
      [this.tenantId, ...columns([...seed.values()], 5)],
    );
    for (const r of rows) this.usage.set(keys[r.i - 1], { points: new Decimal(r.points), count: r.n });
  }

  /** Values a line against what the lines before it used (after `prepare`); a line worth something counts toward the next. */
  value(c: CapSubject, quantity: Decimal, scale: number): Valuation {
    const usage: Parameters<typeof valueRecord>[2] = {};
    for (const cap of c.item.caps ?? []) usage[cap.period] = this.usage.get(CapUsageTracker.window(c, cap.period).key);
    const v = valueRecord(c.item, quantity, usage);
    const points = v.points.toDecimalPlaces(scale, Decimal.ROUND_DOWN);
    if (!points.isZero()) this.use(c, points, 1);
    return { ...v, points };
  }

  /** Takes a valued line back out of its windows (it was refused afterwards). */
  unuse(c: CapSubject, points: Decimal): void {
    this.use(c, points.negated(), -1);
  }

  private use(c: CapSubject, points: Decimal, count: number): void {
    for (const cap of c.item.caps ?? []) {
      const k = CapUsageTracker.window(c, cap.period).key;
      const u = this.usage.get(k) ?? { points: new Decimal(0), count: 0 };
      this.usage.set(k, { points: u.points.plus(points), count: u.count + count });
    }
  }
}

/** What a refusal by a cap says, in Chinese. */
export const capReachedMessage = (code: string, period: Cap['period'] | undefined) =>
  `规则 ${code} 的${period === 'day' ? '每日' : period === 'month' ? '每月' : '每年'}上限已满`;
