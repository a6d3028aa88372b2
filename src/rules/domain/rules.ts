import Decimal from 'decimal.js';

/** A rule item as stored in a rule set's document (amounts as decimal strings). */
export interface RuleItem {
  code: string;
  name: string;
  direction: 'credit' | 'debit';
  points: string;
  unit?: 'hour' | 'time';
  caps?: Cap[];
  evidenceRequired?: boolean;
  noticeDays?: number;
  convertible?: boolean;
}

export interface Cap {
  period: 'day' | 'month' | 'year';
  maxPoints?: string;
  maxCount?: number;
}

export const DEFAULT_NOTICE_DAYS = 7;

/**
 * A set's effective items: its parent's (recursively) with the set's own
 * items added, an item with the same code replacing the parent's.
 */
export function effectiveItems(chain: RuleItem[][]): RuleItem[] {
  const byCode = new Map<string, RuleItem>();
  for (const items of chain) for (const item of items) byCode.set(item.code, item);
  return [...byCode.values()];
}

/** The calendar window (YYYY-MM-DD, `to` exclusive) a cap of `period` counts within, for a record on `date`. */
export function capWindow(period: Cap['period'], date: string): { from: string; to: string } {
  const [y, m] = date.split('-').map(Number);
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  if (period === 'day') {
    const next = new Date(`${date}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return { from: date, to: iso(next) };
  }
  if (period === 'month') return { from: iso(new Date(Date.UTC(y, m - 1, 1))), to: iso(new Date(Date.UTC(y, m, 1))) };
  return { from: `${y}-01-01`, to: `${y + 1}-01-01` };
}

/** What a holder has already been given under an item in each cap's window. */
export type CapUsage = Partial<Record<Cap['period'], { points: Decimal; count: number }>>;

export interface Valuation {
  /** The points the record is worth, after caps (always ≥ 0; `direction` says credit or debit). */
  points: Decimal;
  /** Before caps. */
  uncapped: Decimal;
  /** The cap that cut the value, if any, for the clerk to see. */
  cappedBy: Cap | null;
}

/**
 * Values one record: points × quantity (quantity is hours or times for unit
 * items, and normally 1 for fixed ones), cut to what every cap still allows
 * given the holder's usage in that cap's window. Pure: the caller supplies
 * the usage.
 */
export function valueRecord(item: RuleItem, quantity: Decimal, usage: CapUsage): Valuation {
  const uncapped = new Decimal(item.points).mul(quantity);
  let points = uncapped;
  let cappedBy: Cap | null = null;
  for (const cap of item.caps ?? []) {
    const used = usage[cap.period] ?? { points: new Decimal(0), count: 0 };
    let allowed = points;
    if (cap.maxCount !== undefined && used.count >= cap.maxCount) allowed = new Decimal(0);
    if (cap.maxPoints !== undefined) allowed = Decimal.min(allowed, Decimal.max(new Decimal(cap.maxPoints).minus(used.points), 0));
    if (allowed.lt(points)) {
      points = allowed;
      cappedBy = cap;
    }
  }
  return { points, uncapped, cappedBy };
}
