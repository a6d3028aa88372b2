import fc from 'fast-check';
import { isCalendarDate } from './records-import';

/** The definition by way of the Date object: the text survives a round trip through UTC midnight. */
const reference = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;

describe('isCalendarDate', () => {
  it.each([
    ['2026-03-01', true],
    ['2026-02-28', true],
    ['2026-02-29', false],
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2026-04-31', false],
    ['2026-12-31', true],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026-01-00', false],
    ['2026-1-01', false],
    ['2026-01-01x', false],
    ['２０２６-01-01', false],
    ['', false],
  ])('%s → %s', (d, ok) => expect(isCalendarDate(d)).toBe(ok));

  it('agrees with the Date round trip for any YYYY-MM-DD with digits in every place', () => {
    const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const text = fc.oneof(
      fc.tuple(fc.integer({ min: 1000, max: 2999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })).map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
      fc.tuple(digits(4), digits(2), digits(2)).map(([y, m, d]) => `${y}-${m}-${d}`),
    );
    fc.assert(fc.property(text, (d) => isCalendarDate(d) === reference(d)), { numRuns: 5000 });
  });
});
