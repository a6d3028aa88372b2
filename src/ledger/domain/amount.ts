import Decimal from 'decimal.js';
import { LedgerError } from './errors';

// Amounts are exact decimals; Decimal's precision is raised so that no
// realistic sum ever rounds.
Decimal.set({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN });

const DECIMAL_RE = /^-?(0|[1-9]\d{0,17})(\.\d{1,12})?$/;

export { Decimal };

/**
 * Parses a positive amount given as a decimal string, with at most `scale`
 * fraction digits. JSON numbers are refused upstream (the DTO requires a
 * string) so no float ever becomes an amount.
 */
export function parsePositiveAmount(raw: unknown, scale: number, field = 'amount'): Decimal {
  if (typeof raw !== 'string') throw new LedgerError('invalid-amount', `${field} must be a decimal string such as "12.50"`, field);
  const s = raw.trim();
  if (!DECIMAL_RE.test(s)) throw new LedgerError('invalid-amount', `${field} "${raw}" is not a decimal number`, field);
  const d = new Decimal(s);
  if (d.lte(0)) throw new LedgerError('invalid-amount', `${field} must be greater than zero`, field);
  if (d.decimalPlaces() > scale) {
    throw new LedgerError('scale-exceeded', `${field} has more than ${scale} decimal places for this asset`, field);
  }
  return d;
}

/** The canonical string of an amount at an asset's scale ("12.50"). */
export function formatAmount(d: Decimal, scale: number): string {
  return d.toFixed(scale);
}
