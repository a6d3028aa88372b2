import Decimal from 'decimal.js';

/** Credits of one account that expire on the same day: one lot, or several earned close together. */
export interface LotGroup {
  expiresOn: string; // YYYY-MM-DD: the first day the points are no longer valid
  credits: Decimal;
}

/**
 * What is left of each lot when everything ever taken out of the account
 * (`debits`: spends, penalties, expiries, as a positive total) is charged to
 * the oldest lots first (FIFO). Lots expire in the order they were earned
 * under both policies (N days after, or at the end of the year), so ordering
 * by expiry date is ordering by age. Points taken out beyond all credits (a
 * CONDUCT balance below zero) are charged to later credits as they come.
 */
export function remainingLots(groups: LotGroup[], debits: Decimal): { expiresOn: string; remaining: Decimal }[] {
  let toCharge = Decimal.max(debits, 0);
  return [...groups]
    .sort((a, b) => (a.expiresOn < b.expiresOn ? -1 : a.expiresOn > b.expiresOn ? 1 : 0))
    .map((g) => {
      const charged = Decimal.min(g.credits, toCharge);
      toCharge = toCharge.minus(charged);
      return { expiresOn: g.expiresOn, remaining: g.credits.minus(charged) };
    });
}

/** What expires as of `asOf`: the remainder of every lot whose expiry day has come. */
export function expiredAsOf(groups: LotGroup[], debits: Decimal, asOf: string): Decimal {
  return remainingLots(groups, debits)
    .filter((l) => l.expiresOn <= asOf)
    .reduce((s, l) => s.plus(l.remaining), new Decimal(0));
}

/** The SQL for a credit's expiry day, given the asset row `s` and the entry row `e` (business dates in Asia/Shanghai). */
export const EXPIRES_ON_SQL = `CASE s.expiry_policy
    WHEN 'days' THEN e.effective_on + s.expiry_days
    WHEN 'yearEnd' THEN make_date(extract(year FROM e.effective_on)::int + 1, 1, 1)
  END`;
